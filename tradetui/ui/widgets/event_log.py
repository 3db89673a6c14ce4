"""The event timeline: newest at the bottom, coloured by severity, with an optional filter."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import RichLog

from tradetui.core.events import Severity
from tradetui.engine.read_model import EventView
from tradetui.ui.formatting import kst_time
from tradetui.ui.tones import TONE_CLASSES, Tones, on_theme_change


def severity_style(severity: int, tones: Tones) -> Style | str:
    """How an event's text looks: debug muted, info plain, then warning, loss (bold) and alarm."""
    if severity <= int(Severity.DEBUG):
        return "dim"
    if severity >= int(Severity.CRITICAL):
        return tones.alarm
    if severity >= int(Severity.ERROR):
        return tones.loss + Style(bold=True)
    if severity >= int(Severity.WARNING):
        return tones.warning
    return ""


class EventLog(RichLog):
    """The timeline; lines written with one theme are written again with the next (the newest
    events come back with the next :meth:`show`)."""

    DEFAULT_CSS = "EventLog { height: 8; }"
    COMPONENT_CLASSES = set(TONE_CLASSES)

    def __init__(self, *, wrap: bool = False, **kwargs: object) -> None:
        super().__init__(wrap=wrap, markup=False, max_lines=2000, **kwargs)  # type: ignore[arg-type]
        self._seen: tuple[int, str] | None = None
        self.min_severity = int(Severity.DEBUG)
        self.search = ""

    def on_mount(self) -> None:
        on_theme_change(self, self.forget)

    def forget(self) -> None:
        """Clear the lines; the next :meth:`show` writes the events it is given again."""
        self.clear()
        self._seen = None

    def show(self, events: tuple[EventView, ...]) -> None:
        """Append the events newer than the last one shown."""
        start = 0
        if self._seen is not None:
            for k in range(len(events) - 1, -1, -1):
                if (events[k].ts_ms, events[k].text) == self._seen:
                    start = k + 1
                    break
        tones = Tones(self)
        for e in events[start:]:
            if e.severity < self.min_severity or (self.search and self.search.lower() not in e.text.lower()):
                continue
            line = Text(f"{kst_time(e.ts_ms)} ", style="dim")
            line.append(e.text, style=severity_style(e.severity, tones))
            self.write(line)
        if events:
            self._seen = (events[-1].ts_ms, events[-1].text)
            self.scroll_end(animate=False)
