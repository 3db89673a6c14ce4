"""Exit plans: how a position is to be left. Pure data; ``risk.exits`` carries them out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TakeProfit:
    gain_pct: float
    """Sell when the price is this many percent above the average entry."""
    fraction: float
    """Share of the position's original volume to sell there (0 < f ≤ 1)."""

    def __post_init__(self) -> None:
        if self.gain_pct <= 0:
            raise ValueError(f"take-profit gain must be > 0 %, got {self.gain_pct}")
        if not 0 < self.fraction <= 1:
            raise ValueError(f"take-profit fraction must be in (0, 1], got {self.fraction}")


@dataclass(frozen=True, slots=True)
class ExitPlan:
    """Engine-side exits (neither exchange offers stop orders through its API)."""

    stop_pct: float | None = 1.5
    """Hard stop this many percent below the entry; None for none."""
    atr_stop_mult: float | None = None
    """Stop at entry − k × ATR(at entry). When both are set the tighter (higher) stop wins."""
    take_profits: tuple[TakeProfit, ...] = (TakeProfit(3.0, 0.5),)
    """Ladder of targets, lowest first."""
    trailing_pct: float | None = 1.0
    """Trailing stop this many percent below the highest high since it became active."""
    trailing_from_entry: bool = False
    """Trail from the entry on; by default trailing starts after the first take-profit."""
    time_stop_bars: int | None = None
    """Leave at the open after this many bars in the position."""

    def __post_init__(self) -> None:
        if self.stop_pct is not None and not 0 < self.stop_pct < 100:
            raise ValueError(f"stop_pct must be in (0, 100), got {self.stop_pct}")
        if self.trailing_pct is not None and not 0 < self.trailing_pct < 100:
            raise ValueError(f"trailing_pct must be in (0, 100), got {self.trailing_pct}")
        gains = [t.gain_pct for t in self.take_profits]
        if gains != sorted(gains):
            raise ValueError("take-profit ladder must be ordered from the lowest gain up")
        if sum(t.fraction for t in self.take_profits) > 1 + 1e-9:
            raise ValueError("take-profit fractions add up to more than the whole position")
        if self.time_stop_bars is not None and self.time_stop_bars < 1:
            raise ValueError("time_stop_bars must be ≥ 1")
