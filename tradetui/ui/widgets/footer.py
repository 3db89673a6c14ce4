"""The key footer, compact on a narrow terminal so more keys fit in 80 columns."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

NARROW_COLUMNS = 110


class KeysFooter(Footer):
    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < NARROW_COLUMNS
