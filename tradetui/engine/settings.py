"""What an engine is built with: its settings and which strategy trades which markets."""

from __future__ import annotations

from dataclasses import dataclass, field

from tradetui.risk.limits import AccountLimits
from tradetui.risk.sizing import SizingRules
from tradetui.strategies.base import Strategy

LIVE_HISTORY_BARS = 10_000


@dataclass(frozen=True, slots=True)
class EngineSettings:
    sizing: SizingRules = field(default_factory=SizingRules)
    limits: AccountLimits = field(default_factory=AccountLimits)
    id_prefix: str = "tt"
    deterministic_ids: bool = False
    event_capacity: int = 2000
    fills_at_bar_open: bool = True
    """A simulated venue fills at the next bar's open (backtest, demo). False for paper trading,
    where the live book fills orders as it arrives."""
    atr_period: int = 14
    """Bars of the ATR the engine computes itself when ``sizing`` is ATR or an exit plan has an
    ATR stop and the strategy supplies no ATR of its own (TA-Lib ``ATR``: Wilder smoothing)."""
    live_history_bars: int = LIVE_HISTORY_BARS
    """Candles a market keeps while the engine runs bar by bar (live, paper, demo): once twice as
    many have arrived, the oldest go, so a bot that runs for weeks holds a bounded history (10,000
    1m candles: a week; the chart's coarser timeframes show what fits). At least twice the longest
    strategy window is always kept. A backtest keeps all of its candles."""
    trade_marks_per_market: int = 500
    """Entries and exits the engine remembers per market for the chart's markers."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """A strategy and the markets it trades."""

    strategy: Strategy
    markets: tuple[str, ...]
    enabled: bool = True
    """Off: the strategy opens no new positions (the trader can switch it on while running)."""
