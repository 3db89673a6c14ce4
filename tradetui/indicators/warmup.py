"""Warm-up lengths: the index of the first non-NaN output of each indicator.

Equal to TA-Lib's ``*_Lookback`` for the same parameters (unstable period 0). A strategy
needs ``warmup + 1`` bars before the indicator has a value on the last bar.
"""

from __future__ import annotations

from tradetui.indicators.inputs import require_period


def warmup_sma(period: int) -> int:
    return require_period(period) - 1


def warmup_ema(period: int) -> int:
    return require_period(period) - 1


def warmup_volume_ma(period: int) -> int:
    return require_period(period) - 1


def warmup_rsi(period: int) -> int:
    return require_period(period)


def warmup_macd(fast: int = 12, slow: int = 26, signal: int = 9) -> int:
    """The longer of ``fast``/``slow`` (TA-Lib swaps them) minus 1, plus ``signal - 1``."""
    longer = max(require_period(fast, "fast"), require_period(slow, "slow"))
    return longer - 1 + require_period(signal, "signal") - 1


def warmup_bollinger(period: int) -> int:
    return require_period(period) - 1


def warmup_atr(period: int) -> int:
    return require_period(period)


def warmup_stochastic(fastk: int = 5, slowk: int = 3, slowd: int = 3) -> int:
    return require_period(fastk, "fastk") - 1 + require_period(slowk, "slowk") - 1 + require_period(slowd, "slowd") - 1


def warmup_adx(period: int) -> int:
    return 2 * require_period(period) - 1


def warmup_obv() -> int:
    return 0


def warmup_vwap() -> int:
    """0, but VWAP is also NaN while a session's cumulative volume is still 0."""
    return 0


def warmup_highest(period: int) -> int:
    return require_period(period) - 1


def warmup_lowest(period: int) -> int:
    return require_period(period) - 1
