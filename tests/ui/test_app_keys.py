"""Pilot tests of the dashboard's keys against a real (demo) engine."""

from __future__ import annotations

from pathlib import Path

from rendered import rendered_text  # tests/support/rendered.py

from tradetui.commands.run import build_session
from tradetui.config import demo_config
from tradetui.core.events import EngineState
from tradetui.ui.app import TradeTuiApp
from tradetui.ui.screens.dashboard import Dashboard
from tradetui.ui.screens.help_screen import HelpScreen
from tradetui.ui.screens.kill_dialog import KillDialog
from tradetui.ui.widgets.status_bar import StatusBar


def _app(tmp_path: Path, bars: int = 400) -> TradeTuiApp:
    session = build_session(demo_config(), database=tmp_path / "ui.db", speed=400.0, max_bars=bars, now_s=1_800_000_000)
    return TradeTuiApp(session.handle)


async def test_dashboard_shows_the_engine(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(1.0)
        assert isinstance(app.screen, Dashboard)
        status = app.screen.query_one(StatusBar)
        assert status.data is not None and status.data.mode == "DEMO"
        assert "DEMO" in rendered_text(status) and "RUNNING" in rendered_text(status)


async def test_kill_switch_both_ways(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(0.5)
        await pilot.press("k")
        assert isinstance(app.screen, KillDialog)
        await pilot.press("escape")  # backing out changes nothing
        assert isinstance(app.screen, Dashboard)
        assert app.handle.snapshot().state is EngineState.RUNNING
        await pilot.press("k")
        await pilot.press("f")  # cancel and flatten
        await pilot.pause(0.3)
        assert app.handle.snapshot().state is EngineState.HALTED
        assert not app.handle.snapshot().orders or all(o.purpose == "flatten" for o in app.handle.snapshot().orders)


async def test_kill_switch_cancel_orders_only(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        await pilot.press("k", "c")
        await pilot.pause(0.1)
        snap = app.handle.snapshot()
        assert snap.state is EngineState.HALTED and not snap.orders


async def test_pause_resume_and_strategy_toggle_and_help(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("p")
        assert app.handle.snapshot().state is EngineState.PAUSED
        await pilot.press("p")
        assert app.handle.snapshot().state is EngineState.RUNNING
        await pilot.press("t")
        assert not app.handle.snapshot().strategies[0].enabled
        await pilot.press("t")
        assert app.handle.snapshot().strategies[0].enabled
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, Dashboard)


async def test_timeframe_keys_rescale_the_chart(tmp_path: Path) -> None:
    app = _app(tmp_path, bars=600)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(0.8)
        board = app.screen
        assert isinstance(board, Dashboard)
        await pilot.press("right_square_bracket")
        await pilot.pause(0.3)
        chart = board.query_one("#chart").data  # type: ignore[attr-defined]
        assert chart is not None and chart.timeframe == "5m"
        await pilot.press("left_square_bracket")
        await pilot.pause(0.3)
        assert board.query_one("#chart").data.timeframe == "1m"  # type: ignore[attr-defined]


async def test_keys_can_be_remapped_and_quit_asks_with_open_positions(tmp_path: Path) -> None:
    from textual.widgets import Input

    from tradetui.ui.screens.kill_dialog import ConfirmQuit

    session = build_session(demo_config(), database=tmp_path / "ui.db", speed=400.0, max_bars=400, now_s=1_800_000_000)
    app = TradeTuiApp(session.handle, keys={"kill": "x", "nonsense": "y"})
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("x")
        assert isinstance(app.screen, KillDialog)  # the kill switch moved to x
        await pilot.press("escape")
        await pilot.press("k")
        assert isinstance(app.screen, Dashboard)  # and k no longer opens it
        await pilot.press("question_mark")  # help shows the keys as they are now
        assert isinstance(app.screen, HelpScreen)
        assert ("x", "Kill switch") in app.screen.rows and ("k", "Kill switch") not in app.screen.rows
        assert ("[", "Timeframe -") in app.screen.rows and ("^q", "Quit at once") in app.screen.rows
        await pilot.press("escape")
        for _ in range(150):  # run the demo until a position is open (bounded)
            if app.handle.snapshot().positions:
                break
            await pilot.pause(0.1)
        assert app.handle.snapshot().positions
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("escape")
        assert isinstance(app.screen, Dashboard)
        await pilot.press("slash")  # market search opens the command palette
        await pilot.pause(0.2)
        assert app.screen.query(Input)


async def test_narrow_terminal_keeps_the_essentials_in_view(tmp_path: Path) -> None:
    """At 80×24 the status bar switches to its short form (the clock and the day's PnL against
    the loss limit still fit in the line) and the footer goes compact."""
    from textual.widgets import Footer

    app = _app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(0.5)
        wide = rendered_text(app.screen.query_one(StatusBar))
        assert "equity" in wide and "used)" in wide and not app.screen.query_one(Footer).compact
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        status = app.screen.query_one(StatusBar)
        narrow = rendered_text(status).rstrip()
        assert len(narrow) <= 80, narrow
        assert narrow.endswith("KST") and " eq " in narrow and "% of limit)" in narrow
        assert app.screen.query_one(Footer).compact


def test_status_line_drops_the_least_important_first() -> None:
    from tradetui.ui.widgets.status_bar import Segment, fit

    segments: list[Segment] = [
        (" LIVE ", "", 9),
        (" REDUCE_ONLY ", "", 10),
        (" bithumb ", "", 4),
        ("● disconnected ", "", 6),
    ]
    segments += [(" day ", "", 8), ("-1,234,567", "", 8), (" (100% of limit)", "", 5), ("  23:40 KST", "", 8)]
    line = fit(segments, 60).plain
    assert line == " LIVE  REDUCE_ONLY ● disconnected  day -1,234,567  23:40 KST"
    assert fit(segments, 200).plain == "".join(text for text, _, _ in segments)
    assert fit(segments, 5).plain == " REDUCE_ONLY "  # the engine state is the last to go


async def test_collector_settings_last_as_long_as_the_app(tmp_path: Path) -> None:
    import gc

    from tradetui.ui.app import GC_THRESHOLDS

    gc.unfreeze()  # an app an earlier test let die (no unmount) may have left its settings
    gc.set_threshold(700, 10, 10)
    before = gc.get_threshold()
    assert before != GC_THRESHOLDS
    app = _app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(0.5)
        assert gc.get_threshold() == GC_THRESHOLDS and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


async def test_a_refused_command_is_a_notification_not_a_crash(tmp_path: Path) -> None:
    """Attached, the engine can refuse or be gone; the cockpit says so and stays up."""
    from tradetui.errors import TradetuiError

    app = _app(tmp_path)

    def gone(*args: object, **kwargs: object) -> None:
        raise TradetuiError("no engine answers at http://127.0.0.1:1")

    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(0.5)
        app.handle.kill = gone  # type: ignore[method-assign]
        app.handle.set_strategy_enabled = gone  # type: ignore[method-assign]
        await pilot.press("k", "f")
        await pilot.press("t")
        await pilot.pause(0.1)
        assert isinstance(app.screen, Dashboard) and app.is_running
        messages = [n.message for n in app._notifications]
        assert any(m.startswith("kill switch failed: no engine answers") for m in messages), messages
        assert any(m.startswith("toggling breakout failed") for m in messages), messages
        assert not any(m.startswith("HALTED") for m in messages)
        assert app.handle.snapshot().state is EngineState.RUNNING
