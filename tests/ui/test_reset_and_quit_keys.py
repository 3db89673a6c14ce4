"""`p` on a HALTED engine asks to reset the kill switch (saying what it re-enables) instead of
resuming; ctrl+c asks like `q` when positions or orders are open; ctrl+q quits at once."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Label

from tradetui.commands.run import build_session
from tradetui.config import demo_config
from tradetui.core.events import EngineState
from tradetui.ui.app import TradeTuiApp
from tradetui.ui.screens.dashboard import Dashboard
from tradetui.ui.screens.help_screen import HelpScreen
from tradetui.ui.screens.kill_dialog import ConfirmQuit, ResetDialog


def _app(tmp_path: Path, bars: int = 400) -> TradeTuiApp:
    session = build_session(demo_config(), database=tmp_path / "ui.db", speed=400.0, max_bars=bars, now_s=1_800_000_000)
    return TradeTuiApp(session.handle)


async def test_p_on_a_halted_engine_asks_to_reset_the_kill_switch(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("k", "c")
        await pilot.pause(0.1)
        assert app.handle.snapshot().state is EngineState.HALTED
        await pilot.press("p")
        assert isinstance(app.screen, ResetDialog)
        text = " ".join(str(label.render()) for label in app.screen.query(Label))
        assert "new entries allowed again for breakout on KRW-DEMO" in text
        await pilot.press("escape")  # backing out keeps the kill switch on
        assert isinstance(app.screen, Dashboard)
        assert app.handle.snapshot().state is EngineState.HALTED
        await pilot.press("p", "y")
        await pilot.pause(0.1)
        assert isinstance(app.screen, Dashboard)
        assert app.handle.snapshot().state is EngineState.RUNNING
        messages = [n.message for n in app._notifications]
        assert any("new entries allowed again" in m for m in messages), messages


async def test_ctrl_c_asks_when_positions_are_open_and_ctrl_q_does_not(tmp_path: Path) -> None:
    app = _app(tmp_path, bars=3000)
    async with app.run_test(size=(120, 35)) as pilot:
        for _ in range(150):  # run the demo until a position is open (bounded)
            if app.handle.snapshot().positions:
                break
            await pilot.pause(0.1)
        assert app.handle.snapshot().positions
        app.handle.request_stop()  # the feed stops here: the position stays open for the rest
        await pilot.pause(0.1)
        await pilot.press("ctrl+c")
        await pilot.pause(0.1)
        assert isinstance(app.screen, ConfirmQuit) and app.is_running
        await pilot.press("escape")
        assert isinstance(app.screen, Dashboard) and app.is_running
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert ("q, ^c", "Quit") in app.screen.rows, str(app.screen.rows)
        assert ("^q", "Quit at once") in app.screen.rows, app.screen.rows
        await pilot.press("escape")
        await pilot.press("ctrl+c")
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("ctrl+c")  # a second ctrl+c answers yes
        await pilot.pause(0.2)
        assert not app.is_running
    assert app.return_code == 0


async def test_ctrl_q_quits_at_once(tmp_path: Path) -> None:
    app = _app(tmp_path, bars=3000)
    async with app.run_test(size=(120, 35)) as pilot:
        for _ in range(150):
            if app.handle.snapshot().positions:
                break
            await pilot.pause(0.1)
        assert app.handle.snapshot().positions
        app.handle.request_stop()
        await pilot.press("ctrl+q")
        await pilot.pause(0.2)
        assert not app.is_running
