"""Momentum oscillators: RSI, MACD, the slow stochastic and ADX (all as TA-Lib defines them)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tradetui.candles.series import FloatArray
from tradetui.indicators import recurrence
from tradetui.indicators.inputs import as_columns, as_series, nan_series, require_period
from tradetui.indicators.moving import ema_from
from tradetui.indicators.volatility import true_range_of
from tradetui.indicators.window import window_max, window_mean, window_min


def rsi(values: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Relative strength index (TA-Lib ``RSI``), Wilder smoothing.

    With ``gain``/``loss`` the positive/negative parts of ``x[t] - x[t-1]``, the averages
    start at index ``period`` as the means over changes 1..period, then
    ``avg[t] = (avg[t-1] * (period - 1) + change[t]) / period``;
    ``rsi = 100 * avg_gain / (avg_gain + avg_loss)``, or 0 when both are 0.
    Warm-up: ``period``.
    """
    period = require_period(period)
    x = as_series(values)
    n = len(x)
    out = nan_series(n)
    if n <= period:
        return out
    decay = (period - 1) / period
    gain = np.diff(x)
    loss = np.negative(gain)
    np.maximum(gain, 0.0, out=gain)
    np.maximum(loss, 0.0, out=loss)
    avg_gain = out[period:]
    avg_loss = np.empty(n - period, dtype=np.float64)
    for change_part, average in ((gain, avg_gain), (loss, avg_loss)):
        seed = float(change_part[:period].sum()) / period
        average[0] = seed
        drive = change_part[period:]
        drive /= period
        recurrence.solve_into(drive, decay, seed, average[1:])
    total = np.add(avg_gain, avg_loss, out=avg_loss)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(avg_gain, total, out=avg_gain)
    avg_gain *= 100.0
    avg_gain[total == 0.0] = 0.0
    return out


def macd(
    values: npt.ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """MACD (TA-Lib ``MACD``): ``(macd, signal, hist)``.

    ``macd = EMA_fast - EMA_slow`` with TA-Lib's alignment: both EMAs start at index
    ``slow - 1``; the slow one is seeded with the mean of the first ``slow`` values, the
    fast one with the mean of the ``fast`` values ending at ``slow - 1`` (not the first
    ``fast``). ``signal`` is the EMA (SMA-seeded) of ``macd`` from there, ``hist = macd -
    signal``. ``fast``/``slow`` are swapped if given the wrong way round, as TA-Lib does.
    All three outputs share warm-up ``max(fast, slow) - 1 + signal - 1``.
    """
    fast = require_period(fast, "fast")
    slow = require_period(slow, "slow")
    signal = require_period(signal, "signal")
    if slow < fast:
        fast, slow = slow, fast
    x = as_series(values)
    n = len(x)
    lookback = slow - 1 + signal - 1
    line, signal_line = nan_series(n), nan_series(n)
    if n <= lookback:
        return line, signal_line, nan_series(n)
    slow_ema = nan_series(n)
    ema_from(x, slow, 0, slow_ema)
    ema_from(x, fast, slow - fast, line)
    line -= slow_ema
    ema_from(line, signal, slow - 1, signal_line)
    line[:lookback] = np.nan
    return line, signal_line, line - signal_line


def stochastic(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    fastk: int = 5,
    slowk: int = 3,
    slowd: int = 3,
) -> tuple[FloatArray, FloatArray]:
    """Slow stochastic (TA-Lib ``STOCH``, SMA smoothing): ``(slowk, slowd)``.

    ``fast_k = (close - lowest_low) / ((highest_high - lowest_low) / 100)`` over the last
    ``fastk`` bars (0 when the range is 0); ``slowk`` = SMA(``slowk``) of ``fast_k``;
    ``slowd`` = SMA(``slowd``) of ``slowk``. Both outputs share TA-Lib's warm-up
    ``fastk - 1 + slowk - 1 + slowd - 1`` (``slowk`` is NaN there too).
    """
    fastk = require_period(fastk, "fastk")
    slowk = require_period(slowk, "slowk")
    slowd = require_period(slowd, "slowd")
    h, lo, c = as_columns(high=high, low=low, close=close)
    n = len(h)
    lookback = fastk - 1 + slowk - 1 + slowd - 1
    k_out, d_out = nan_series(n), nan_series(n)
    if n <= lookback:
        return k_out, d_out
    highest_high = window_max(h, fastk)[fastk - 1 :]
    lowest_low = window_min(lo, fastk)[fastk - 1 :]
    span = np.subtract(highest_high, lowest_low, out=highest_high)
    span /= 100.0
    fast_k = np.subtract(c[fastk - 1 :], lowest_low, out=lowest_low)
    with np.errstate(divide="ignore", invalid="ignore"):
        fast_k /= span
    fast_k[span == 0.0] = 0.0
    slow_k = window_mean(fast_k, slowk)[slowk - 1 :]
    k_out[lookback:] = slow_k[slowd - 1 :]
    d_out[lookback:] = window_mean(slow_k, slowd)[slowd - 1 :]
    return k_out, d_out


def directional_movement(high: FloatArray, low: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(+DM, -DM) for bars 1..n-1: the larger of the up-move and down-move if positive, else 0."""
    up = high[1:] - high[:-1]
    down = low[:-1] - low[1:]
    is_plus = (up > 0.0) & (up > down)
    is_minus = (down > 0.0) & (up < down)
    up *= is_plus
    down *= is_minus
    return up, down


def adx(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int = 14) -> FloatArray:
    """Average directional index (TA-Lib ``ADX``).

    +DM, -DM and TR are Wilder *sums*: the first over bars 1..period-1, then
    ``s[t] = s[t-1] - s[t-1] / period + v[t]``. From bar ``period``:
    ``+DI = 100 * s_plus / s_tr``, ``-DI`` likewise, ``DX = 100 * |+DI - -DI| / (+DI + -DI)``.
    ADX at ``2 * period - 1`` is the sum of the first ``period`` DX divided by ``period``,
    then ``adx[t] = (adx[t-1] * (period - 1) + dx[t]) / period``. As in TA-Lib, a bar whose
    ``s_tr`` or DI sum is 0 has no DX: it adds nothing to the seed and leaves ADX unchanged.
    Warm-up: ``2 * period - 1``.
    """
    period = require_period(period)
    h, lo, c = as_columns(high=high, low=low, close=close)
    n = len(h)
    lookback = 2 * period - 1
    out = nan_series(n)
    if n <= lookback:
        return out
    plus_dm, minus_dm = directional_movement(h, lo)
    decay = 1.0 - 1.0 / period
    smoothed = []
    for movement in (true_range_of(h, lo, c), plus_dm, minus_dm):
        seed = float(movement[: period - 1].sum())
        total = movement[period - 1 :]  # bars period..n-1, smoothed in place
        recurrence.solve_into(total, decay, seed, total)
        smoothed.append(total)
    sum_tr, plus_di, minus_di = smoothed
    with np.errstate(divide="ignore", invalid="ignore"):
        plus_di /= sum_tr
        plus_di *= 100.0
        minus_di /= sum_tr
        minus_di *= 100.0
        di_total = minus_di + plus_di
        dx = np.subtract(minus_di, plus_di, out=minus_di)
        np.abs(dx, out=dx)
        dx /= di_total
        dx *= 100.0
    has_dx = sum_tr != 0.0
    has_dx &= di_total != 0.0
    seed_adx = float(dx[:period][has_dx[:period]].sum()) / period
    out[lookback] = seed_adx
    later_dx, later_has = dx[period:], has_dx[period:]
    later_dx /= period
    adx_decay = (period - 1) / period
    if later_has.all():
        recurrence.solve_into(later_dx, adx_decay, seed_adx, out[lookback + 1 :])
    else:
        # Bars without DX hold the previous ADX: smooth the bars that have one, then carry.
        levels = np.empty(int(later_has.sum()) + 1, dtype=np.float64)
        levels[0] = seed_adx
        recurrence.solve_into(later_dx[later_has], adx_decay, seed_adx, levels[1:])
        out[lookback + 1 :] = levels[np.cumsum(later_has)]
    return out
