"""The status bar's clock says whose time the view runs on: the demo's sped-up market time
("market … KST ×N"), or the wall clock in paper and live; the badge of a rehearsal is SANDBOX."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rendered import rendered_text  # tests/support/rendered.py
from rich.style import Style
from rich.text import Text
from textual.color import Color

from tradetui.commands.run import build_session
from tradetui.config import demo_config
from tradetui.core.clock import to_kst
from tradetui.ui.app import TradeTuiApp
from tradetui.ui.widgets.status_bar import StatusBar, clock_text, mode_style


def _app(tmp_path: Path) -> TradeTuiApp:
    session = build_session(demo_config(), database=tmp_path / "ui.db", speed=1.0, max_bars=50, now_s=1_800_000_000)
    return TradeTuiApp(session.handle, start_engine=False)


async def test_the_demo_shows_market_time_and_its_speed(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(0.5)
        status = app.screen.query_one(StatusBar)
        snap = status.data
        assert snap is not None and snap.time_scale == 60.0
        day = to_kst(snap.ts_ms).strftime("%Y-%m-%d %H:%M")
        wide = rendered_text(status)
        assert f"market {day}" in wide and wide.rstrip().endswith("KST ×60"), wide
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        narrow = rendered_text(status).rstrip()
        assert len(narrow) <= 80 and narrow.endswith(f"mkt×60 {to_kst(snap.ts_ms).strftime('%H:%M')} KST"), narrow


def test_paper_and_live_show_the_wall_clock(tmp_path: Path) -> None:
    session = build_session(demo_config(), database=tmp_path / "c.db", max_bars=1, now_s=1_800_000_000)
    try:
        snap = replace(session.handle.snapshot(), time_scale=None)
    finally:
        session.journal.close()
    text = clock_text(snap)
    assert "market" not in text and text.endswith(f"{to_kst(snap.ts_ms).strftime('%H:%M:%S')} KST")
    candle_time = clock_text(replace(snap, time_scale=1.0))  # paper on candle time: market time, no speed
    assert "market" in candle_time and "×" not in candle_time


async def test_only_live_wears_the_themes_error_colour(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause(0.3)
        status = app.screen.query_one(StatusBar)
        assert status.data is not None
        theme = app.current_theme
        assert theme is not None and theme.name == "tradetui-dark"
        error = Color.parse(theme.error)

        def near(a: Color | None, b: Color) -> bool:
            return a is not None and max(abs(x - y) for x, y in zip(a.rgb, b.rgb, strict=True)) <= 2

        def badge(mode: str) -> Color | None:
            """The background of the mode badge as drawn."""
            assert status.data is not None
            status.data = replace(status.data, mode=mode)
            line = status.render()
            assert isinstance(line, Text)
            (span,) = [s for s in line.spans if line.plain[s.start : s.end] == f" {mode} "]
            style = span.style if isinstance(span.style, Style) else Style.parse(span.style)
            return None if style.bgcolor is None else Color.from_rich_color(style.bgcolor)

        assert near(badge("LIVE"), error)
        others = [badge(mode) for mode in ("SANDBOX", "PAPER", "DEMO", "REPLAY")]
        assert all(colour is not None and not near(colour, error) for colour in others)
        assert mode_style("LIVE") != mode_style("SANDBOX")
