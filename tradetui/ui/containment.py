"""Keeping a UI failure inside the widget it happened in.

Textual ends the app on any exception that leaves a render, a message handler, a timer or an
action; in tradetui the app carries the trading engine, so a drawing bug must never get that far.
Each pane draws through :class:`SafeStatic` (a failed render becomes a one-line placeholder),
periodic refreshes update each pane inside :func:`contained`, and the app runs every action
through its own guard (see ``TradeTuiApp.run_action``). The traceback goes to the log file once per
distinct failure; repeats of the same failure are counted, not logged again at every refresh.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rich.style import Style
from rich.text import Text
from textual.visual import VisualType
from textual.widgets import Static

from tradetui.ui.tones import TONE_CLASSES, Tones

log = logging.getLogger("tradetui.ui")


class FailureLog:
    """Logs each distinct failure (where, exception type, message) once with its traceback."""

    def __init__(self, limit: int = 256, *, level: int = logging.ERROR) -> None:
        self._seen: dict[tuple[str, str, str], int] = {}
        self._limit = limit
        self._level = level
        self._lock = threading.Lock()

    def report(self, where: str, exc: BaseException) -> str:
        """Log ``exc`` (with its traceback the first time) and return a one-line summary."""
        summary = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:160] if str(exc) else type(exc).__name__
        key = (where, type(exc).__name__, str(exc)[:200])
        with self._lock:
            count = self._seen.get(key, 0) + 1
            if count == 1 and len(self._seen) >= self._limit:
                self._seen.clear()  # bounded: a long session with many distinct failures forgets old ones
            self._seen[key] = count
        if count == 1:
            log.log(self._level, "UI: %s failed (%s); the app and engine keep running", where, summary, exc_info=exc)
        else:
            log.debug("UI: %s failed again (%d times): %s", where, count, summary)
        return summary

    def count(self, where: str | None = None) -> int:
        """How many failures were seen (of ``where`` only, when given)."""
        with self._lock:
            return sum(n for (w, _, _), n in self._seen.items() if where is None or w == where)

    def kinds(self) -> list[str]:
        """One line per distinct failure seen: where, exception type, message."""
        with self._lock:
            return [f"{w}: {kind}: {text}" for w, kind, text in self._seen]

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()


failures = FailureLog()
"""The process's failure log (the UI runs one app at a time)."""
teardown_races = FailureLog(level=logging.WARNING)
"""Errors of widgets that were already being torn down (keys typed faster than a screen
mounts) or inside Textual's own widgets: harmless to what is on screen, logged as warnings
and kept apart from real failures."""


def placeholder(where: str, summary: str, style: Style | str = "bold") -> Text:
    """What a pane shows instead of itself when it cannot be drawn (``style``: the theme's warning)."""
    text = Text(f"⚠ {where} could not be drawn ({summary}); details in the log file", style=style)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text


@contextmanager
def contained(where: str) -> Iterator[None]:
    """Run a UI update; an exception is logged (see :class:`FailureLog`) and goes no further."""
    try:
        yield
    except Exception as exc:
        failures.report(where, exc)


class SafeStatic(Static):
    """A pane that draws in :meth:`render_safely`; if that raises, it shows one line instead."""

    COMPONENT_CLASSES = set(TONE_CLASSES)

    def render_safely(self) -> VisualType:
        return super().render()

    def render(self) -> VisualType:
        try:
            return self.render_safely()
        except Exception as exc:
            where = self.id or type(self).__name__
            return placeholder(where, failures.report(where, exc), Tones(self).warning + Style(bold=True))
