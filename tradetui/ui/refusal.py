"""A command the engine refuses becomes a notification, never a crashed TUI.

Over ``attach`` a command can fail for reasons outside the app (the engine went away, its
command queue is full, it has not answered yet); locally a value can be refused. Either way the
trader reads one line and the cockpit stays up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from textual.app import App
from textual.widget import Widget

from tradetui.errors import TradetuiError


@contextmanager
def refusals(where: App[Any] | Widget, what: str) -> Iterator[None]:
    try:
        yield
    except (TradetuiError, KeyError, ValueError) as exc:
        detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        where.notify(f"{what} failed: {detail}", severity="error", timeout=8)
