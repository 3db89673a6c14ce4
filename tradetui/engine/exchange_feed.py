"""Market data from an exchange (or the sandbox) for the paper and live engine.

Closed candles come from REST: the feed asks every few seconds for the latest candles of each
market and passes on every candle that has a newer one after it (the newest may still be
forming). That rule needs no clock agreement with the exchange and makes every gap
self-healing: when candles are missing since the last one passed on (a dropped connection, a
pause), they are fetched with paging first, so the engine's candle history has no hole.

Order books and trades come from the WebSocket stream: they fill paper orders, and silence on
the stream pauses new entries until data flows again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from tradetui.candles.series import BarSeries
from tradetui.core.events import FeedStateChanged
from tradetui.core.market import Bar, OrderBook, Ticker, Timeframe, TradeTick
from tradetui.engine.engine import Engine
from tradetui.errors import VenueError
from tradetui.exchanges.rest import ExchangeClient
from tradetui.exchanges.ws import ExchangeStream

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class ExchangeFeed:
    def __init__(
        self,
        client: ExchangeClient,
        markets: Sequence[str],
        timeframe: Timeframe,
        *,
        poll_interval_s: float = 2.0,
        page: int = 10,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.markets = list(markets)
        self.timeframe = timeframe
        self.poll_interval_s = poll_interval_s
        self.page = page
        self._sleep = sleep
        self.last_ts_s: dict[str, int] = {}
        self.errors = 0

    async def history(self, bars: int = 200) -> list[BarSeries]:
        """The last ``bars`` closed candles per market, to warm the strategies up before trading
        (one request per market up to 199; older pages are fetched when more are asked for)."""
        result = []
        for market in self.markets:
            page = await self.client.candles(market, self.timeframe, count=min(200, bars + 1))
            closed = page[:-1]
            full = len(page) == min(200, bars + 1)
            # older pages by count, not by time: a minute without trades has no candle
            while closed and full and len(closed) < bars:
                wanted = min(200, bars - len(closed))
                older = await self.client.candles(market, self.timeframe, to_ms=closed[0].ts_s * 1000, count=wanted)
                older = [b for b in older if b.ts_s < closed[0].ts_s]
                closed = older + closed
                full = len(older) == wanted
            if closed:
                self.last_ts_s[market] = closed[-1].ts_s
            result.append(BarSeries.from_bars(market, self.timeframe, closed))
        return result

    async def bars(self) -> AsyncIterator[Bar]:
        """Closed candles in time order per market, forever."""
        while True:
            for market in self.markets:
                try:
                    for bar in await self._closed_since_last(market):
                        yield bar
                except VenueError as exc:
                    self.errors += 1
                    log.warning("candles of %s: %s (will try again)", market, exc)
            await self._sleep(self.poll_interval_s)

    async def _closed_since_last(self, market: str) -> list[Bar]:
        page = await self.client.candles(market, self.timeframe, count=self.page)
        closed = page[:-1]
        if not closed:
            return []
        last = self.last_ts_s.get(market)
        step = self.timeframe.seconds
        fresh = [b for b in closed if last is None or b.ts_s > last]
        if not fresh:
            return []
        if last is not None and fresh[0].ts_s > last + step and len(fresh) == len(closed):
            # more may be missing than one page shows: fetch the hole with paging first
            hole: list[Bar] = []
            async for chunk in self.client.candles_between(
                market, self.timeframe, (last + step) * 1000, fresh[0].ts_s * 1000
            ):
                hole.extend(chunk)
            hole.sort(key=lambda b: b.ts_s)
            log.info("backfilled %d candles of %s after a gap", len(hole), market)
            fresh = [b for b in hole if b.ts_s > last] + fresh
        self.last_ts_s[market] = fresh[-1].ts_s
        return fresh


async def pump_stream(stream: ExchangeStream, engine: Engine) -> None:
    """Books and trades into a paper venue; stream state into the engine's timeline and risk.

    A paper venue that fills at the next bar's open (``fills_at_bar_open``, the backtest's fill
    model) gets no books or trades: they would fill its orders before that open."""
    venue = engine.venue if engine.venue.answers_at_once and not engine.settings.fills_at_bar_open else None
    async for item in stream.items():
        if isinstance(item, OrderBook):
            engine.books[item.market] = item
            if venue is not None:
                venue.walk_book(item.market, item)
                engine.poll()
        elif isinstance(item, TradeTick):
            if venue is not None:
                venue.on_trade(item.market, item.price)
                engine.poll()
        elif isinstance(item, Ticker):
            engine.tickers[item.market] = item
        elif isinstance(item, FeedStateChanged):
            engine.emit([item])
            if item.state == "stale":
                engine.pause_for_feed(item.detail or "stream silent")
            elif item.state in ("restored", "connected"):
                engine.resume_after_feed()
