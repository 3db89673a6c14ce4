"""Every key in every screen, pressed repeatedly, at 120×35 and 80×24, with 0, 1, 5 and 500
candles of history: nothing may raise, no pane may fail (not even contained), and the engine
keeps running throughout.

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
SCREENS = ("dashboard", "strategies", "backtest", "settings", "logs", "history", "help", "palette", "kill")
"""The kill dialog comes last: choosing in it halts the engine, which the other tours then see."""
PRESSES = 3


async def _open(app: TradeTuiApp, pilot: Pilot[int], name: str) -> type[Screen[object]]:
    while len(app.screen_stack) > 1 and not isinstance(app.screen, Dashboard):
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


async def _tour(app: TradeTuiApp, pilot: Pilot[int]) -> None:
    for name in SCREENS:
        kind = await _open(app, pilot, name)
        for key, char in KEYS:
            if type(app.screen) is not kind:  # the last key left the screen: come back to it
                await _open(app, pilot, name)
            await _hit(app, pilot, key, char)
            assert app.is_running, f"the app closed on {key!r} in {name}"
            assert not failures.count(), f"{key!r} in {name}: {failures.kinds()}"


@pytest.mark.parametrize("history", [0, 1, 5, 500])
@pytest.mark.parametrize("size", [(120, 35), (80, 24)], ids=["120x35", "80x24"])
async def test_every_key_in_every_screen(tmp_path: Path, size: tuple[int, int], history: int) -> None:
    failures.reset()
    session = build_session(
        demo_config(), database=tmp_path / "tour.db", speed=4.0, max_bars=60, now_s=1_800_000_000, warmup_bars=history
    )
    app = TradeTuiApp(session.handle)
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.2)
        await _tour(app, pilot)
        assert all(w.error is None for w in app.workers if w.name == "engine")
        assert not session.handle.is_shut_down
        snap = session.handle.snapshot()
        assert snap.bars_processed >= 1  # the feed kept flowing into the engine during the tour
    assert not failures.count(), failures.kinds()
    session.journal.close()
