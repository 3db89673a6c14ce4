"""Technical indicators: vectorised numpy functions and streaming (O(1) per bar) twins.

Vectorised functions take float arrays (any array-like) and return float64 arrays of the
same length, NaN during warm-up; definitions follow TA-Lib (see each docstring). The
``warmup_*`` functions give the index of the first value. ``tradetui.indicators.streaming``
holds an incremental class for each one that yields the same numbers bar by bar.
"""

from tradetui.indicators.channel import highest, lowest
from tradetui.indicators.momentum import adx, macd, rsi, stochastic
from tradetui.indicators.moving import ema, sma, volume_ma
from tradetui.indicators.volatility import atr, bollinger, true_range
from tradetui.indicators.volume import obv, vwap
from tradetui.indicators.warmup import (
    warmup_adx,
    warmup_atr,
    warmup_bollinger,
    warmup_ema,
    warmup_highest,
    warmup_lowest,
    warmup_macd,
    warmup_obv,
    warmup_rsi,
    warmup_sma,
    warmup_stochastic,
    warmup_volume_ma,
    warmup_vwap,
)

__all__ = [
    "adx",
    "atr",
    "bollinger",
    "ema",
    "highest",
    "lowest",
    "macd",
    "obv",
    "rsi",
    "sma",
    "stochastic",
    "true_range",
    "volume_ma",
    "vwap",
    "warmup_adx",
    "warmup_atr",
    "warmup_bollinger",
    "warmup_ema",
    "warmup_highest",
    "warmup_lowest",
    "warmup_macd",
    "warmup_obv",
    "warmup_rsi",
    "warmup_sma",
    "warmup_stochastic",
    "warmup_volume_ma",
    "warmup_vwap",
]
