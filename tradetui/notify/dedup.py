"""Deduplication: the same kind and text within a window becomes one alert marked ×N.

The first of a kind+text is held ``hold_s`` (a burst collapses into one message), then released
with its count. Repeats later in the window are counted and released as one more ×N message when
the window ends; after that the next repeat starts a new window. Nothing is dropped, only folded.
Times are monotonic seconds (the event loop's clock), not market time.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradetui.notify.alerts import Alert


@dataclass(slots=True)
class _Group:
    latest: Alert
    opened_s: float
    pending: int
    released: bool = False


class Deduplicator:
    def __init__(self, window_s: float = 60.0, hold_s: float = 1.0) -> None:
        if window_s < 0 or hold_s < 0:
            raise ValueError("dedup window and hold must be ≥ 0")
        self.window_s = window_s
        self.hold_s = min(hold_s, window_s)
        self._groups: dict[tuple[str, str, str], _Group] = {}

    @property
    def is_enabled(self) -> bool:
        return self.window_s > 0

    def offer(self, alert: Alert, now_s: float) -> None:
        group = self._groups.get(alert.key)
        if group is None:
            self._groups[alert.key] = _Group(alert, now_s, alert.count)
        else:
            group.latest = alert
            group.pending += alert.count

    def due(self, now_s: float) -> list[Alert]:
        """Alerts whose hold or window has ended, in the order they first appeared."""
        out: list[Alert] = []
        for key, group in list(self._groups.items()):
            if not group.released and now_s >= group.opened_s + self.hold_s:
                out.append(group.latest.with_count(group.pending))
                group.pending = 0
                group.released = True
            if group.released and now_s >= group.opened_s + self.window_s:
                if group.pending:
                    out.append(group.latest.with_count(group.pending))
                del self._groups[key]
        return out

    def flush(self) -> list[Alert]:
        """Everything still held or counted (on shutdown)."""
        out = [g.latest.with_count(g.pending) for g in self._groups.values() if g.pending]
        self._groups.clear()
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`due` next has something to do (monotonic seconds), None when idle."""
        deadlines = [g.opened_s + (self.window_s if g.released else self.hold_s) for g in self._groups.values()]
        return min(deadlines, default=None)
