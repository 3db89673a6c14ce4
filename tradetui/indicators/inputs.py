"""Input checks shared by every indicator: periods, float series and equal lengths."""

from __future__ import annotations

import operator

import numpy as np
import numpy.typing as npt

from tradetui.candles.series import FloatArray


def require_period(value: int, name: str = "period") -> int:
    """Return ``value`` as an int if it is a whole number >= 1, else raise ``ValueError``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    try:
        period = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}") from None
    if period < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {period}")
    return period


def as_series(values: npt.ArrayLike, name: str = "values") -> FloatArray:
    """``values`` as a contiguous 1-D float64 array (no copy when it already is one)."""
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def as_columns(**columns: npt.ArrayLike) -> list[FloatArray]:
    """Each keyword as a float series, in order; raise ``ValueError`` unless all lengths match."""
    arrays = [as_series(values, name) for name, values in columns.items()]
    lengths = {name: len(array) for name, array in zip(columns, arrays, strict=True)}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise ValueError(f"input arrays must have the same length: {described}")
    return arrays


def nan_series(length: int) -> FloatArray:
    """A float64 array of ``length`` NaNs: the output before any value is defined."""
    return np.full(length, np.nan, dtype=np.float64)
