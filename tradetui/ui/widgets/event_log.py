"""The event timeline: newest at the bottom, coloured by severity, with an optional filter."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from tradetui.core.events import Severity
from tradetui.engine.read_model import EventView
from tradetui.ui.formatting import kst_time

_STYLE = {
    int(Severity.DEBUG): "dim",
    int(Severity.INFO): "",
    int(Severity.WARNING): "yellow",
    int(Severity.ERROR): "bold red",
    int(Severity.CRITICAL): "bold white on red",
}


class EventLog(RichLog):
    DEFAULT_CSS = "EventLog { height: 8; }"

    def __init__(self, *, wrap: bool = False, **kwargs: object) -> None:
        super().__init__(wrap=wrap, markup=False, max_lines=2000, **kwargs)  # type: ignore[arg-type]
        self._seen: tuple[int, str] | None = None
        self.min_severity = int(Severity.DEBUG)
        self.search = ""

    def show(self, events: tuple[EventView, ...]) -> None:
        """Append the events newer than the last one shown."""
        start = 0
        if self._seen is not None:
            for k in range(len(events) - 1, -1, -1):
                if (events[k].ts_ms, events[k].text) == self._seen:
                    start = k + 1
                    break
        for e in events[start:]:
            if e.severity < self.min_severity or (self.search and self.search.lower() not in e.text.lower()):
                continue
            line = Text(f"{kst_time(e.ts_ms)} ", style="dim")
            line.append(e.text, style=_STYLE.get(e.severity, ""))
            self.write(line)
        if events:
            self._seen = (events[-1].ts_ms, events[-1].text)
            self.scroll_end(animate=False)
