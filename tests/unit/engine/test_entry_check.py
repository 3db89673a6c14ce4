"""A running engine (demo, paper, live) says at start when its settings deny every entry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from tradetui.candles.synthetic import SyntheticFeed
from tradetui.core.clock import SimClock
from tradetui.core.events import RiskEvent
from tradetui.core.market import Bar
from tradetui.core.rules import UPBIT_RULES
from tradetui.engine.engine import Engine
from tradetui.engine.handle import EngineHandle
from tradetui.engine.settings import Assignment
from tradetui.strategies.registry import create
from tradetui.venues.simulated import SimulatedVenue


def _handle(cash: str) -> EngineHandle:
    feed = SyntheticFeed("KRW-BTC", bars=50, seed=3)
    clock = SimClock(feed.start_s * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal(cash), slippage_bps=5)
    engine = Engine(
        clock=clock, venue=venue, rule_book=UPBIT_RULES, assignments=[Assignment(create("breakout"), ("KRW-BTC",))]
    )

    async def source() -> AsyncIterator[Bar]:
        for bar in feed:
            yield bar
            await asyncio.sleep(0)

    return EngineHandle(engine, mode="DEMO", exchange="upbit", feed=source())


def _cannot_enter(handle: EngineHandle) -> list[RiskEvent]:
    return [e for e in handle.engine.recent_events if isinstance(e, RiskEvent) and e.rule == "cannot_enter"]


async def test_a_session_with_too_little_cash_says_so_before_the_first_bar(caplog: pytest.LogCaptureFixture) -> None:
    handle = _handle("4000")
    with caplog.at_level(logging.WARNING, logger="tradetui.engine.engine"):
        await handle.run()
    (event,) = _cannot_enter(handle)
    assert "4,000 KRW of cash cannot pay the smallest order" in event.message
    assert handle.engine.recent_events[0] is event  # said first, before anything traded
    assert any("cannot pay the smallest order" in r.getMessage() for r in caplog.records)


async def test_a_healthy_session_says_nothing() -> None:
    handle = _handle("10000000")
    await handle.run()
    assert _cannot_enter(handle) == []
