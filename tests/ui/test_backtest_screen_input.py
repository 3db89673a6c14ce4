"""The TUI backtest (`b`) loads a candle file the way `tradetui backtest` does: a broken file is one
red status line naming the line, and the app goes on."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from candle_csv import write_candles_csv  # tests/support/candle_csv.py
from textual.widgets import Button, Input

from tradetui.backtest.service import SessionBacktests
from tradetui.candles.synthetic import generate_market
from tradetui.commands.run import build_session
from tradetui.config import demo_config, load_config
from tradetui.core.market import Timeframe
from tradetui.session.spec import SessionSpec
from tradetui.ui.app import TradeTuiApp
from tradetui.ui.screens.backtest import BacktestScreen

SAMPLES = Path(__file__).resolve().parents[2] / "sample_configs"
UNSORTED = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "candles" / "unsorted"


async def test_a_file_out_of_time_order_is_named_not_run(tmp_path: Path) -> None:
    (candles,) = list(UNSORTED.iterdir())
    session = build_session(demo_config(), database=tmp_path / "ui.db", speed=500.0, max_bars=50, now_s=1_800_000_000)
    app = TradeTuiApp(session.handle, backtests=SessionBacktests(session.spec))
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


async def test_a_backtest_in_the_tui_runs_with_the_sessions_rules_and_money(tmp_path: Path) -> None:
    """`b` answers for the bot as configured: the session's exchange, fees and volume decimals,
    cash and strategy parameters (it ran on Upbit defaults with 10,000,000 KRW before)."""
    config = load_config(SAMPLES / "bithumb-paper.toml")
    spec = SessionSpec.from_config(config)
    session = build_session(demo_config(), database=tmp_path / "ui.db", speed=500.0, max_bars=50, now_s=1_800_000_000)
    candles = tmp_path / "bithumb_KRW-BTC_5m_20250101_20250111.csv"
    series = generate_market("KRW-BTC", bars=3_000, seed=3, timeframe=Timeframe.M5)
    write_candles_csv(series, candles)
    app = TradeTuiApp(session.handle, backtests=SessionBacktests(spec))
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("b")
        screen = app.screen
        assert isinstance(screen, BacktestScreen)
        status = str(screen.query_one("#bt-status").render())
        assert "bithumb" in status and "0.04 %" in status, status
        assert screen.query_one("#bt-cash", Input).value == "5000000"
        screen.query_one("#bt-data", Input).value = str(candles)
        screen.action_run()
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        result = screen.result
        assert result is not None, str(screen.query_one("#bt-status").render())
        assert result.rule_book == spec.rule_book and result.cash_krw == Decimal(5_000_000)
        assert result.rule_book.current().volume_decimals == 4  # the book the run's engine traded under
        assert all(f.volume == f.volume.quantize(Decimal("0.0001")) for f in result.fills)
        assert result.fills and all(f.fee == (f.funds * Decimal("0.0004")).quantize(f.fee) for f in result.fills)


async def test_without_a_backtest_service_the_screen_says_so_and_runs_nothing(tmp_path: Path) -> None:
    """An app built without the service (a front end that has no research code to offer): `b`
    still opens, says why nothing runs, and ctrl+r, enter and the buttons do nothing harmful."""
    session = build_session(demo_config(), database=tmp_path / "ui.db", speed=500.0, max_bars=50, now_s=1_800_000_000)
    app = TradeTuiApp(session.handle)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("b")
        screen = app.screen
        assert isinstance(screen, BacktestScreen)
        assert "not available" in str(screen.query_one("#bt-status").render())
        assert screen.query_one("#bt-run", Button).disabled
        await pilot.press("ctrl+r", "enter", "tab", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        assert screen.result is None and app.is_running
        assert "not available" in str(screen.query_one("#bt-status").render())
