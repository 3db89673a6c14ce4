"""History a trader can rely on: closed trades and orders of earlier runs of the same profile,
served after a restart (``h`` and ``GET /history/trades``), newest first and bounded."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from tradetui.commands.run import build_session
from tradetui.config import demo_config
from tradetui.control.client import AsyncControlClient
from tradetui.control.remote_handle import RemoteHandle
from tradetui.control.wire_history import closed_trades_from_list, history_orders_from_list

if TYPE_CHECKING:
    from tests.integration.control.conftest import EngineUntil, ServeHandle


async def test_a_restart_serves_the_closed_trades_and_orders_of_the_runs_before(
    tmp_path: Path, engine_until: EngineUntil, serve: ServeHandle
) -> None:
    first = await engine_until(
        tmp_path, lambda h: len(h.closed_trades()) >= 2, "closed fewer than 2 trades", name="s.db"
    )
    earlier = list(reversed(first.handle.closed_trades()))  # newest first
    earlier_orders = await first.handle.orders(5000)
    first.journal.close()  # no stop path: a crash keeps the history as well

    again = build_session(demo_config(), database=tmp_path / "s.db", speed=1.0, max_bars=1, now_s=1_900_000_000)
    try:
        assert again.handle.closed_trades() == []  # this run has closed nothing yet
        async with serve(again.handle, tmp_path) as served:
            answer = await served.http.get("/history/trades")
            assert answer.status_code == 200
            trades = list(closed_trades_from_list(answer.json()["trades"]))
            assert trades == earlier  # the engine's own numbers, the newest first
            assert [t.exit_ms for t in trades] == sorted((t.exit_ms for t in trades), reverse=True)
            answer = await served.http.get("/history/trades", params={"limit": "1"})
            assert list(closed_trades_from_list(answer.json()["trades"])) == earlier[:1]

            answer = await served.http.get("/history/orders", params={"limit": "5000"})
            orders = list(history_orders_from_list(answer.json()["orders"]))
            assert {o.identifier for o in earlier_orders} <= {o.identifier for o in orders}

            remote = RemoteHandle(AsyncControlClient(served.token_file))
            try:
                await remote.refresh()
                assert await remote.trade_history(500) == earlier
            finally:
                await remote.shutdown()
    finally:
        again.journal.close()


async def test_this_runs_closed_trades_join_the_stored_ones_as_they_close(
    tmp_path: Path, engine_until: EngineUntil
) -> None:
    first = await engine_until(tmp_path, lambda h: bool(h.closed_trades()), "closed no trade", name="j.db")
    before = list(reversed(first.handle.closed_trades()))
    first.journal.close()
    second = build_session(demo_config(), database=tmp_path / "j.db", speed=2000.0, max_bars=3000, now_s=1_900_000_000)
    try:
        task = asyncio.create_task(second.handle.run())
        async with asyncio.timeout(30):
            while not second.handle.closed_trades():
                assert not task.done(), "the second run closed no trade"
                await asyncio.sleep(0.01)
        second.handle.request_stop()
        async with asyncio.timeout(10):
            await task
        now = list(reversed(second.handle.closed_trades()))
        history = await second.handle.trade_history(5000)
        assert history == now + before  # this run's (later) first, then the run before's
        assert await second.handle.trade_history(1) == history[:1]
    finally:
        second.journal.close()


async def test_the_history_is_bounded(tmp_path: Path, engine_until: EngineUntil) -> None:
    session = await engine_until(tmp_path, lambda h: len(h.closed_trades()) >= 2, "closed fewer than 2 trades")
    try:
        assert len(await session.handle.trade_history(5000)) == len(session.handle.closed_trades())
        assert len(await session.handle.trade_history(1)) == 1
        assert len(await session.handle.orders(3)) == 3
    finally:
        session.journal.close()


async def test_stored_backtest_runs_over_the_control_api(tmp_path: Path, serve: ServeHandle) -> None:
    from decimal import Decimal

    from tradetui.core.trades import ClosedTrade
    from tradetui.storage.repository import SqliteRepository

    research = tmp_path / "research.db"
    trade = ClosedTrade(
        "KRW-BTC", "breakout", 1_000_000, 2_000_000, Decimal("0.01"), Decimal("100000000"), Decimal("101000000"),
        Decimal("9000"), Decimal("1000"), "take_profit",
    )  # fmt: skip
    repo = await SqliteRepository.open(research)
    try:
        run_id = await repo.save_backtest_run(
            {"created_ms": 1_760_000_000_000, "strategy": "breakout", "markets": ["KRW-BTC"], "timeframe": "1m",
             "start_ms": 1_000_000, "end_ms": 3_000_000, "params": {"lookback": 20},
             "metrics": {"total_return_pct": 0.09, "n_trades": 1}},
            [trade],
            [(1_000, 10_000_000.0, 0.0), (3_000, 10_009_000.0, 0.0)],
        )  # fmt: skip
    finally:
        await repo.close()
    session = build_session(
        demo_config(), database=tmp_path / "s.db", research_database=research, speed=1.0, max_bars=1,
        now_s=1_800_000_000,
    )  # fmt: skip
    try:
        async with serve(session.handle, tmp_path) as served:
            answer = await served.http.get("/history/backtests")
            assert answer.status_code == 200
            runs = answer.json()["runs"]
            assert [r["id"] for r in runs] == [run_id] and runs[0]["markets"] == ["KRW-BTC"]
            answer = await served.http.get(f"/history/backtests/{run_id}")
            assert answer.status_code == 200 and answer.json()["trades"][0]["pnl"] == "9000"
            for bad, status in (("99", 404), ("x", 400), ("-1", 400)):
                answer = await served.http.get(f"/history/backtests/{bad}")
                assert answer.status_code == status and "error" in answer.json(), bad
            remote = RemoteHandle(AsyncControlClient(served.token_file))
            try:
                await remote.refresh()
                summaries = await remote.backtest_runs(10)
                assert summaries == await session.handle.backtest_runs(10)
                run = await remote.backtest_run(run_id)
                assert run is not None and run.trades == (trade,) and run.summary == summaries[0]
                assert await remote.backtest_run(99) is None
            finally:
                await remote.shutdown()
    finally:
        session.journal.close()
