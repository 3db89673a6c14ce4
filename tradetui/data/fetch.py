"""Downloading candles from an exchange into the candle store: paged, rate-limited, resumable.

Pages go backwards from the end of the wanted period (how both exchanges page), and each page
is stored as soon as it arrives, so an interrupted download loses at most one page. Running
the same fetch again only asks for what the store does not hold yet: the part after the newest
stored candle and the part before the oldest one. Holes inside the stored range are real
no-trade periods (the exchanges send no candle for them) and are left to ``data check``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tradetui.core.market import Bar, Timeframe
from tradetui.exchanges.rest import ExchangeClient
from tradetui.storage.records import CandleInput
from tradetui.storage.repository import SqliteRepository

Progress = Callable[[int], None]
"""Called with the number of candles just stored."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    stored: int
    segments: tuple[tuple[int, int], ...]
    """The ``[start_ms, end_ms)`` ranges that were asked for (empty: nothing was missing)."""


def missing_segments(
    start_ms: int, end_ms: int, stored: tuple[int, int] | None, timeframe: Timeframe
) -> list[tuple[int, int]]:
    """Parts of ``[start_ms, end_ms)`` outside the stored ``(first_s, last_s)`` open times."""
    if start_ms >= end_ms:
        return []
    if stored is None:
        return [(start_ms, end_ms)]
    first_ms, last_ms = stored[0] * 1000, stored[1] * 1000
    if last_ms < start_ms or first_ms >= end_ms:
        return [(start_ms, end_ms)]
    segments = []
    after = last_ms + timeframe.seconds * 1000
    if after < end_ms:
        segments.append((after, end_ms))
    if first_ms > start_ms:
        segments.append((start_ms, first_ms))
    return segments


def _rows(page: list[Bar]) -> list[CandleInput]:
    return [(b.ts_s, b.open, b.high, b.low, b.close, b.volume) for b in page]


async def fetch_candles(
    client: ExchangeClient,
    repo: SqliteRepository,
    *,
    market: str,
    timeframe: Timeframe,
    start_ms: int,
    end_ms: int,
    progress: Progress | None = None,
) -> FetchResult:
    exchange = client.profile.exchange.value
    have = await repo.candle_range(exchange, market, timeframe)
    stored_range = (have.first_s, have.last_s) if have is not None else None
    segments = missing_segments(start_ms, end_ms, stored_range, timeframe)
    stored = 0
    for seg_start, seg_end in segments:
        async for page in client.candles_between(market, timeframe, seg_start, seg_end):
            stored += await repo.save_candles(exchange, market, timeframe, _rows(page))
            if progress is not None:
                progress(len(page))
    return FetchResult(stored, tuple(segments))
