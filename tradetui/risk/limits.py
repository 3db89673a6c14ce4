"""Account-level limits and the engine's risk state (RUNNING, PAUSED, REDUCE_ONLY, HALTED).

HALTED (the kill switch) is left only by an explicit :meth:`RiskGuard.reset`; ``resume`` lifts a
pause or reduce-only, never the kill switch.

Every change of state is returned as an event with its reason; nothing changes silently.
The trading day rolls at 09:00 KST (00:00 UTC).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from tradetui.core.clock import trading_day_start_ms
from tradetui.core.events import EngineState, EngineStateChanged, Event, RiskEvent, Severity
from tradetui.core.notation import krw


@dataclass(frozen=True, slots=True)
class AccountLimits:
    max_open_positions: int = 3
    max_exposure_pct: float = 80.0
    """Sum of position values as a percent of equity."""
    daily_loss_pct: float | None = 3.0
    """Pause entries for the rest of the trading day after losing this percent of the day's starting equity."""
    daily_loss_krw: Decimal | None = None
    """The same limit in KRW; whichever is hit first applies."""
    max_consecutive_losses: int | None = 3
    cooldown_minutes: int = 60
    """Entries wait this long after ``max_consecutive_losses`` losing trades in a row."""


_AUTO_DAILY = "daily loss limit"

RESUME_REFUSED = (
    "the kill switch is on: resume does not re-arm trading; reset it with `tradetui ctl reset`, "
    "POST /reset or `p` in the TUI (each says what it re-enables)"
)


def reset_text(enabled: Mapping[str, Sequence[str]]) -> str:
    """What lifting the kill switch re-enables, given the enabled strategies and their markets."""
    kept = "exits and stops kept working while halted; orders the kill switch cancelled are not placed again"
    if not enabled:
        return f"kill switch reset: no strategy is enabled, so no new entries until one is turned on ({kept})"
    parts = [f"{name} on {', '.join(markets) or 'no market'}" for name, markets in enabled.items()]
    return f"kill switch reset: new entries allowed again for {'; '.join(parts)} ({kept})"


@dataclass(slots=True)
class RiskGuard:
    limits: AccountLimits
    state: EngineState = EngineState.RUNNING
    state_reason: str = "started"
    day_start_ms: int = -1
    day_start_equity: Decimal = Decimal(0)
    consecutive_losses: int = 0
    cooldown_until_ms: int = 0
    paused_by_daily_limit: bool = False
    paused_by_feed: bool = False

    # --- state changes -------------------------------------------------------------------------

    def _set(self, new: EngineState, reason: str, ts_ms: int) -> list[Event]:
        if new is self.state:
            return []
        old, self.state, self.state_reason = self.state, new, reason
        if new is not EngineState.PAUSED:
            self.paused_by_daily_limit = False
            self.paused_by_feed = False
        return [EngineStateChanged(ts_ms, old, new, reason)]

    def pause(self, ts_ms: int, reason: str = "paused by the trader") -> list[Event]:
        if self.state in (EngineState.HALTED, EngineState.REDUCE_ONLY):
            return []
        self.paused_by_daily_limit = False
        self.paused_by_feed = False
        return self._set(EngineState.PAUSED, reason, ts_ms)

    def pause_for_feed(self, ts_ms: int, reason: str) -> list[Event]:
        """Market data went stale: no entries until it is back (exits keep working)."""
        if self.state is not EngineState.RUNNING:
            return []
        events = self._set(EngineState.PAUSED, f"market data: {reason}", ts_ms)
        self.paused_by_feed = True
        return events

    def resume_after_feed(self, ts_ms: int) -> list[Event]:
        """Market data is back; resumes only a pause the feed itself caused."""
        if self.state is EngineState.PAUSED and self.paused_by_feed:
            return self._set(EngineState.RUNNING, "market data restored", ts_ms)
        return []

    def resume(self, ts_ms: int, reason: str = "resumed by the trader") -> list[Event]:
        """PAUSED or REDUCE_ONLY → RUNNING. A HALTED engine stays halted (only :meth:`reset`
        lifts the kill switch); the refusal is returned as a warning so the trader sees why."""
        if self.state is EngineState.HALTED:
            return [RiskEvent(ts_ms, "kill_switch", RESUME_REFUSED, level=Severity.WARNING)]
        return self._set(EngineState.RUNNING, reason, ts_ms)

    def reset(self, ts_ms: int, reason: str) -> list[Event]:
        """Lift the kill switch: HALTED → RUNNING, the one way out of HALTED; nothing otherwise."""
        if self.state is not EngineState.HALTED:
            return []
        return self._set(EngineState.RUNNING, reason, ts_ms)

    def reduce_only(self, ts_ms: int, reason: str = "reduce-only set by the trader") -> list[Event]:
        if self.state is EngineState.HALTED:
            return []
        return self._set(EngineState.REDUCE_ONLY, reason, ts_ms)

    def halt(self, ts_ms: int, reason: str = "kill switch") -> list[Event]:
        return self._set(EngineState.HALTED, reason, ts_ms)

    # --- the trading day and limits ------------------------------------------------------------

    def observe_equity(self, ts_ms: int, equity: Decimal) -> list[Event]:
        """Roll the trading day if needed, then check the daily loss limit."""
        events: list[Event] = []
        day = trading_day_start_ms(ts_ms)
        if day != self.day_start_ms:
            self.day_start_ms = day
            self.day_start_equity = equity
            if self.state is EngineState.PAUSED and self.paused_by_daily_limit:
                events += self._set(EngineState.RUNNING, "new trading day (09:00 KST): daily loss limit reset", ts_ms)
        day_pnl = equity - self.day_start_equity
        breach = self._daily_breach(day_pnl)
        if breach and self.state is EngineState.RUNNING:
            events.append(RiskEvent(ts_ms, "daily_loss", breach, level=Severity.ERROR))
            events += self._set(EngineState.PAUSED, f"{_AUTO_DAILY}: {breach}", ts_ms)
            self.paused_by_daily_limit = True
        return events

    def day_pnl(self, equity: Decimal) -> Decimal:
        return equity - self.day_start_equity

    def _daily_breach(self, day_pnl: Decimal) -> str:
        limits = self.limits
        if limits.daily_loss_krw is not None and day_pnl <= -limits.daily_loss_krw:
            return f"day PnL {krw(day_pnl)} reached the limit of {krw(-limits.daily_loss_krw)}"
        if limits.daily_loss_pct is not None and self.day_start_equity > 0:
            pct = float(day_pnl / self.day_start_equity * 100)
            if pct <= -limits.daily_loss_pct:
                return f"day PnL {pct:.2f} % reached the limit of -{limits.daily_loss_pct:g} %"
        return ""

    def on_trade_closed(self, ts_ms: int, pnl: Decimal) -> list[Event]:
        limit = self.limits.max_consecutive_losses
        if pnl < 0:
            self.consecutive_losses += 1
        else:
            self.consecutive_losses = 0
        if limit is not None and self.consecutive_losses >= limit:
            self.consecutive_losses = 0
            self.cooldown_until_ms = ts_ms + self.limits.cooldown_minutes * 60_000
            return [
                RiskEvent(
                    ts_ms,
                    "cooldown",
                    f"{limit} losing trades in a row: no entries for {self.limits.cooldown_minutes} min",
                )
            ]
        return []

    def entry_denial(
        self, ts_ms: int, *, equity: Decimal, open_positions: int, exposure_krw: Decimal, amount_krw: Decimal
    ) -> str:
        """Why a new entry must not happen now ('' if it may)."""
        if not self.state.allows_entries:
            return f"engine is {self.state} ({self.state_reason})"
        if ts_ms < self.cooldown_until_ms:
            return "cool-down after consecutive losses"
        if open_positions >= self.limits.max_open_positions:
            return f"{open_positions} positions open (limit {self.limits.max_open_positions})"
        if equity > 0:
            after = float((exposure_krw + amount_krw) / equity * 100)
            if after > self.limits.max_exposure_pct + 1e-9:
                return f"exposure would be {after:.1f} % (limit {self.limits.max_exposure_pct:g} %)"
        return ""
