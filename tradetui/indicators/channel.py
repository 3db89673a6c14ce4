"""Price channels: the highest and lowest value over the last N bars."""

from __future__ import annotations

import numpy.typing as npt

from tradetui.candles.series import FloatArray
from tradetui.indicators.inputs import as_series, require_period
from tradetui.indicators.window import window_max, window_min


def highest(values: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Largest of the last ``period`` values, the current one included (TA-Lib ``MAX``).

    Warm-up: ``period - 1``.
    """
    return window_max(as_series(values), require_period(period))


def lowest(values: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Smallest of the last ``period`` values, the current one included (TA-Lib ``MIN``).

    Warm-up: ``period - 1``.
    """
    return window_min(as_series(values), require_period(period))
