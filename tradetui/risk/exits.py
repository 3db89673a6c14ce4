"""Engine-side exits for one long position: hard/ATR stop, take-profit ladder, trailing, time stop.

The tracker scans a block of bars at once with numpy and reports the first bar where an exit
fires. A backtest hands it thousands of bars; the live engine hands it one bar at a time. Both
go through the same code, so they cannot disagree.

Intrabar order is pessimistic: when one bar touches both the stop and a target, the stop is
taken. A bar that opens beyond a level fills at the open (gap), never at the better level.
Trailing levels use only highs of *earlier* bars, since a bar's own high may come after its low.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tradetui.core.plans import ExitPlan

_FIRST_BLOCK = 64
_MAX_BLOCK = 16384


@dataclass(frozen=True, slots=True)
class ExitTrigger:
    index: int
    kind: str  # "stop", "trailing", "take_profit", "time_exit"
    price: float
    """Price at which the exit is modelled to execute (level or gapped open)."""
    fraction: float
    """Share of the position's *original* volume to sell; 1.0 means everything that is left."""


@dataclass(slots=True)
class ExitTracker:
    """State of the exits of one position. Mutable; persisted so stops re-arm after a restart."""

    entry_price: float
    entry_index: int
    plan: ExitPlan
    atr_at_entry: float | None = None
    stop_level: float = field(init=False)
    targets: list[tuple[float, float]] = field(init=False)
    trailing_active: bool = field(init=False)
    high_water: float = field(init=False)
    targets_hit: int = 0

    def __post_init__(self) -> None:
        plan = self.plan
        levels = [-np.inf]
        if plan.stop_pct is not None:
            levels.append(self.entry_price * (1 - plan.stop_pct / 100))
        if plan.atr_stop_mult is not None and self.atr_at_entry is not None and self.atr_at_entry > 0:
            levels.append(self.entry_price - plan.atr_stop_mult * self.atr_at_entry)
        self.stop_level = float(max(levels))
        self.targets = [(self.entry_price * (1 + t.gain_pct / 100), t.fraction) for t in plan.take_profits]
        self.trailing_active = plan.trailing_pct is not None and plan.trailing_from_entry
        self.high_water = self.entry_price

    @property
    def trailing_level(self) -> float | None:
        if not self.trailing_active or self.plan.trailing_pct is None:
            return None
        return self.high_water * (1 - self.plan.trailing_pct / 100)

    @property
    def effective_stop(self) -> float | None:
        levels = [self.stop_level]
        trail = self.trailing_level
        if trail is not None:
            levels.append(trail)
        best = max(levels)
        return None if best == -np.inf else best

    @property
    def next_target(self) -> float | None:
        return self.targets[0][0] if self.targets else None

    def scan(self, opens: Any, highs: Any, lows: Any, start: int, stop: int) -> ExitTrigger | None:
        """First exit in bars ``[start, stop)``; updates the trailing high-water mark up to it."""
        block = _FIRST_BLOCK
        a = start
        while a < stop:
            b = min(stop, a + block)
            trigger = self._scan_block(opens, highs, lows, a, b)
            if trigger is not None:
                return trigger
            a = b
            block = min(block * 4, _MAX_BLOCK)
        return None

    def _scan_block(self, opens: Any, highs: Any, lows: Any, a: int, b: int) -> ExitTrigger | None:
        plan = self.plan
        lo = lows[a:b]
        hi = highs[a:b]
        if self.trailing_active and plan.trailing_pct is not None:
            prior = np.empty(b - a)
            prior[0] = self.high_water
            if b - a > 1:
                prior[1:] = np.maximum(np.maximum.accumulate(hi[:-1]), self.high_water)
            stops = np.maximum(prior * (1 - plan.trailing_pct / 100), self.stop_level)
            stop_hit = lo <= stops
        else:
            prior = None
            stops = None
            stop_hit = lo <= self.stop_level
        target = self.targets[0][0] if self.targets else np.inf
        target_hit = hi >= target
        time_index = self.entry_index + plan.time_stop_bars if plan.time_stop_bars is not None else None
        if time_index is not None and time_index < a:
            return ExitTrigger(a, "time_exit", float(opens[a]), 1.0)
        any_hit = stop_hit | target_hit
        k = int(np.argmax(any_hit)) if any_hit.any() else -1
        if time_index is not None and a <= time_index < b and (k < 0 or time_index - a <= k):
            self._advance_high_water(hi, time_index - a)
            return ExitTrigger(time_index, "time_exit", float(opens[time_index]), 1.0)
        if k < 0:
            self._advance_high_water(hi, b - a)
            return None
        index = a + k
        self._advance_high_water(hi, k)
        if stop_hit[k]:
            level = float(stops[k]) if stops is not None else self.stop_level
            kind = "trailing" if stops is not None and level > self.stop_level else "stop"
            return ExitTrigger(index, kind, min(float(opens[index]), level), 1.0)
        fraction = self.targets[0][1]
        return ExitTrigger(index, "take_profit", max(float(opens[index]), target), fraction)

    def _advance_high_water(self, highs_block: Any, upto: int) -> None:
        if upto > 0 and self.trailing_active:
            self.high_water = max(self.high_water, float(np.max(highs_block[:upto])))

    def on_target_filled(self, bar_high: float) -> None:
        """A take-profit was executed on a bar whose high was ``bar_high``: arm the trailing stop."""
        level, _ = self.targets.pop(0)
        self.targets_hit += 1
        if self.plan.trailing_pct is not None:
            if not self.trailing_active:
                self.trailing_active = True
                self.high_water = max(level, bar_high)
            else:
                self.high_water = max(self.high_water, bar_high)

    def snapshot(self) -> dict[str, Any]:
        """JSON-safe state for storage (re-armed by :meth:`restore`)."""
        return {
            "entry_price": self.entry_price,
            "entry_index": self.entry_index,
            "atr_at_entry": self.atr_at_entry,
            "stop_level": self.stop_level,
            "targets": [list(t) for t in self.targets],
            "trailing_active": self.trailing_active,
            "high_water": self.high_water,
            "targets_hit": self.targets_hit,
        }

    @classmethod
    def restore(cls, plan: ExitPlan, state: dict[str, Any]) -> ExitTracker:
        tracker = cls(float(state["entry_price"]), int(state["entry_index"]), plan, state.get("atr_at_entry"))
        tracker.stop_level = float(state["stop_level"])
        tracker.targets = [(float(level), float(frac)) for level, frac in state["targets"]]
        tracker.trailing_active = bool(state["trailing_active"])
        tracker.high_water = float(state["high_water"])
        tracker.targets_hit = int(state["targets_hit"])
        return tracker
