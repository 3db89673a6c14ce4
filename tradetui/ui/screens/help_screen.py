"""`?`: every key, from the live bindings (so remapped keys show as they are)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        lines = ["# tradetui keys", "", "| key | what it does |", "|---|---|"]
        lines += [f"| `{key}` | {text} |" for key, text in self.rows]
        lines += ["", "The command palette (`ctrl+p`) lists every command too. `esc` closes this."]
        with VerticalScroll(id="help-box"):
            yield Markdown("\n".join(lines))
