"""Every key in every screen, pressed repeatedly, at 120×35 and 80×24, with 0, 1, 5 and 500
candles of history: nothing may raise, no pane may fail (not even contained), and the engine
keeps running throughout. The default run tours every screen with 500 candles and the screens
that draw candles (dashboard, strategies) with 0, 1 and 5; ``-m slow`` tours every screen with
every history size (about four minutes more on two cores).

Seen before: `[` on a fresh demo (1m wraps to 1d, one daily candle) crashed plotext, closed the
app with a traceback and stopped the engine with it.
"""

from __future__ import annotations

import string
import unicodedata
from pathlib import Path

import pytest
from textual import events
from textual.keys import key_to_character
from textual.pilot import Pilot
from textual.screen import Screen

from tradetui.backtest.service import SessionBacktests
from tradetui.commands.run import build_session
from tradetui.config import demo_config
from tradetui.ui.app import TradeTuiApp
from tradetui.ui.containment import failures
from tradetui.ui.screens.dashboard import Dashboard

# keys that end the app are left out of the tour (quitting is tested on its own)
QUIT_KEYS = {"q", "ctrl+q", "ctrl+c"}
SPECIAL_KEYS = [
    "up", "down", "left", "right", "home", "end", "pageup", "pagedown", "tab", "shift+tab",
    "enter", "escape", "backspace", "delete", "insert", "f1", "ctrl+p", "ctrl+r", "ctrl+a", "ctrl+e",
]  # fmt: skip
_RENAMED = {"+": "plus", "-": "minus", "/": "slash", "@": "at", "\\": "backslash", "_": "underscore"}


def _key_name(char: str) -> str:
    """Textual's name of the key that types ``char`` ("[" → "left_square_bracket")."""
    if char.isalnum():
        return char
    return _RENAMED.get(char) or unicodedata.name(char).lower().replace(" ", "_").replace("-", "_")


KEYS: list[tuple[str, str | None]] = [
    (name, char)
    for name, char in [(_key_name(c), c) for c in string.ascii_letters + string.digits + string.punctuation + " "]
    + [(k, key_to_character(k)) for k in SPECIAL_KEYS]
    if name not in QUIT_KEYS
]
DATA_SCREENS = ("dashboard", "strategies", "logs", "history")
"""Screens that show the candles or what was traded on them: toured with every history size."""
OTHER_SCREENS = ("backtest", "settings", "help", "palette", "kill")
"""Screens that show no candle history: toured with none and with 500 (the kill dialog last: choosing
in it halts the engine)."""
PRESSES = 2


async def _open(app: TradeTuiApp, pilot: Pilot[int], name: str) -> type[Screen[object]]:
    for _ in range(10):  # bounded: a screen that will not close fails the check below, not the run
        if len(app.screen_stack) <= 1 or isinstance(app.screen, Dashboard):
            break
        app.pop_screen()
        await pilot.pause(0)
    opener = {
        "dashboard": None,
        "strategies": "s",
        "backtest": "b",
        "settings": "e",
        "logs": "l",
        "history": "h",
        "help": "question_mark",
        "palette": "ctrl+p",
        "kill": "k",
    }[name]
    if opener is not None:
        await pilot.press(opener)
        await pilot.pause(0)
    return type(app.screen)


async def _hit(app: TradeTuiApp, pilot: Pilot[int], key: str, char: str | None) -> None:
    """Press ``key`` PRESSES times in a row, as a fast typist would, then let the screen catch up."""
    for _ in range(PRESSES):
        app.post_message(events.Key(key, char))
    await pilot.pause(0)


async def _tour(app: TradeTuiApp, pilot: Pilot[int], screens: tuple[str, ...]) -> None:
    for name in screens:
        kind = await _open(app, pilot, name)
        for key, char in KEYS:
            if type(app.screen) is not kind:  # the last key left the screen: come back to it
                await _open(app, pilot, name)
            await _hit(app, pilot, key, char)
            assert app.is_running, f"the app closed on {key!r} in {name}"
            assert not failures.count(), f"{key!r} in {name}: {failures.kinds()}"


ALL_SCREENS = DATA_SCREENS + OTHER_SCREENS
CHART_SCREENS = ("dashboard", "strategies")
"""The screens that draw the candles themselves (the chart, the score heatmap)."""
SLOW = pytest.mark.slow


def _cases() -> list[object]:
    """Every screen at both sizes with 500 candles, and the chart screens with 0, 1 and 5 in the
    default run; every screen with every history size on demand (``-m slow``: ~4 more minutes)."""
    cases: list[object] = []
    for size, size_id in (((120, 35), "120x35"), ((80, 24), "80x24")):
        cases.append(pytest.param(size, 500, ALL_SCREENS, id=f"{size_id}-500-bars-all-screens"))
        for history in (0, 1, 5):
            cases.append(pytest.param(size, history, CHART_SCREENS, id=f"{size_id}-{history}-bars-chart-screens"))
            cases.append(
                pytest.param(size, history, ALL_SCREENS, id=f"{size_id}-{history}-bars-all-screens", marks=SLOW)
            )
    return cases


@pytest.mark.parametrize(("size", "history", "screens"), _cases())
async def test_every_key_in_every_screen(
    tmp_path: Path, size: tuple[int, int], history: int, screens: tuple[str, ...]
) -> None:
    failures.reset()
    session = build_session(
        demo_config(), database=tmp_path / "tour.db", speed=4.0, max_bars=60, now_s=1_800_000_000, warmup_bars=history
    )
    app = TradeTuiApp(session.handle, backtests=SessionBacktests(session.spec))  # ctrl+r runs one
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.2)
        await _tour(app, pilot, screens)
        assert all(w.error is None for w in app.workers if w.name == "engine")
        assert not session.handle.is_shut_down
        snap = session.handle.snapshot()
        assert snap.bars_processed >= 1  # the feed kept flowing into the engine during the tour
    assert not failures.count(), failures.kinds()
    session.journal.close()
