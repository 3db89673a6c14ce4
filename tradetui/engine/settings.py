"""What an engine is built with: its settings and which strategy trades which markets."""

from __future__ import annotations

from dataclasses import dataclass, field

from tradetui.risk.limits import AccountLimits
from tradetui.risk.sizing import SizingRules
from tradetui.strategies.base import Strategy


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


@dataclass(frozen=True, slots=True)
class Assignment:
    """A strategy and the markets it trades."""

    strategy: Strategy
    markets: tuple[str, ...]
