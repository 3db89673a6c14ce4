"""Moving averages: SMA, EMA and the volume moving average."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tradetui.candles.series import FloatArray
from tradetui.indicators import recurrence
from tradetui.indicators.inputs import as_series, nan_series, require_period
from tradetui.indicators.window import window_mean


def sma(values: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Simple moving average (TA-Lib ``SMA``): mean of the last ``period`` values.

    Warm-up: ``period - 1`` (``out[i]`` is NaN for ``i < period - 1``).
    """
    return window_mean(as_series(values), require_period(period))


def ema_from(x: FloatArray, period: int, start: int, out: FloatArray) -> None:
    """Write into ``out[start + period - 1:]`` the EMA of ``x[start:]`` seeded TA-Lib's way.

    The seed ``out[start + period - 1]`` is the mean of ``x[start : start + period]``; after
    it ``out[t] = out[t-1] + k * (x[t] - out[t-1])`` with ``k = 2 / (period + 1)``. Entries
    before the seed are left untouched. Needs ``len(x) >= start + period``.
    """
    k = 2.0 / (period + 1)
    seed_at = start + period - 1
    seed = float(x[start : seed_at + 1].sum()) / period
    out[seed_at] = seed
    drive = np.multiply(x[seed_at + 1 :], k)
    recurrence.solve_into(drive, 1.0 - k, seed, out[seed_at + 1 :])


def ema(values: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Exponential moving average (TA-Lib ``EMA``), ``k = 2 / (period + 1)``.

    Seeded with the SMA of the first ``period`` values at index ``period - 1``, then
    ``ema[t] = ema[t-1] + k * (x[t] - ema[t-1])``. Warm-up: ``period - 1``.
    """
    period = require_period(period)
    x = as_series(values)
    out = nan_series(len(x))
    if len(x) >= period:
        ema_from(x, period, 0, out)
    return out


def volume_ma(volume: npt.ArrayLike, period: int = 20) -> FloatArray:
    """Simple moving average of volume (TA-Lib ``SMA`` of the volume column).

    Warm-up: ``period - 1``.
    """
    return sma(volume, period)
