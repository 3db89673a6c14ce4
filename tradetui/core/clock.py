"""Time: a clock port with a real and a simulated implementation, and KST helpers.

UTC is stored; KST (UTC+9, no daylight saving) is shown. The trading day rolls at 09:00 KST,
which is 00:00 UTC, so a trading day is simply a UTC calendar day.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

KST = timezone(timedelta(hours=9), "KST")
DAY_MS = 86_400_000


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the epoch, UTC."""
        ...


class LiveClock:
    """Wall-clock time."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class SimClock:
    """A clock that only moves when told to (backtests, tests, the sandbox)."""

    __slots__ = ("_now_ms",)

    def __init__(self, start_ms: int = 0) -> None:
        self._now_ms = start_ms

    def now_ms(self) -> int:
        return self._now_ms

    def set_ms(self, now_ms: int) -> None:
        if now_ms < self._now_ms:
            raise ValueError(f"simulated time cannot go backwards ({now_ms} < {self._now_ms})")
        self._now_ms = now_ms

    def advance_ms(self, delta_ms: int) -> None:
        self.set_ms(self._now_ms + delta_ms)


def to_utc(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, UTC)


def to_kst(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, KST)


def format_kst(ts_ms: int, *, seconds: bool = True) -> str:
    pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return to_kst(ts_ms).strftime(pattern) + " KST"


def trading_day(ts_ms: int) -> date:
    """The trading day (which starts 09:00 KST) that contains ``ts_ms``."""
    return to_utc(ts_ms).date()


def trading_day_start_ms(ts_ms: int) -> int:
    return ts_ms - ts_ms % DAY_MS


def parse_utc(text: str) -> int:
    """Parse an ISO-8601 date or datetime into epoch ms. A string without a zone is UTC."""
    cleaned = text.strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(cleaned)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


class ScaledClock:
    """Time that runs ``factor`` times faster than ``base`` from ``start_ms`` on (the sandbox's
    market time: ``--speed 5`` candles a second is a factor of 300)."""

    __slots__ = ("_base", "_base_start", "_factor", "_start")

    def __init__(self, factor: float, *, start_ms: int | None = None, base: Clock | None = None) -> None:
        if factor <= 0:
            raise ValueError("a clock's speed factor must be > 0")
        self._base = base or LiveClock()
        self._base_start = self._base.now_ms()
        self._start = self._base_start if start_ms is None else start_ms
        self._factor = factor

    def now_ms(self) -> int:
        return self._start + int((self._base.now_ms() - self._base_start) * self._factor)
