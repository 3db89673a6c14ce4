"""Plain records the repositories hand back where no core type exists (positions, candle sets, …);
backtest runs are core types (:mod:`tradetui.core.runs`), re-exported here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tradetui.core.runs import BacktestRun, BacktestRunSummary, EquityPoint

CandleTuple = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]
"""``(ts_s, open, high, low, close, volume)`` as stored and loaded."""

CandleInput = tuple[int, Decimal | str, Decimal | str, Decimal | str, Decimal | str, Decimal | str]
"""What ``save_candles`` accepts: Decimals or their text (never floats)."""

__all__ = [
    "BacktestRun",
    "BacktestRunSummary",
    "CandleInput",
    "CandleRange",
    "CandleSet",
    "CandleTuple",
    "DailyPerformance",
    "EquityPoint",
    "StoredPosition",
    "StoredStrategyState",
]


@dataclass(frozen=True, slots=True)
class StoredPosition:
    """An open position as the engine persists it between runs."""

    market: str
    volume: Decimal
    avg_price: Decimal
    updated_ms: int
    strategy: str = ""
    opened_ms: int = 0
    stop_state: Mapping[str, Any] = field(default_factory=dict)
    """Engine-side exit state (stop, target, trailing high …); JSON values, Decimals as text."""


@dataclass(frozen=True, slots=True)
class StoredStrategyState:
    strategy: str
    market: str
    state: Mapping[str, Any]
    enabled: bool
    updated_ms: int


@dataclass(frozen=True, slots=True)
class CandleRange:
    first_s: int
    last_s: int
    count: int


@dataclass(frozen=True, slots=True)
class CandleSet:
    """One stored series: all candles of one market and timeframe on one exchange."""

    exchange: str
    market: str
    timeframe: str
    count: int
    first_s: int
    last_s: int


@dataclass(frozen=True, slots=True)
class DailyPerformance:
    """One trading day (00:00 UTC = 09:00 KST) of one mode."""

    day: date
    mode: str
    start_equity: Decimal
    end_equity: Decimal
    pnl: Decimal
    trades: int
    wins: int
    updated_ms: int = 0
