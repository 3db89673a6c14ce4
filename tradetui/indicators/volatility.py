"""Volatility: true range, ATR (Wilder) and Bollinger Bands."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tradetui.candles.series import FloatArray
from tradetui.indicators import recurrence
from tradetui.indicators.inputs import as_columns, as_series, nan_series, require_period
from tradetui.indicators.window import window_mean_std


def true_range_of(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """True range for bars 1..n-1 (length ``n - 1``): max(h-l, |h-c_prev|, |l-c_prev|)."""
    previous = close[:-1]
    out = high[1:] - low[1:]
    gap = np.subtract(high[1:], previous)
    np.abs(gap, out=gap)
    np.maximum(out, gap, out=out)
    np.subtract(low[1:], previous, out=gap)
    np.abs(gap, out=gap)
    np.maximum(out, gap, out=out)
    return out


def true_range(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike) -> FloatArray:
    """True range (TA-Lib ``TRANGE``): ``max(high - low, |high - prev_close|, |low - prev_close|)``.

    Warm-up: 1 (the first bar has no previous close).
    """
    h, lo, c = as_columns(high=high, low=low, close=close)
    out = nan_series(len(h))
    if len(h) > 1:
        out[1:] = true_range_of(h, lo, c)
    return out


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Average true range (TA-Lib ``ATR``), Wilder smoothing.

    ``atr[period]`` is the mean of the true ranges of bars 1..period; after it
    ``atr[t] = (atr[t-1] * (period - 1) + tr[t]) / period``. Warm-up: ``period``.
    """
    period = require_period(period)
    h, lo, c = as_columns(high=high, low=low, close=close)
    n = len(h)
    out = nan_series(n)
    if n <= period:
        return out
    tr = true_range_of(h, lo, c)
    seed = float(tr[:period].sum()) / period
    out[period] = seed
    drive = tr[period:]
    drive /= period
    recurrence.solve_into(drive, (period - 1) / period, seed, out[period + 1 :])
    return out


def bollinger(
    values: npt.ArrayLike, period: int = 20, nbdev_up: float = 2.0, nbdev_dn: float = 2.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Bollinger Bands (TA-Lib ``BBANDS`` with ``matype`` SMA): ``(upper, middle, lower)``.

    ``middle`` is the SMA of the last ``period`` values, ``sd`` their *population* standard
    deviation (divide by ``period``); ``upper = middle + nbdev_up * sd`` and
    ``lower = middle - nbdev_dn * sd``. Warm-up: ``period - 1``.
    """
    period = require_period(period)
    x = as_series(values)
    middle, deviation = window_mean_std(x, period)
    upper = deviation * float(nbdev_up)
    upper += middle
    lower = np.multiply(deviation, float(nbdev_dn), out=deviation)
    np.subtract(middle, lower, out=lower)
    return upper, middle, lower
