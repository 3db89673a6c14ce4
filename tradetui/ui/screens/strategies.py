"""Strategies: list, enable/disable, parameters, and a heatmap of each market's recent scores."""

from __future__ import annotations

import math

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.screen import Screen
from textual.widgets import DataTable, Static

from tradetui.engine.handle import EngineControl
from tradetui.ui.refusal import refusals
from tradetui.ui.tones import TONE_CLASSES, Tones
from tradetui.ui.widgets.footer import KeysFooter


def heatmap(grid: dict[str, tuple[float, ...]], tones: Tones, background: Color) -> Table:
    """Markets × recent bars; the gain tone above zero, the loss tone below, stronger scores
    further from ``background``."""

    def shade(tone: Style, strength: float) -> Style | str:
        if tone.color is None:  # not styled (drawn on its own): the sign still shows as the cell
            return ""
        return Style(color=background.blend(Color.from_rich_color(tone.color), strength).rich_color)

    table = Table(box=None, show_header=False, padding=(0, 0))
    table.add_column("market", no_wrap=True, style="bold")
    table.add_column("scores", no_wrap=True)
    for market, scores in sorted(grid.items()):
        finite = [abs(s) for s in scores if not math.isnan(s)]
        scale = max(finite, default=1.0) or 1.0
        cells = Text()
        for s in scores:
            if math.isnan(s):
                cells.append("·", style="dim")
                continue
            strength = min(1.0, 0.25 + 0.75 * abs(s) / scale)
            cells.append("█", style="dim" if s == 0 else shade(tones.gain if s > 0 else tones.loss, strength))
        table.add_row(f"{market} ", cells)
    return table


class StrategiesScreen(Screen[None]):
    COMPONENT_CLASSES = set(TONE_CLASSES)
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="strategies.back"),
        Binding("space,enter", "toggle_selected", "Enable/disable", id="strategies.toggle"),
    ]

    def __init__(self, handle: EngineControl) -> None:
        super().__init__()
        self.handle = handle

    def compose(self) -> ComposeResult:
        yield Static(
            "Strategies — space toggles the highlighted one; parameters are edited in Settings (e)",
            classes="pane-title",
        )
        yield DataTable(id="strategy-table", cursor_type="row")
        yield Static("Score heatmap, last 30 bars (green: above the breakout level, red: below)", classes="pane-title")
        yield Static(id="heatmap")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in ("strategy", "state", "markets", "parameters"):
            table.add_column(label, key=label)
        self.refresh_views()
        self.set_interval(1.0, self.refresh_views)

    def refresh_views(self) -> None:
        table: DataTable[object] = self.query_one(DataTable)
        snap = self.handle.snapshot(max_events=0)
        cursor = table.cursor_row
        table.clear()
        tones = Tones(self)
        for s in snap.strategies:
            state = Text("enabled", style=tones.gain) if s.enabled else Text("disabled", style=tones.loss)
            params = ", ".join(f"{k}={v}" for k, v in s.params.items())
            table.add_row(s.name, state, ", ".join(s.markets), params, key=s.name)
        if snap.strategies:
            table.move_cursor(row=min(cursor, len(snap.strategies) - 1))
        grids = self.handle.scores(30)
        first = next(iter(grids.values()), {})
        background = self.styles.background if self.styles.background.a else Color(0, 0, 0)
        shown = heatmap(first, tones, background) if first else Text("no scores yet", style="dim")
        self.query_one("#heatmap", Static).update(shown)

    def action_toggle_selected(self) -> None:
        table: DataTable[object] = self.query_one(DataTable)
        if table.row_count == 0:
            return
        name = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        current = next(s for s in self.handle.snapshot(max_events=0).strategies if s.name == name)
        with refusals(self, f"toggling {name}"):
            self.handle.set_strategy_enabled(name, not current.enabled)
            self.notify(f"strategy {name} {'disabled' if current.enabled else 'enabled'}")
        self.refresh_views()
