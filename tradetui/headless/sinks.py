"""Log sinks: engine events → log records (stderr, text or JSON lines)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from tradetui.core.events import Event

log = logging.getLogger("tradetui.events")


def log_event(event: Event) -> None:
    log.log(int(event.severity), event.describe(), extra={"event": type(event).__name__})


def log_events(events: Sequence[Event]) -> None:
    """An engine listener: every event becomes a log record, synchronously (nothing is lost on stop)."""
    for event in events:
        log_event(event)
