"""`h` after a restart shows the earlier runs' closed trades and orders; the TUI backtest (`b`)
stores its run like the CLI does, and `h` lists stored runs with their report on enter."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

from rich.console import Console
from textual.widgets import DataTable, Input, Static, TabbedContent

from tradetui.backtest.service import SessionBacktests
from tradetui.commands.run import RunningSession, build_session
from tradetui.config import demo_config
from tradetui.storage.repository import SqliteRepository
from tradetui.ui.app import TradeTuiApp
from tradetui.ui.screens.backtest import BacktestScreen
from tradetui.ui.screens.history import HistoryScreen, RunReportScreen


async def _traded(database: Path) -> RunningSession:
    session = build_session(demo_config(), database=database, speed=2000.0, max_bars=3000, now_s=1_800_000_000)
    task = asyncio.create_task(session.handle.run())
    deadline = time.monotonic() + 30
    while len(session.handle.closed_trades()) < 2 and time.monotonic() < deadline and not task.done():
        await asyncio.sleep(0.01)
    session.handle.request_stop()
    await asyncio.wait_for(task, 10)
    assert len(session.handle.closed_trades()) >= 2, "the demo closed fewer than 2 trades"
    return session


async def test_history_after_a_restart_shows_the_earlier_runs(tmp_path: Path) -> None:
    first = await _traded(tmp_path / "s.db")
    closed = len(first.handle.closed_trades())
    first.journal.close()
    again = build_session(demo_config(), database=tmp_path / "s.db", speed=1.0, max_bars=1, now_s=1_900_000_000)
    app = TradeTuiApp(again.handle, backtests=SessionBacktests(again.spec))
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await pilot.press("h")
            assert isinstance(app.screen, HistoryScreen)
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
            trades = app.screen.query_one("#trades", DataTable)
            assert trades.row_count == closed
            assert app.screen.query_one("#order-history", DataTable).row_count >= 2 * closed
            await pilot.press("2")
            assert app.screen.query_one(TabbedContent).active == "history-orders"
            await pilot.press("3")
            assert app.screen.query_one(TabbedContent).active == "history-runs"
            assert app.screen.query_one("#backtest-runs", DataTable).row_count == 0
    finally:
        again.journal.close()


async def test_the_tui_backtest_stores_its_run_and_history_shows_its_report(tmp_path: Path) -> None:
    research = tmp_path / "research.db"
    session = build_session(
        demo_config(), database=tmp_path / "s.db", research_database=research, speed=1.0, max_bars=1,
        now_s=1_800_000_000,
    )  # fmt: skip
    app = TradeTuiApp(session.handle, backtests=SessionBacktests(session.spec))
    try:
        async with app.run_test(size=(120, 35)) as pilot:
            await pilot.press("b")
            screen = app.screen
            assert isinstance(screen, BacktestScreen)
            screen.query_one("#bt-from", Input).value = "2025-09-01"
            screen.query_one("#bt-to", Input).value = "2025-09-05"
            screen.action_run()
            for _ in range(600):
                await app.workers.wait_for_complete()
                await pilot.pause(0.05)
                if "stored" in str(screen.query_one("#bt-status").render()):
                    break
            status = str(screen.query_one("#bt-status").render())
            assert "stored as run #1" in status, status
            await pilot.press("escape")
            await pilot.press("h")
            assert isinstance(app.screen, HistoryScreen)
            await pilot.press("3")
            await app.workers.wait_for_complete()
            await pilot.pause(0.2)
            runs = app.screen.query_one("#backtest-runs", DataTable)
            assert runs.row_count == 1
            runs.focus()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)
            assert isinstance(app.screen, RunReportScreen)
            assert app.screen.query_one("#run-report", Static).is_mounted
            console = Console(width=120, record=True, file=io.StringIO())
            console.print(app.screen.report)
            report = console.export_text()
            assert "Backtest run #1" in report and "Total return" in report and "KRW-SYN" in report
            await pilot.press("escape")
            assert isinstance(app.screen, HistoryScreen)
    finally:
        session.journal.close()
    repo = await SqliteRepository.open(research)
    try:
        stored = await repo.list_backtest_runs()
    finally:
        await repo.close()
    assert len(stored) == 1 and stored[0].strategy == "breakout" and stored[0].markets == ("KRW-SYN",)
