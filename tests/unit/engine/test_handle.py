"""EngineHandle: commands reach the engine, the read model reflects it, events stream out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tradetui.candles.synthetic import SyntheticFeed
from tradetui.commands.run import build_session
from tradetui.config import demo_config
from tradetui.core.clock import SimClock
from tradetui.core.events import EngineState, Event, OrderFilled
from tradetui.core.market import Bar
from tradetui.core.rules import UPBIT_RULES
from tradetui.engine.engine import Engine
from tradetui.engine.handle import EngineHandle
from tradetui.engine.settings import Assignment
from tradetui.strategies.registry import create
from tradetui.venues.simulated import SimulatedVenue


def _handle(bars: int) -> EngineHandle:
    feed = SyntheticFeed("KRW-BTC", bars=bars, seed=3)
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


async def test_events_stream_and_snapshot_follow_the_run() -> None:
    handle = _handle(3_000)
    seen: list[Event] = []

    async def collect() -> None:
        async for event in handle.events():
            seen.append(event)

    task = asyncio.create_task(collect())
    await asyncio.sleep(0)
    await handle.run()
    task.cancel()
    snap = handle.snapshot()
    assert any(isinstance(e, OrderFilled) for e in seen)
    assert snap.bars_processed == 3_000
    assert snap.trades_closed == len(handle.engine.portfolio.closed)
    assert snap.events and snap.strategies[0].name == "breakout" and snap.strategies[0].enabled
    assert snap.equity == handle.engine.equity_and_exposure()[0]


async def test_commands_change_state_and_params() -> None:
    handle = _handle(10)
    handle.pause()
    assert handle.snapshot().state is EngineState.PAUSED
    handle.resume()
    handle.set_strategy_enabled("breakout", False)
    assert not handle.snapshot().strategies[0].enabled
    handle.set_params("breakout", {"lookback": 40})
    assert handle.snapshot().strategies[0].params["lookback"] == 40
    with pytest.raises(ValueError, match="lookback"):
        handle.set_params("breakout", {"lookback": -1})
    with pytest.raises(ValueError, match="timeframe"):
        handle.set_params("breakout", {"timeframe": "5m"})
    handle.reduce_only()
    assert handle.snapshot().state is EngineState.REDUCE_ONLY
    handle.pause()  # a pause does not loosen reduce-only
    assert handle.snapshot().state is EngineState.REDUCE_ONLY
    handle.kill(flatten=True)
    assert handle.snapshot().state is EngineState.HALTED


async def test_request_stop_ends_run_promptly() -> None:
    handle = _handle(1_000_000)
    runner = asyncio.create_task(handle.run())
    await asyncio.sleep(0.05)
    handle.request_stop()
    await asyncio.wait_for(runner, timeout=5)
    assert 0 < handle.snapshot().bars_processed < 1_000_000


async def test_watchlist_and_chart_views() -> None:
    handle = _handle(2_000)
    await handle.run()
    (row,) = handle.markets()
    m = handle.engine.markets["KRW-BTC"]
    assert row.market == "KRW-BTC" and row.last is not None
    assert float(row.last) == float(m.close[m.n - 1])
    # 24h of 1m bars: the change is measured against the close 1,440 bars back
    expected = (float(m.close[m.n - 1]) / float(m.close[m.n - 1 - 1440]) - 1) * 100
    assert row.change_pct is not None and abs(row.change_pct - expected) < 1e-9
    assert row.turnover_24h > 0
    chart = handle.chart("KRW-BTC", bars=100)
    assert chart is not None and len(chart.close) == 100 and chart.close[-1] == float(m.close[m.n - 1])
    fills = handle.engine.journal.fills  # type: ignore[attr-defined]
    in_window = [f for f in fills if f.ts_ms // 1000 >= chart.ts_s[0]]
    assert len(chart.buys) + len(chart.sells) == len(in_window)
    assert handle.chart("KRW-NOPE") is None


async def test_a_second_run_while_the_first_feeds_is_refused_and_the_first_goes_on(tmp_path: Path) -> None:
    """Seen in a test app that started the engine twice: the second run took bars from the same
    feed, broke it, and the first stopped trading without a word."""
    session = build_session(demo_config(), database=tmp_path / "h.db", speed=300.0, now_s=1_800_000_000)
    handle = session.handle
    first = asyncio.create_task(handle.run())
    await asyncio.sleep(0.2)
    with pytest.raises(RuntimeError, match="the engine is already running"):
        await handle.run()
    before = handle.engine.bars_processed
    async with asyncio.timeout(60):
        while handle.engine.bars_processed < before + 50:
            await asyncio.sleep(0.05)
    handle.request_stop()
    await first
    session.journal.close()
