"""Seeded synthetic bars and a comparison helper shared by the indicator tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Bars:
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    session: npt.NDArray[np.int64]


def random_walk_bars(count: int, seed: int, price: float = 1e4, step: float = 0.005) -> Bars:
    """Geometric random walk with wicks and lognormal volume, plus a flat, zero-volume stretch.

    The flat stretch (high == low == close, volume 0) drives the zero-range / zero-volume
    branches (stochastic span 0, ADX with no directional movement, VWAP with no volume).
    """
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0.0, step, count)))
    high = close * (1.0 + np.abs(rng.normal(0.0, step / 2, count)))
    low = close * (1.0 - np.abs(rng.normal(0.0, step / 2, count)))
    volume = rng.lognormal(0.0, 1.0, count)
    if count > 200:
        flat = slice(count // 3, count // 3 + 40)
        close[flat] = close[flat.start]
        high[flat] = close[flat.start]
        low[flat] = close[flat.start]
        volume[flat] = 0.0
    session = (np.arange(count) // 97).astype(np.int64)
    return Bars(high, low, close, volume, session)


def assert_series_close(
    actual: npt.ArrayLike, expected: npt.ArrayLike, rtol: float = 1e-9, scale: float | None = None
) -> None:
    """Same length, NaN at the same positions, and close elsewhere.

    Close means within ``rtol`` relative to the value, or to the series' largest magnitude for
    values near zero (MACD and histogram cross zero; oscillators touch 0), where a relative
    test would only measure rounding noise. ``scale`` overrides that magnitude, e.g. the price
    level for MACD, whose values are differences of prices and can be all zero.
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    assert a.shape == e.shape, f"shape {a.shape} != {e.shape}"
    nan_a, nan_e = np.isnan(a), np.isnan(e)
    assert np.array_equal(nan_a, nan_e), f"NaN positions differ at {np.flatnonzero(nan_a != nan_e)[:10]}"
    finite = ~nan_e
    if not finite.any():
        return
    if scale is None:
        scale = float(np.max(np.abs(e[finite])))
    np.testing.assert_allclose(a[finite], e[finite], rtol=rtol, atol=rtol * scale)


SeriesCheck = Callable[..., None]
BarsFactory = Callable[..., Bars]


@pytest.fixture(scope="module")
def bars() -> Bars:
    return random_walk_bars(4000, seed=20240611)


@pytest.fixture(scope="session")
def make_bars() -> BarsFactory:
    return random_walk_bars


@pytest.fixture(scope="session")
def assert_close() -> SeriesCheck:
    return assert_series_close
