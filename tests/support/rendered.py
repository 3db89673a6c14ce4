"""What a widget draws, as plain text: for tests that read the screen (the status bar, ...)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


def rendered_text(widget: Widget) -> str:
    """``widget.render()`` as plain text; the widget must draw a rich ``Text``."""
    rendered = widget.render()
    assert isinstance(rendered, Text), f"{type(widget).__name__} drew a {type(rendered).__name__}, not a Text"
    return rendered.plain
