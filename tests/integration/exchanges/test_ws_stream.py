"""The WebSocket stream against a loopback server: subscribe, parse, keep alive, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager
from decimal import Decimal
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tradetui.core.clock import LiveClock
from tradetui.core.events import FeedStateChanged
from tradetui.core.market import OrderBook, Ticker, TradeTick
from tradetui.exchanges.profiles import BITHUMB, UPBIT
from tradetui.exchanges.ws import (
    AssetUpdate,
    ExchangeStream,
    OrderUpdate,
    Subscription,
    expand_simple,
    parse_stream_message,
    subscription_request,
)

TICKER = {
    "type": "ticker",
    "code": "KRW-BTC",
    "opening_price": 1.6e8,
    "high_price": 161000000,
    "low_price": 159000000,
    "trade_price": 160500000,
    "prev_closing_price": 159500000,
    "signed_change_rate": 0.0062,
    "acc_trade_price_24h": 1.2e11,
    "acc_trade_volume_24h": 750.5,
    "trade_timestamp": 1760000000123,
    "timestamp": 1760000000200,
    "stream_type": "REALTIME",
}
TRADE_SIMPLE = {
    "ty": "trade",
    "cd": "KRW-XRP",
    "tp": 3010,
    "tv": 12.5,
    "ab": "BID",
    "ttms": 1760000000300,
    "tms": 1760000000301,
    "sid": 99,
    "st": "REALTIME",
}
BOOK = {
    "type": "orderbook",
    "code": "KRW-BTC",
    "timestamp": 1760000000400123,
    "total_ask_size": 1,
    "total_bid_size": 2,
    "orderbook_units": [
        {"ask_price": 160600000, "bid_price": 160500000, "ask_size": 0.5, "bid_size": 1.2},
        {"ask_price": 0, "bid_price": 160400000, "ask_size": 0, "bid_size": 0.8},
    ],
}


def test_subscription_flags_follow_each_exchange() -> None:
    subs = [Subscription("ticker", ("KRW-BTC",)), Subscription("orderbook", ("KRW-BTC",), depth=15)]
    up = subscription_request(UPBIT, subs, ticket="t")
    bt = subscription_request(BITHUMB, subs, ticket="t")
    assert up[0] == {"ticket": "t"} and up[-1] == {"format": "DEFAULT"}
    assert up[1] == {"type": "ticker", "codes": ["KRW-BTC"], "is_only_realtime": False}
    assert up[2]["codes"] == ["KRW-BTC.15"]
    assert bt[1] == {"type": "ticker", "codes": ["KRW-BTC"], "isOnlyRealtime": False}


def test_parse_default_simple_and_microsecond_book() -> None:
    ticker = parse_stream_message(TICKER)
    assert isinstance(ticker, Ticker) and ticker.opening_price == Decimal("160000000.0")
    trade = parse_stream_message(TRADE_SIMPLE)
    assert trade == TradeTick("KRW-XRP", 1760000000300, Decimal("3010"), Decimal("12.5"), "bid", 99)
    book = parse_stream_message(BOOK)
    assert isinstance(book, OrderBook) and book.ts_ms == 1760000000400
    assert len(book.asks) == 1 and len(book.bids) == 2  # zero-padded slot skipped


def test_my_order_in_upbit_and_bithumb_v2_names() -> None:
    upbit = parse_stream_message(
        {
            "ty": "myOrder",
            "cd": "KRW-BTC",
            "uid": "u-1",
            "ab": "BID",
            "ot": "limit",
            "s": "trade",
            "tuid": "t-1",
            "p": "160000000",
            "v": "0.01",
            "ev": "0.01",
            "rv": "0",
            "pf": "800",
            "tf": "800",
            "im": True,
            "id": "tt-1",
            "ttms": 1760000000000,
            "tms": 1760000000001,
        }
    )
    assert isinstance(upbit, OrderUpdate)
    assert (upbit.uuid, upbit.identifier, upbit.side, upbit.state, upbit.price) == (
        "u-1",
        "tt-1",
        "bid",
        "trade",
        Decimal("160000000"),
    )
    bithumb = parse_stream_message(
        {
            "type": "myOrder",
            "code": "KRW-BTC",
            "order_id": "C0101",
            "side": "sell",
            "order_type": "limit",
            "state": "trade",
            "trade_id": "T9",
            "order_price": "161000000",
            "trade_price": "160900000",
            "order_quantity": "0.5",
            "trade_quantity": "0.1",
            "executed_quantity": "0.1",
            "remaining_quantity": "0.4",
            "paid_fee": "40",
            "client_order_id": "tt-2",
            "timestamp": 1760000000002,
        }
    )
    assert isinstance(bithumb, OrderUpdate)
    assert (bithumb.uuid, bithumb.side, bithumb.price, bithumb.volume) == (
        "C0101",
        "ask",
        Decimal("160900000"),
        Decimal("0.1"),
    )


def test_expand_simple_keeps_default_messages() -> None:
    assert expand_simple(TICKER) is TICKER


@asynccontextmanager
async def _server(handler: Any) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/websocket/v1"


async def _collect(stream: ExchangeStream, count: int, timeout: float = 5.0) -> list[object]:
    items: list[object] = []

    async def run() -> None:
        async with aclosing(stream.items()) as source:
            async for item in source:
                items.append(item)
                if len(items) >= count:
                    return

    await asyncio.wait_for(run(), timeout)
    return items


async def test_stream_parses_frames_and_reconnects_with_resubscribe() -> None:
    requests: list[list[dict[str, Any]]] = []
    connections = 0

    async def handler(ws: ServerConnection) -> None:
        nonlocal connections
        connections += 1
        requests.append(json.loads(await ws.recv()))
        await ws.send(json.dumps(TICKER).encode())  # binary frame, as the exchanges send
        await ws.send(b"{not json")
        await ws.send(json.dumps(TRADE_SIMPLE).encode())
        if connections == 1:
            await ws.close()  # drop the first connection
            return
        await ws.wait_closed()

    async with _server(handler) as url:
        stream = ExchangeStream(
            UPBIT,
            [Subscription("ticker", ("KRW-BTC",)), Subscription("trade", ("KRW-XRP",))],
            LiveClock(),
            url=url,
            backoff_base_s=0.01,
            rng=random.Random(1),
        )
        items = await _collect(stream, 7)
    states = [i.state for i in items if isinstance(i, FeedStateChanged)]
    assert states == ["connected", "disconnected", "restored"]
    data = [i for i in items if not isinstance(i, FeedStateChanged)]
    assert [type(d).__name__ for d in data] == ["Ticker", "TradeTick", "Ticker", "TradeTick"]
    assert len(requests) == 2 and requests[0][1:] == requests[1][1:]  # full subscription sent again


async def test_quiet_stream_pings_goes_stale_and_recovers() -> None:
    got_ping = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()
        msg = await ws.recv()
        if msg == "PING":
            got_ping.set()
            await ws.send(json.dumps({"status": "UP"}).encode())
        await asyncio.sleep(0.5)  # silence beyond stale_after_s
        await ws.send(json.dumps(TICKER).encode())
        await ws.wait_closed()

    async with _server(handler) as url:
        stream = ExchangeStream(
            UPBIT, [Subscription("ticker", ("KRW-BTC",))], LiveClock(), url=url, ping_interval_s=0.1, stale_after_s=0.3
        )
        items = await _collect(stream, 4)
    assert got_ping.is_set()
    states = [i.state for i in items if isinstance(i, FeedStateChanged)]
    assert states[:3] == ["connected", "stale", "restored"]
    assert isinstance(items[3], Ticker)


async def test_private_stream_sends_a_fresh_token() -> None:
    seen: list[str] = []

    async def handler(ws: ServerConnection) -> None:
        seen.append(ws.request.headers["Authorization"] if ws.request else "")
        await ws.recv()
        await ws.send(
            json.dumps(
                {
                    "type": "myAsset",
                    "assets": [{"currency": "KRW", "balance": "100", "locked": "5"}],
                    "asset_timestamp": 1,
                    "timestamp": 2,
                }
            ).encode()
        )
        await ws.wait_closed()

    tokens = iter(["tok-1", "tok-2"])
    async with _server(handler) as url:
        stream = ExchangeStream(
            UPBIT, [Subscription("myAsset")], LiveClock(), private=True, token_factory=lambda: next(tokens), url=url
        )
        items = await _collect(stream, 2)
    assert seen == ["Bearer tok-1"]
    asset = items[1]
    assert isinstance(asset, AssetUpdate)
    assert asset.balances == (("KRW", Decimal("100"), Decimal("5")),)


async def test_gives_up_after_max_reconnects_when_nothing_listens() -> None:
    stream = ExchangeStream(
        UPBIT,
        [Subscription("ticker", ("KRW-BTC",))],
        LiveClock(),
        url="ws://127.0.0.1:9/x",
        backoff_base_s=0.001,
        max_reconnects=2,
        open_timeout_s=1,
    )
    items = [i async for i in stream.items()]
    assert [i.state for i in items if isinstance(i, FeedStateChanged)] == ["disconnected"] * 3


async def test_cancelled_stream_of_a_busy_exchange_stops_at_once() -> None:
    """A stop cancels the stream while the exchange keeps sending: the incoming buffer is full, so
    the closing handshake cannot complete (websockets#1555) and the close waits out its timeout.
    That wait is the stream's ``close_timeout_s`` (a second by default), not websockets' 10 s
    default that made every clean stop of a busy session take over ten seconds."""
    flooding = asyncio.Event()

    async def handler(ws: ServerConnection) -> None:
        await ws.recv()
        frame = json.dumps(TICKER).encode()
        with contextlib.suppress(ConnectionClosed):
            while True:
                await ws.send(frame)
                flooding.set()

    async with _server(handler) as url:
        stream = ExchangeStream(UPBIT, [Subscription("ticker", ("KRW-BTC",))], LiveClock(), url=url)

        async def consume() -> None:
            async with aclosing(stream.items()) as source:
                async for _ in source:
                    await asyncio.sleep(0)

        task = asyncio.create_task(consume())
        await asyncio.wait_for(flooding.wait(), 60)
        await asyncio.sleep(0.2)  # the client's buffer fills up
        loop = asyncio.get_running_loop()
        cancelled_at = loop.time()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        took_s = loop.time() - cancelled_at
    assert took_s < 8.0, f"the cancelled stream took {took_s:.1f} s to close (websockets' default: 10 s)"
