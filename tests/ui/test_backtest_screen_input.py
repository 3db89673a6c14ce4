"""The TUI backtest (`b`) loads a candle file the way `tradetui backtest` does: a broken file is one
red status line naming the line, and the app goes on."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tradetui.commands.run import build_session
from tradetui.config import demo_config
from tradetui.ui.app import TradeTuiApp
from tradetui.ui.screens.backtest import BacktestScreen

UNSORTED = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "candles" / "unsorted"


async def test_a_file_out_of_time_order_is_named_not_run(tmp_path: Path) -> None:
    (candles,) = list(UNSORTED.iterdir())
    session = build_session(demo_config(), database=tmp_path / "ui.db", speed=500.0, max_bars=50, now_s=1_800_000_000)
    app = TradeTuiApp(session.handle)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("b")
        screen = app.screen
        assert isinstance(screen, BacktestScreen)
        screen.query_one("#bt-data", Input).value = str(candles)
        screen.action_run()
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        status = str(screen.query_one("#bt-status").render())
        assert "line 23" in status and "earlier than line 22" in status, status
        assert screen.result is None and app.is_running
