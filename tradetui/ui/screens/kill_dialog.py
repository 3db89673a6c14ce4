"""The kill switch's confirmation (cancel orders only, or cancel and flatten, or back out), its
reset (the one way out of HALTED), and the quit confirmation."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class KillDialog(ModalScreen[str | None]):
    """Dismisses with "cancel", "flatten" or None."""

    BINDINGS = [
        Binding("escape", "dismiss_none", "Back", id="kill.back"),
        Binding("c", "choose('cancel')", "Cancel orders only", id="kill.cancel"),
        Binding("f", "choose('flatten')", "Cancel and flatten", id="kill.flatten"),
    ]

    def __init__(self, positions: int, orders: int) -> None:
        super().__init__()
        self.positions = positions
        self.orders = orders

    def compose(self) -> ComposeResult:
        with Vertical(id="kill-box"):
            yield Label("[b]KILL SWITCH[/b] — the engine halts: no new orders.", id="kill-title")
            yield Label(f"{self.orders} open order(s) will be cancelled; {self.positions} position(s) are open.")
            with Horizontal(id="kill-buttons"):
                yield Button("Cancel orders only \\[c]", id="cancel", variant="warning")
                yield Button("Cancel and flatten \\[f]", id="flatten", variant="error")
                yield Button("Back \\[esc]", id="back")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "back" else event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class ConfirmQuit(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Stay", id="quit.stay"),
        Binding("y", "dismiss(True)", "Quit", id="quit.yes"),
    ]

    def __init__(self, positions: int, orders: int) -> None:
        super().__init__()
        self.positions = positions
        self.orders = orders

    def compose(self) -> ComposeResult:
        with Vertical(id="quit-box"):
            yield Label(f"{self.positions} position(s) and {self.orders} open order(s).")
            yield Label("Quit anyway? Open orders are cancelled; positions and their stops are stored.")
            with Horizontal():
                yield Button("Quit \\[y]", id="yes", variant="error")
                yield Button("Stay \\[esc]", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ResetDialog(ModalScreen[bool]):
    """Lift the kill switch: says what it re-enables; ``y`` confirms, esc keeps the engine halted."""

    BINDINGS = [
        Binding("escape", "dismiss(False)", "Stay halted", id="reset.stay"),
        Binding("y", "dismiss(True)", "Reset", id="reset.yes"),
    ]

    def __init__(self, description: str) -> None:
        super().__init__()
        self.description = description

    def compose(self) -> ComposeResult:
        with Vertical(id="reset-box"):
            yield Label("[b]RESET THE KILL SWITCH?[/b] The engine is HALTED; resume alone does not re-arm it.")
            yield Label(self.description, markup=False)
            with Horizontal():
                yield Button("Reset \\[y]", id="yes", variant="warning")
                yield Button("Stay halted \\[esc]", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
