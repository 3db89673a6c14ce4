"""Colours are the theme's: a gain, a loss, a warning, the chart's lines and the badges follow the
theme in use and change with it. No widget or screen names a colour of its own (issue 9 item 10:
before, "green", "red", "bold black on yellow" and rgb tuples were written into the widgets, and
a theme from themes/ restyled only the panes' frames)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from rich.color import Color as RichColor
from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.color import Color
from textual.theme import Theme

from tradetui.core.events import EngineState, Severity
from tradetui.core.market import BookLevel, OrderBook
from tradetui.engine.read_model import EventView, PositionView
from tradetui.ui.app import TradeTuiApp
from tradetui.ui.tones import Tones
from tradetui.ui.widgets.candle_chart import DEFAULT_PALETTE, CandleChart, chart_palette
from tradetui.ui.widgets.event_log import EventLog
from tradetui.ui.widgets.order_book import OrderBookLadder
from tradetui.ui.widgets.tables import PositionsTable

UI = Path(__file__).resolve().parents[2] / "tradetui" / "ui"
THEMES = (
    Theme("tones-a", primary="#3366CC", error="#FF2020", success="#20FF20", warning="#FFFF20", dark=True),
    Theme("tones-b", primary="#3366CC", error="#2020FF", success="#FF20FF", warning="#20FFFF", dark=True),
)
BOOK = OrderBook(
    "KRW-BTC",
    1,
    (BookLevel(Decimal(101), Decimal(1)),),
    (BookLevel(Decimal(100), Decimal(2)),),
)
POSITION = PositionView(
    "KRW-BTC", "breakout", Decimal(1), Decimal(100), Decimal(110), Decimal(10), 10.0, 95.0, 120.0, None
)


class _Panes(App[None]):
    CSS_PATH = TradeTuiApp.CSS_PATH  # the app's stylesheet: where the tones are styled

    def compose(self) -> ComposeResult:
        yield OrderBookLadder(id="book")
        yield PositionsTable(id="positions")
        yield CandleChart(id="chart")
        yield EventLog(id="events")


def _near(style_colour: object, css: str) -> bool:
    assert style_colour is not None
    assert isinstance(style_colour, RichColor)
    got = Color.from_rich_color(style_colour)
    want = Color.parse(css)
    return max(abs(a - b) for a, b in zip(got.rgb, want.rgb, strict=True)) <= 3


def _colour_of(text: Text, part: str) -> object:
    start = text.plain.index(part)
    for span in text.spans:
        if span.start <= start < span.end:
            style = span.style if isinstance(span.style, Style) else Style.parse(span.style)
            return style.color
    raise AssertionError(f"{part!r} is not styled in {text.plain!r}")


async def test_the_panes_take_their_colours_from_the_theme_and_follow_a_change() -> None:
    app = _Panes()
    async with app.run_test(size=(100, 40)) as pilot:
        for theme in THEMES:
            app.register_theme(theme)
        events = app.query_one(EventLog)
        problem = EventView(1, int(Severity.ERROR), "Notice", "REST 429 from upbit")
        seen: list[tuple[object, ...]] = []
        for theme in THEMES:
            app.theme = theme.name
            await pilot.pause()
            variables = app.get_css_variables()
            loss, gain = variables["text-error"], variables["text-success"]
            book = app.query_one(OrderBookLadder)
            book.data = BOOK
            drawn = book.render_safely()
            assert _near(_colour_of(drawn, "101"), loss) and _near(_colour_of(drawn, "100"), gain)
            table = app.query_one(PositionsTable)
            table.show((POSITION,))
            await pilot.pause()
            pnl = table.get_cell("KRW-BTC", "PnL")
            assert isinstance(pnl, Text) and _near(Style.parse(str(pnl.style)).color, gain)
            stop = table.get_cell("KRW-BTC", "stop")
            assert isinstance(stop, Text) and _near(Style.parse(str(stop.style)).color, loss)
            palette = chart_palette(app.query_one(CandleChart))
            assert palette != DEFAULT_PALETTE
            events.show((problem,))
            await pilot.pause()
            line = events.lines[-1]
            coloured = [s.style for s in line if "429" in s.text and s.style is not None]
            assert coloured and _near(coloured[0].color, loss), line
            seen.append((Tones(book).loss, palette, str(pnl.style)))
        assert seen[0][0] != seen[1][0] and seen[0][1] != seen[1][1] and seen[0][2] != seen[1][2]
        assert len(events.lines) == 1, "the timeline was written again in the new colours, not twice"


async def test_the_alarm_tone_contrasts_with_its_own_background() -> None:
    app = _Panes()
    async with app.run_test(size=(100, 40)) as pilot:
        for theme in THEMES:
            app.register_theme(theme)
        app.theme = "tones-a"
        await pilot.pause()
        alarm = Tones(app.query_one(EventLog)).alarm
        assert alarm.bgcolor is not None and alarm.color is not None and alarm.bold
        assert _near(alarm.bgcolor, app.get_css_variables()["error"])
        assert Color.from_rich_color(alarm.color) != Color.from_rich_color(alarm.bgcolor)


def test_the_engine_states_have_a_badge_each() -> None:
    from tradetui.ui.widgets.status_bar import STATE_BADGES

    assert set(STATE_BADGES) == set(EngineState)


COLOUR_WORDS = re.compile(
    r"\b(red|green|yellow|blue|cyan|magenta|white|black|orange|dark_orange|grey\d*|gray\d*|purple|bright_\w+)\b"
)
STYLE_LITERAL = re.compile(r"""style\s*=\s*f?["']([^"']*)["']|Style\.parse\(\s*f?["']([^"']*)["']""")


def test_no_widget_or_screen_names_a_colour() -> None:
    """Styles in the UI's code are text attributes (bold, dim, italic) and theme tones only; the
    stylesheet uses the theme's variables only."""
    offenders = []
    for path in sorted(UI.rglob("*.py")):
        if path.name == "themes.py":  # reads theme files: their colours are the point
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for match in STYLE_LITERAL.finditer(line):
                literal = match.group(1) or match.group(2) or ""
                if COLOUR_WORDS.search(literal) or re.search(r"#[0-9a-fA-F]{3,8}\b|rgb\(", literal):
                    offenders.append(f"{path.relative_to(UI)}:{number}: {line.strip()}")
    for number, line in enumerate((UI / "app.tcss").read_text().splitlines(), 1):
        value = line.split(":", 1)[1] if ":" in line and not line.strip().endswith("{") else ""
        if COLOUR_WORDS.search(value) or re.search(r"#[0-9a-fA-F]{3,8}\b|rgb\(", value):
            offenders.append(f"app.tcss:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
