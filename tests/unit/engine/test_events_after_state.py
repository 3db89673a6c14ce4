"""A listener that hears of a fill finds it already booked: the engine applies a venue's reports
to its orders, portfolio and exits before it publishes any of their events.

Seen before: ``OrderFilled`` went out before the portfolio had applied the fill, so the live
position writer wrote the old positions and had to write again on the next loop turn."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from tradetui.candles.synthetic import generate_market
from tradetui.core.clock import SimClock
from tradetui.core.events import Event, OrderFilled, PositionClosed, PositionOpened
from tradetui.core.rules import UPBIT_RULES
from tradetui.core.types import Side
from tradetui.engine.engine import Engine
from tradetui.engine.settings import Assignment, EngineSettings
from tradetui.execution.order_manager import MemoryJournal
from tradetui.strategies.registry import create
from tradetui.venues.simulated import SimulatedVenue


def test_every_fill_event_finds_the_portfolio_already_booked() -> None:
    series = generate_market("KRW-BTC", bars=6_000, seed=3)
    clock = SimClock(int(series.ts_s[0]) * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal(10_000_000))
    engine = Engine(
        clock=clock,
        venue=venue,
        rule_book=UPBIT_RULES,
        assignments=[Assignment(create("breakout"), ("KRW-BTC",))],
        settings=EngineSettings(deterministic_ids=True),
        journal=MemoryJournal(),
    )
    seen: list[str] = []
    problems: list[str] = []
    fees_announced = Decimal(0)

    def listener(events: Sequence[Event]) -> None:
        nonlocal fees_announced
        for event in events:
            if isinstance(event, OrderFilled):
                fill = event.fill
                seen.append("fill")
                fees_announced += fill.fee
                if engine.portfolio.fees_paid != fees_announced:
                    problems.append(f"{fill.identifier}: announced before its fee was booked")
                if fill.side is Side.BID and engine.portfolio.positions.get(fill.market) is None:
                    problems.append(f"{fill.identifier}: a buy announced before the position exists")
            elif isinstance(event, PositionOpened | PositionClosed):
                seen.append(type(event).__name__)

    engine.listeners.append(listener)
    engine.load_history(series)
    engine.run_history()
    assert seen.count("fill") >= 4, "the series should make the strategy trade"
    assert "PositionOpened" in seen and "PositionClosed" in seen
    assert problems == []
