"""`?`: every key, from the live bindings (so remapped keys show as they are)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def keys_table(rows: list[tuple[str, str]]) -> Table:
    """One line per key, so a 24-row terminal shows them all."""
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, text in rows:
        table.add_row(key, text)
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(Text("tradetui keys", style="bold"), classes="pane-title")
            yield Static(keys_table(self.rows), id="help-keys")
            yield Static(
                Text("ctrl+p opens the command palette: every command, the themes and the markets. esc closes this.")
            )
