"""Logs: every engine event, filtered by level and kind, with a search box."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Select

from tradetui.core.events import Severity
from tradetui.engine.handle import EngineControl
from tradetui.ui.widgets.event_log import EventLog
from tradetui.ui.widgets.footer import KeysFooter

LEVELS = [
    ("all", int(Severity.DEBUG)),
    ("info+", int(Severity.INFO)),
    ("warnings+", int(Severity.WARNING)),
    ("errors", int(Severity.ERROR)),
]


class LogsScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="logs.back")]

    def __init__(self, handle: EngineControl) -> None:
        super().__init__()
        self.handle = handle
        self.kind: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="log-filters"):
            yield Select(
                [(label, value) for label, value in LEVELS], value=int(Severity.DEBUG), allow_blank=False, id="level"
            )
            yield Select(
                [
                    (k, k)
                    for k in (
                        "SignalRaised",
                        "OrderUpdated",
                        "OrderFilled",
                        "PositionOpened",
                        "PositionClosed",
                        "ExitTriggered",
                        "EngineStateChanged",
                        "RiskEvent",
                        "FeedStateChanged",
                        "StrategyChanged",
                        "Notice",
                    )
                ],
                prompt="every kind",
                id="kind",
            )
            yield Input(placeholder="search…", id="search")
        yield EventLog(id="all-events", wrap=True)  # here every line is read whole
        yield KeysFooter()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(0.5, self.append_new)

    def _log(self) -> EventLog:
        return self.query_one("#all-events", EventLog)

    def reload(self) -> None:
        self._log().forget()
        self.append_new()

    def append_new(self) -> None:
        events = self.handle.snapshot(max_events=2000).events
        if self.kind:
            events = tuple(e for e in events if e.kind == self.kind)
        self._log().show(events)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "level":
            self._log().min_severity = int(event.value) if isinstance(event.value, int) else int(Severity.DEBUG)
        else:
            self.kind = str(event.value) if isinstance(event.value, str) else None
        self.reload()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._log().search = event.value
        self.reload()
