"""The engine's commands (what the trader and the control API ask of it), as a mixin of ``Engine``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from tradetui.core.clock import Clock
from tradetui.core.events import EngineState, Event, Notice, Severity, StrategyChanged
from tradetui.engine.market_state import MarketState
from tradetui.engine.settings import EngineSettings
from tradetui.execution.order_manager import OrderManager
from tradetui.risk.limits import AccountLimits, RiskGuard, reset_text
from tradetui.risk.sizing import SizingRules
from tradetui.strategies.base import Strategy

if TYPE_CHECKING:
    from tradetui.core.orders import Order


class EngineCommands:
    clock: Clock
    risk: RiskGuard
    om: OrderManager
    markets: dict[str, MarketState]
    strategies: dict[str, Strategy]
    enabled: dict[str, bool]
    assignments: dict[str, list[str]]
    settings: EngineSettings

    def _emit(self, events: Iterable[Event]) -> None:  # pragma: no cover - provided by Engine
        raise NotImplementedError

    def _pump(self, bar_index: int | None) -> None:  # pragma: no cover - provided by Engine
        raise NotImplementedError

    def _submit(self, m: MarketState, order: Order, i: int) -> None:  # pragma: no cover - provided by Engine
        raise NotImplementedError

    def pause(self, reason: str = "paused by the trader") -> None:
        self._emit(self.risk.pause(self.clock.now_ms(), reason))

    def resume(self, reason: str = "resumed by the trader") -> None:
        self._emit(self.risk.resume(self.clock.now_ms(), reason))

    def reset_description(self) -> str:
        """What :meth:`reset` re-enables: the enabled strategies and their markets."""
        enabled = {
            name: [market for market, names in self.assignments.items() if name in names]
            for name in self.strategies
            if self.enabled[name]
        }
        return reset_text(enabled)

    def reset(self) -> str:
        """Lift the kill switch (HALTED → RUNNING) and return what that re-enabled; '' when the
        engine was not halted. ``resume`` never does this."""
        if self.risk.state is not EngineState.HALTED:
            return ""
        text = self.reset_description()
        self._emit(self.risk.reset(self.clock.now_ms(), text))
        return text

    def pause_for_feed(self, reason: str) -> None:
        self._emit(self.risk.pause_for_feed(self.clock.now_ms(), reason))

    def resume_after_feed(self) -> None:
        self._emit(self.risk.resume_after_feed(self.clock.now_ms()))

    def reduce_only(self, reason: str = "reduce-only set by the trader") -> None:
        self._emit(self.risk.reduce_only(self.clock.now_ms(), reason))

    def kill(self, *, flatten: bool = False, reason: str = "kill switch") -> None:
        """HALT: cancel every open order; with ``flatten`` also sell every position at market."""
        now = self.clock.now_ms()
        self._emit(self.risk.halt(now, reason + (" (flatten)" if flatten else "")))
        self.cancel_all_orders()
        if flatten:
            self.flatten()

    def cancel_all_orders(self) -> None:
        for order in self.om.open_orders():
            self.om.cancel(order.identifier)
        self._pump(None)

    def flatten(self) -> None:
        for m in self.markets.values():
            pos = m.position
            if pos is None or m.pending or pos.volume <= 0:
                continue
            pos.exit_reason = "flatten"
            self._submit(
                m, self.om.market_sell(m.market, pos.volume, purpose="flatten", strategy=pos.strategy), max(m.n - 1, 0)
            )

    def set_strategy_enabled(self, name: str, enabled: bool) -> None:
        if name not in self.strategies:
            raise KeyError(f"unknown strategy {name!r}; running: {', '.join(self.strategies)}")
        if self.enabled[name] != enabled:
            self.enabled[name] = enabled
            self._emit([StrategyChanged(self.clock.now_ms(), name, enabled)])

    def set_risk(self, *, sizing: SizingRules, limits: AccountLimits, note: str = "risk settings changed") -> None:
        """New sizing and account limits, in force from the next decision on."""
        self.settings = replace(self.settings, sizing=sizing, limits=limits)
        self.risk.limits = limits
        self._emit([Notice(self.clock.now_ms(), note, Severity.INFO, source="settings")])

    def replace_strategy(self, strategy: Strategy) -> None:
        """New parameters for a running strategy; decisions from the next bar on use them."""
        name = strategy.name
        if name not in self.strategies:
            raise KeyError(f"unknown strategy {name!r}")
        self.strategies[name] = strategy
        for m in self.markets.values():
            sig = m.signals.get(name)
            if sig is not None:
                sig.strategy = strategy
        self._emit([StrategyChanged(self.clock.now_ms(), name, self.enabled[name], "parameters changed")])
