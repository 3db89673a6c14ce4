"""Candle store of one sandbox market: 1m candles and their aggregates, built from the tape.

A candle exists only if at least one trade happened in its period (reference A3.2 "Gaps"), so
quiet periods stay missing. Keys are period start times in epoch ms (UTC); day candles roll at
00:00 UTC = 09:00 KST.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

MINUTE_MS = 60_000
DAY_MS = 86_400_000
MINUTE_UNITS = (1, 3, 5, 10, 15, 30, 60, 240)
PERIODS_MS = (*(unit * MINUTE_MS for unit in MINUTE_UNITS), DAY_MS)


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
    __slots__ = ("by_start", "period_ms", "starts")

    def __init__(self, period_ms: int) -> None:
        self.period_ms = period_ms
        self.by_start: dict[int, Candle] = {}
        self.starts: list[int] = []

    def merge(
        self, start_ms: int, o: Decimal, h: Decimal, lo: Decimal, c: Decimal, v: Decimal, t: Decimal, ts: int
    ) -> None:
        key = start_ms - start_ms % self.period_ms
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


class CandleStore:
    """All timeframes of one market, updated per trade (O(timeframes) per trade)."""

    def __init__(self, max_minutes: int = 400_000) -> None:
        self._series = {period: _Series(period) for period in PERIODS_MS}
        self._max_minutes = max_minutes

    def add_trade(self, ts_ms: int, price: Decimal, volume: Decimal) -> None:
        turnover = price * volume
        for series in self._series.values():
            series.merge(ts_ms, price, price, price, price, volume, turnover, ts_ms)
        self._trim()

    def add_candle(self, candle: Candle) -> None:
        """Merge a whole 1m candle (history seeding, snapshot restore)."""
        for series in self._series.values():
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
        minutes = self._series[MINUTE_MS]
        if len(minutes.starts) > self._max_minutes:
            drop = minutes.starts[: len(minutes.starts) - self._max_minutes]
            del minutes.starts[: len(drop)]
            for key in drop:
                del minutes.by_start[key]

    def newest_first(self, period_ms: int, *, before_ms: int | None, count: int) -> list[Candle]:
        """Up to ``count`` candles whose start is strictly before ``before_ms`` (exclusive ``to``)."""
        series = self._series[period_ms]
        end = len(series.starts) if before_ms is None else bisect_left(series.starts, before_ms)
        keys = series.starts[max(0, end - count) : end]
        return [series.by_start[key] for key in reversed(keys)]

    def previous(self, period_ms: int, start_ms: int) -> Candle | None:
        series = self._series[period_ms]
        index = bisect_left(series.starts, start_ms)
        return series.by_start[series.starts[index - 1]] if index > 0 else None

    def get(self, period_ms: int, start_ms: int) -> Candle | None:
        return self._series[period_ms].by_start.get(start_ms - start_ms % period_ms)

    def since(self, period_ms: int, start_ms: int) -> Iterator[Candle]:
        series = self._series[period_ms]
        for key in series.starts[bisect_left(series.starts, start_ms) :]:
            yield series.by_start[key]

    def minute_rows(self) -> list[list[str | int]]:
        minutes = self._series[MINUTE_MS]
        return [minutes.by_start[key].to_row() for key in minutes.starts]
