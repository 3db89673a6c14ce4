"""After the kill switch (HALTED), `resume` does not re-arm trading: only an explicit reset does,
and it says what it re-enables."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal

import pytest

from tradetui.candles.synthetic import SyntheticFeed
from tradetui.core.clock import SimClock
from tradetui.core.events import EngineState, EngineStateChanged, RiskEvent, Severity
from tradetui.core.market import Bar
from tradetui.core.rules import UPBIT_RULES
from tradetui.engine.engine import Engine
from tradetui.engine.handle import EngineHandle
from tradetui.engine.settings import Assignment
from tradetui.risk.limits import AccountLimits, RiskGuard
from tradetui.strategies.registry import create
from tradetui.venues.simulated import SimulatedVenue


def _changes(events: Sequence[object]) -> list[tuple[EngineState, EngineState]]:
    return [(e.old, e.new) for e in events if isinstance(e, EngineStateChanged)]


def test_resume_does_not_lift_the_kill_switch() -> None:
    guard = RiskGuard(AccountLimits())
    guard.halt(1, "kill switch")
    events = guard.resume(2)
    assert guard.state is EngineState.HALTED
    assert _changes(events) == []
    [refusal] = [e for e in events if isinstance(e, RiskEvent)]
    assert refusal.severity is Severity.WARNING
    assert "reset" in refusal.message and "tradetui ctl reset" in refusal.message


@pytest.mark.parametrize("state", [EngineState.RUNNING, EngineState.PAUSED, EngineState.REDUCE_ONLY])
def test_reset_only_acts_on_a_halted_engine(state: EngineState) -> None:
    guard = RiskGuard(AccountLimits(), state=state)
    assert guard.reset(1, "kill switch reset") == []
    assert guard.state is state


def test_reset_is_the_way_out_of_halted() -> None:
    guard = RiskGuard(AccountLimits())
    guard.halt(1, "kill switch")
    assert guard.pause(2) == [] and guard.reduce_only(2) == []  # unchanged: still halted
    assert _changes(guard.reset(3, "kill switch reset: entries again")) == [(EngineState.HALTED, EngineState.RUNNING)]
    assert guard.state is EngineState.RUNNING and guard.state_reason == "kill switch reset: entries again"
    assert _changes(guard.resume(4)) == []  # already running


def test_resume_still_lifts_a_pause_and_reduce_only() -> None:
    guard = RiskGuard(AccountLimits())
    guard.pause(1)
    assert _changes(guard.resume(2)) == [(EngineState.PAUSED, EngineState.RUNNING)]
    guard.reduce_only(3)
    assert _changes(guard.resume(4)) == [(EngineState.REDUCE_ONLY, EngineState.RUNNING)]


def _handle() -> EngineHandle:
    feed = SyntheticFeed("KRW-BTC", bars=10, seed=3)
    clock = SimClock(feed.start_s * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal("10000000"), slippage_bps=5)
    engine = Engine(
        clock=clock, venue=venue, rule_book=UPBIT_RULES, assignments=[Assignment(create("breakout"), ("KRW-BTC",))]
    )

    async def source() -> AsyncIterator[Bar]:
        for bar in feed:
            yield bar
            await asyncio.sleep(0)

    return EngineHandle(engine, mode="DEMO", exchange="upbit", feed=source())


def test_the_engine_reset_says_what_it_re_enables() -> None:
    handle = _handle()
    handle.kill()
    handle.resume()
    assert handle.snapshot().state is EngineState.HALTED
    assert any("tradetui ctl reset" in e.text for e in handle.snapshot().events)
    described = handle.reset_description()
    assert "new entries" in described and "breakout" in described and "KRW-BTC" in described
    assert handle.reset() == described
    snap = handle.snapshot()
    assert snap.state is EngineState.RUNNING
    assert "kill switch reset" in snap.risk.reason and "new entries" in snap.risk.reason
    assert handle.reset() == ""  # nothing to reset any more
    handle.set_strategy_enabled("breakout", False)
    handle.kill()
    assert "no strategy is enabled" in handle.reset_description()
