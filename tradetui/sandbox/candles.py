"""Candle store of one sandbox market: every candle unit of the reference, built from the tape.

A candle exists only if at least one trade happened in its period (reference A3.2 "Gaps"), so
quiet periods stay missing. Keys are period start times in epoch ms (UTC); day candles roll at
00:00 UTC = 09:00 KST, weeks on Monday, months on the 1st and years on 1 January at that hour.

A period is a fixed length in ms (seconds, minutes, days) or a :class:`Calendar` unit (weeks are
fixed too, but aligned to Monday). Second candles come from the live tape only (history is laid
down in minutes) and the newest ``max_seconds`` of them are kept.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

SECOND_MS = 1000
MINUTE_MS = 60_000
DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS
MINUTE_UNITS = (1, 3, 5, 10, 15, 30, 60, 240)
_MONDAY_OFFSET_MS = 4 * DAY_MS  # 1970-01-01 was a Thursday; 1970-01-05 a Monday


class Calendar(StrEnum):
    """Periods of calendar length, named like their REST paths (``/v1/candles/weeks``)."""

    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


Period = int | Calendar
"""A fixed period in ms, or a calendar unit."""
PERIODS: tuple[Period, ...] = (
    SECOND_MS,
    *(unit * MINUTE_MS for unit in MINUTE_UNITS),
    DAY_MS,
    Calendar.WEEKS,
    Calendar.MONTHS,
    Calendar.YEARS,
)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def period_start(period: Period, ts_ms: int) -> int:
    """Start (epoch ms) of the period that contains ``ts_ms``."""
    if period == Calendar.WEEKS:
        return ts_ms - (ts_ms - _MONDAY_OFFSET_MS) % WEEK_MS
    if isinstance(period, Calendar):
        moment = datetime.fromtimestamp(ts_ms / 1000, UTC)
        first = moment.replace(day=1) if period is Calendar.MONTHS else moment.replace(month=1, day=1)
        return _ms(first.replace(hour=0, minute=0, second=0, microsecond=0))
    return ts_ms - ts_ms % period


def period_end(period: Period, start_ms: int) -> int:
    """End (exclusive, epoch ms) of the period that starts at ``start_ms``."""
    if period == Calendar.WEEKS:
        return start_ms + WEEK_MS
    if isinstance(period, Calendar):
        moment = datetime.fromtimestamp(start_ms / 1000, UTC)
        if period is Calendar.YEARS:
            following = moment.replace(year=moment.year + 1)
        elif moment.month == 12:
            following = moment.replace(year=moment.year + 1, month=1)
        else:
            following = moment.replace(month=moment.month + 1)
        return _ms(following)
    return start_ms + period


@dataclass(slots=True)
class Candle:
    start_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    turnover: Decimal
    last_trade_ms: int

    def to_row(self) -> list[str | int]:
        return [
            self.start_ms,
            str(self.open),
            str(self.high),
            str(self.low),
            str(self.close),
            str(self.volume),
            str(self.turnover),
            self.last_trade_ms,
        ]

    @classmethod
    def from_row(cls, row: list[str | int]) -> Candle:
        return cls(
            int(row[0]),
            Decimal(str(row[1])),
            Decimal(str(row[2])),
            Decimal(str(row[3])),
            Decimal(str(row[4])),
            Decimal(str(row[5])),
            Decimal(str(row[6])),
            int(row[7]),
        )


class _Series:
    __slots__ = ("_current", "_start_of", "by_start", "period", "starts")

    def __init__(self, period: Period) -> None:
        self.period = period
        self.by_start: dict[int, Candle] = {}
        self.starts: list[int] = []
        self._current = (0, 0)  # the calendar period last seen, [start, end): most trades fall in it
        self._start_of: Callable[[int], int] = self._calendar_start if isinstance(period, Calendar) else self._fixed

    def _fixed(self, ts_ms: int) -> int:
        assert isinstance(self.period, int)
        return ts_ms - ts_ms % self.period

    def _calendar_start(self, ts_ms: int) -> int:
        start, end = self._current
        if not start <= ts_ms < end:
            start = period_start(self.period, ts_ms)
            self._current = (start, period_end(self.period, start))
        return start

    def key(self, ts_ms: int) -> int:
        return self._start_of(ts_ms)

    def merge(
        self, start_ms: int, o: Decimal, h: Decimal, lo: Decimal, c: Decimal, v: Decimal, t: Decimal, ts: int
    ) -> None:
        key = self._start_of(start_ms)
        candle = self.by_start.get(key)
        if candle is None:
            self.by_start[key] = Candle(key, o, h, lo, c, v, t, ts)
            if not self.starts or key > self.starts[-1]:
                self.starts.append(key)
            else:
                insort(self.starts, key)
            return
        if h > candle.high:
            candle.high = h
        if lo < candle.low:
            candle.low = lo
        if ts >= candle.last_trade_ms:
            candle.close = c
            candle.last_trade_ms = ts
        candle.volume += v
        candle.turnover += t

    def trim(self, keep: int) -> None:
        if len(self.starts) > keep:
            drop = self.starts[: len(self.starts) - keep]
            del self.starts[: len(drop)]
            for key in drop:
                del self.by_start[key]


class CandleStore:
    """All timeframes of one market, updated per trade (O(timeframes) per trade)."""

    def __init__(self, max_minutes: int = 400_000, max_seconds: int = 20_000) -> None:
        self._series = {period: _Series(period) for period in PERIODS}
        self._max_minutes = max_minutes
        self._max_seconds = max_seconds

    def add_trade(self, ts_ms: int, price: Decimal, volume: Decimal) -> None:
        turnover = price * volume
        for series in self._series.values():
            series.merge(ts_ms, price, price, price, price, volume, turnover, ts_ms)
        self._trim()

    def add_candle(self, candle: Candle) -> None:
        """Merge a whole 1m candle (history seeding, snapshot restore) into the minute and longer units."""
        for period, series in self._series.items():
            if period == SECOND_MS:
                continue  # a minute says nothing about its seconds
            series.merge(
                candle.start_ms,
                candle.open,
                candle.high,
                candle.low,
                candle.close,
                candle.volume,
                candle.turnover,
                candle.last_trade_ms,
            )

    def _trim(self) -> None:
        self._series[MINUTE_MS].trim(self._max_minutes)
        self._series[SECOND_MS].trim(self._max_seconds)

    def newest_first(self, period: Period, *, before_ms: int | None, count: int) -> list[Candle]:
        """Up to ``count`` candles whose start is strictly before ``before_ms`` (exclusive ``to``)."""
        series = self._series[period]
        end = len(series.starts) if before_ms is None else bisect_left(series.starts, before_ms)
        keys = series.starts[max(0, end - count) : end]
        return [series.by_start[key] for key in reversed(keys)]

    def previous(self, period: Period, start_ms: int) -> Candle | None:
        series = self._series[period]
        index = bisect_left(series.starts, start_ms)
        return series.by_start[series.starts[index - 1]] if index > 0 else None

    def get(self, period: Period, ts_ms: int) -> Candle | None:
        """The candle of the period that contains ``ts_ms``, if it traded."""
        series = self._series[period]
        return series.by_start.get(series.key(ts_ms))

    def since(self, period: Period, start_ms: int) -> Iterator[Candle]:
        series = self._series[period]
        for key in series.starts[bisect_left(series.starts, start_ms) :]:
            yield series.by_start[key]

    def minute_rows(self) -> list[list[str | int]]:
        minutes = self._series[MINUTE_MS]
        return [minutes.by_start[key].to_row() for key in minutes.starts]
