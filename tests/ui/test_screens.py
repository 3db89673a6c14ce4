"""Pilot tests of the screens: strategies, settings (apply and reject), backtest (run and
cancel), logs filter, history."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, DataTable, Input, Static

from tradetui.backtest.service import SessionBacktests
from tradetui.commands.run import build_session
from tradetui.config import demo_config
from tradetui.ui.app import TradeTuiApp
from tradetui.ui.screens.backtest import BacktestScreen
from tradetui.ui.screens.dashboard import Dashboard
from tradetui.ui.screens.history import HistoryScreen
from tradetui.ui.screens.logs import LogsScreen
from tradetui.ui.screens.settings import SettingsScreen
from tradetui.ui.screens.strategies import StrategiesScreen
from tradetui.ui.widgets.event_log import EventLog


def _app(tmp_path: Path, bars: int = 600) -> TradeTuiApp:
    session = build_session(demo_config(), database=tmp_path / "ui.db", speed=500.0, max_bars=bars, now_s=1_800_000_000)
    return TradeTuiApp(session.handle, backtests=SessionBacktests(session.spec))


async def test_strategies_screen_toggles(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("s")
        assert isinstance(app.screen, StrategiesScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 1
        await pilot.press("space")
        assert not app.handle.snapshot().strategies[0].enabled
        await pilot.press("space")
        assert app.handle.snapshot().strategies[0].enabled
        await pilot.press("escape")
        assert isinstance(app.screen, Dashboard)


async def test_settings_apply_and_reject(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        screen.query_one("#risk-max_open_positions", Input).value = "0"  # invalid
        screen.action_apply()
        await pilot.pause(0.1)
        assert app.handle.risk_settings()[1].max_open_positions == 3
        assert "max_open_positions" in str(screen.query_one("#preview-box", Static).render())
        screen.query_one("#risk-max_open_positions", Input).value = "5"
        screen.query_one("#param-lookback", Input).value = "30"
        screen.action_apply()
        await pilot.pause(0.5)
        assert app.handle.risk_settings()[1].max_open_positions == 5
        assert app.handle.snapshot().strategies[0].params["lookback"] == 30
        events = [e.text for e in app.handle.snapshot(max_events=200).events]
        assert any("max_open_positions: 3 -> 5" in t for t in events)
    from tradetui.storage.repository import SqliteRepository

    repo = await SqliteRepository.open(tmp_path / "ui.db")
    try:
        history = await repo.load_config_history()
    finally:
        await repo.close()
    assert history and "max_open_positions = 5" in history[-1].config_text and history[-1].changed_by == "tui"


async def test_backtest_runs_and_can_be_cancelled(tmp_path: Path) -> None:
    app = _app(tmp_path, bars=50)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("b")
        screen = app.screen
        assert isinstance(screen, BacktestScreen)
        screen.action_run()
        screen.action_cancel()  # cancelled before it got far
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        assert "cancelled" in str(screen.query_one("#bt-status").render())
        screen.query_one("#bt-from", Input).value = "2025-09-01"
        screen.query_one("#bt-to", Input).value = "2025-09-20"
        screen.action_run()
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        assert screen.result is not None and screen.result.bars > 20_000
        assert "done:" in str(screen.query_one("#bt-status").render())
        assert screen.query_one("#bt-run", Button).disabled is False


async def test_logs_filter_and_history(tmp_path: Path) -> None:
    app = _app(tmp_path, bars=900)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(2.5)
        await pilot.press("l")
        assert isinstance(app.screen, LogsScreen)
        log = app.screen.query_one(EventLog)
        await pilot.pause(0.6)
        everything = len(log.lines)
        app.screen.query_one(Input).value = "fill"
        await pilot.pause(0.6)
        assert 0 < len(log.lines) < everything
        await pilot.press("h")
        assert isinstance(app.screen, HistoryScreen)
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        assert app.screen.query_one("#order-history", DataTable).row_count >= 1
