"""One clock per view: the demo's market time runs 60× faster than the wall clock, so it starts far
enough in the past and a bar is never released before its close has happened on the wall clock:
nothing is stored with a date later than the wall clock. The snapshot says whose time it shows."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

from tradetui.commands.run import DEMO_LEAD_S, build_session
from tradetui.config import demo_config
from tradetui.control.wire import snapshot_from_dict, snapshot_to_dict
from tradetui.core.clock import ScaledClock
from tradetui.core.market import Bar, Timeframe
from tradetui.engine.feeds import not_before_close


def _stored_times(database: Path) -> dict[str, int]:
    """The latest value of every time column (``*_ms``, ``ts``, ``ts_s`` in ms) of every table."""
    latest: dict[str, int] = {}
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for column in [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]:
                if not (column.endswith("_ms") or column in ("ts", "ts_s", "day_ms")):
                    continue
                (value,) = db.execute(f'SELECT MAX("{column}") FROM "{table}"').fetchone()
                if isinstance(value, int):
                    latest[f"{table}.{column}"] = value * 1000 if column == "ts_s" else value
    return latest


async def test_nothing_the_demo_stores_is_later_than_the_wall_clock(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    session = build_session(demo_config(), database=database, speed=2000.0, max_bars=3000, now_s=int(time.time()))
    handle = session.handle
    await handle.run()
    await handle.shutdown()
    session.journal.close()
    wall_ms = int(time.time() * 1000)
    assert handle.snapshot().trades_closed > 0  # it traded: orders, fills and trades were stored
    stored = _stored_times(database)
    assert any(name.startswith("orders.") for name in stored), stored
    future = {name: value for name, value in stored.items() if value > wall_ms}
    assert not future, f"stored after the wall clock ({wall_ms}): {future}"


def test_the_demo_market_starts_in_the_past_and_says_it_runs_faster(tmp_path: Path) -> None:
    now_s = int(time.time())
    session = build_session(demo_config(), database=tmp_path / "d.db", speed=1.0, now_s=now_s)
    try:
        snap = session.handle.snapshot()
        assert snap.ts_ms <= (now_s - DEMO_LEAD_S + 60) * 1000  # market time, a long way before the wall
        assert snap.time_scale == 60.0  # one 1m candle a second
        assert snapshot_from_dict(snapshot_to_dict(snap)).time_scale == 60.0  # and over the control API
    finally:
        session.journal.close()


async def test_a_bar_is_never_released_before_its_close_on_the_wall_clock() -> None:
    wall = ScaledClock(1.0)
    start_s = wall.now_ms() // 1000 - 60  # the first bar closes now, the next ones in 1 s steps

    async def bars() -> AsyncIterator[Bar]:
        price = Decimal(100)
        for k in range(3):  # 1m bars opened one second apart: they close now, in 1 s and in 2 s
            yield Bar("KRW-DEMO", Timeframe.M1, start_s + k, price, price, price, price, Decimal(1))

    released = []
    async with asyncio.timeout(30):
        async for bar in not_before_close(bars(), wall):
            released.append((bar, wall.now_ms()))
    assert len(released) == 3
    for bar, at_ms in released:
        assert at_ms >= (bar.ts_s + bar.timeframe.seconds) * 1000
