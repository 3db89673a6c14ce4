"""WebSocket streams of the sandbox exchange (A8, B7, B8, D.16-D.18), on the REST server's port.

Paths: ``/websocket/v1`` (public, both profiles), ``/websocket/v1/private`` (Upbit) and
``/websocket/v2/private`` (Bithumb, v2 field names). Bithumb's old ``/v1/private`` is treated as
gone, as the reference advises.

Protocol, as the reference describes it (not as our client happens to send it):

* The client sends one JSON array: ``{"ticket"}``, one or more ``{"type", "codes", ...}`` and an
  optional ``{"format"}``. Errors answer ``{"error": {"name", "message"}}`` and close (1000):
  ``WRONG_FORMAT`` (not a JSON array of objects), ``NO_TICKET``, ``NO_TYPE``, ``NO_CODES``,
  ``INVALID_PARAM`` (unknown type or format, bad flag or level). A new request replaces the
  whole subscription. Unknown or lower-case codes are ignored.
* Snapshot flags: Upbit reads ``is_only_snapshot``/``is_only_realtime`` (current docs), Bithumb
  ``isOnlySnapshot``/``isOnlyRealtime`` (B7: the other spelling was ignored in a probe); the other
  spelling is ignored here too, so a client sending the wrong one gets snapshot + realtime.
* Every server frame is a **binary** frame of UTF-8 JSON. ``DEFAULT`` uses full names, ``SIMPLE``
  the abbreviations of A8.2/A8.3/B8; Upbit also has ``JSON_LIST``/``SIMPLE_LIST`` (each message
  wrapped in a one-element array). Numbers on the streams are JSON numbers.
* Types: ``ticker``, ``trade``, ``orderbook`` (``.N`` depth suffix, at most 30 Upbit / 15
  Bithumb; ``level`` 0 only, Bithumb also 1 = native tick) and, Upbit only, ``candle.1s`` …
  ``candle.240m``. Private: ``myOrder`` (codes optional) and ``myAsset`` (no codes), realtime only.
* Text ``PING`` (or a ping frame) keeps the socket alive; ``PING`` is answered
  ``{"status":"UP"}``, which is also sent every ``ws_status_interval_s`` on its own. A socket whose
  client sends nothing for ``ws_idle_timeout_s`` is closed.
* Private sockets need ``Authorization: Bearer <JWT>`` at the handshake (payload ``access_key``,
  ``nonce``, Bithumb also ``timestamp``); a bad token gets ``INVALID_AUTH`` and a close.
* Bithumb's orderbook ``timestamp`` is sent in microseconds, as probes observed (B7).

Each socket reads a bounded queue of :class:`~tradetui.sandbox.events.EventHub` events: a slow
client loses the oldest events, the exchange never waits for it. Ticker, orderbook and candle
messages are rendered from the newest state once per batch of queued events.

The pieces live in sibling modules: :mod:`~tradetui.sandbox.ws_subscription` (requests),
:mod:`~tradetui.sandbox.ws_messages` (the ``DEFAULT`` messages) and
:mod:`~tradetui.sandbox.ws_simple_keys` (the ``SIMPLE`` abbreviations); this module holds the
endpoints and the per-socket sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from tradetui.sandbox.accounts import Account
from tradetui.sandbox.auth import authenticate
from tradetui.sandbox.candles import DAY_MS
from tradetui.sandbox.events import AssetChanged, BookMoved, OrderChanged, SandboxEvent, TradePrinted
from tradetui.sandbox.faults import FaultDice
from tradetui.sandbox.market import MarketSim
from tradetui.sandbox.state import SandboxState
from tradetui.sandbox.wire import ApiError
from tradetui.sandbox.ws_messages import (
    candle_message,
    my_asset_message,
    my_order_message,
    orderbook_message,
    ticker_message,
    trade_message,
)
from tradetui.sandbox.ws_simple_keys import simple_keys
from tradetui.sandbox.ws_subscription import (
    PRIVATE_TYPES,
    StreamError,
    Subscription,
    TypeSubscription,
    parse_subscription,
)

log = logging.getLogger(__name__)

PUBLIC_PATH = "/websocket/v1"
PRIVATE_PATHS = {"upbit": "/websocket/v1/private", "bithumb": "/websocket/v2/private"}
MAX_DEPTH = {"upbit": 30, "bithumb": 15}
CLOSE_TIMEOUT_S = 3.0
MAX_REQUEST_BYTES = 64 * 1024


def _order_event_with_client_id(event: OrderChanged, engine_orders: dict[str, Any]) -> OrderChanged:
    """Bithumb names the client id ``client_order_id``; the event carries Upbit's ``identifier``."""
    order = dict(event.order)
    order["client_order_id"] = order.get("identifier")
    found = engine_orders.get(order["uuid"])
    if found is not None:
        order["cancel_type"] = found.cancel_type
    return OrderChanged(event.access_key, event.kind, order, event.fill, event.ts_ms)


def _drain(queue: asyncio.Queue[SandboxEvent]) -> list[SandboxEvent]:
    events: list[SandboxEvent] = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return events


# -- one connection -------------------------------------------------------------------------------
class StreamSession:
    """One accepted socket: reads requests and pings, writes snapshots and realtime messages."""

    def __init__(
        self,
        streams: WebSocketStreams,
        socket: web.WebSocketResponse,
        account: Account | None,
        is_private: bool,
    ) -> None:
        self.streams = streams
        self.state = streams.state
        self.socket = socket
        self.account = account
        self.is_private = is_private
        self.subscription: Subscription | None = None
        self._send_lock = asyncio.Lock()
        self._asset_seq = 0
        self._queue: asyncio.Queue[SandboxEvent] | None = None

    @property
    def is_v2(self) -> bool:
        return self.is_private and self.state.profile == "bithumb"

    async def run(self) -> None:
        queue = self._queue = self.state.events.subscribe(self.state.config.ws_queue_size)
        pump = asyncio.create_task(self._pump(queue), name="sandbox-ws-pump")
        try:
            await self._read()
        except ConnectionError:
            log.debug("websocket reset by the client")
        finally:
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
            self.state.events.unsubscribe(queue)
            if not self.socket.closed:
                await self.close(1000, "bye")

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(TimeoutError, ConnectionError):
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self.socket.close(code=code, message=reason.encode())

    async def fail(self, error: StreamError) -> None:
        log.debug("websocket error %s: %s", error.name, error.message)
        await self._send_control(error.body())
        await self.close(1000, error.name)

    async def _read(self) -> None:
        idle_s = self.state.config.ws_idle_timeout_s
        while not self.socket.closed:
            try:
                message = await self.socket.receive(timeout=idle_s)
            except TimeoutError:
                log.debug("websocket idle for %.1f s: closing", idle_s)
                await self.close(1000, "idle timeout")
                return
            if message.type is WSMsgType.TEXT:
                await self._on_text(str(message.data))
            elif message.type is WSMsgType.BINARY:
                await self._on_text(bytes(message.data).decode("utf-8", "replace"))
            elif message.type is WSMsgType.PING:
                await self.socket.pong(message.data)
            elif message.type is WSMsgType.PONG:
                continue
            else:  # CLOSE, CLOSING, CLOSED, ERROR
                return

    async def _on_text(self, text: str) -> None:
        if text.strip() == "PING":
            await self._send_control({"status": "UP"})
            return
        if len(text) > MAX_REQUEST_BYTES:
            await self.fail(StreamError("WRONG_FORMAT", "the request is too large"))
            return
        listing = self._list_request(text)
        if listing is not None:
            await self._send_control(listing)
            return
        try:
            subscription = parse_subscription(
                text,
                profile=self.state.profile,
                is_private=self.is_private,
                markets=self.state.markets,
                max_depth=min(MAX_DEPTH[self.state.profile], self.state.config.book_depth),
            )
        except StreamError as error:
            await self.fail(error)
            return
        async with self._send_lock:
            self.subscription = subscription
            self.state.advance()
            self._forget_market_events()  # they happened before this request; the snapshot shows them
            now = self.state.now_ms()
            for item in subscription.types:
                if item.is_snapshot:
                    for message in self._snapshots(item, now):
                        await self._send_message(message, subscription)

    def _forget_market_events(self) -> None:
        queue = self._queue
        if queue is None:
            return
        kept = [event for event in _drain(queue) if isinstance(event, OrderChanged | AssetChanged)]
        for event in kept:
            queue.put_nowait(event)

    def _list_request(self, text: str) -> dict[str, Any] | None:
        """The answer to ``[{"method": "LIST_SUBSCRIPTIONS", "ticket": ...}]``, None for other requests."""
        try:
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, list) or not any(
            isinstance(item, dict) and item.get("method") == "LIST_SUBSCRIPTIONS" for item in data
        ):
            return None
        ticket = next((item.get("ticket") for item in data if isinstance(item, dict) and "ticket" in item), None)
        current = self.subscription.listing() if self.subscription else []
        return {"method": "LIST_SUBSCRIPTIONS", "result": current, "ticket": ticket}

    # -- rendering --------------------------------------------------------------------------------
    def _snapshots(self, item: TypeSubscription, now_ms: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for code, depth in zip(item.codes, item.depths, strict=True):
            market = self.state.markets[code]
            message = self._market_message(item, market, depth, now_ms, "SNAPSHOT", None)
            if message is not None:
                out.append(message)
        return out

    def _market_message(
        self,
        item: TypeSubscription,
        market: MarketSim,
        depth: int,
        now_ms: int,
        stream_type: str,
        trade: TradePrinted | None,
    ) -> dict[str, Any] | None:
        if item.type == "ticker":
            return ticker_message(self.state, market, now_ms, stream_type)
        if item.type == "orderbook":
            micros = self.state.profile == "bithumb"
            return orderbook_message(market, now_ms, depth, item.level, stream_type, micros=micros)
        if item.type == "trade":
            if trade is None:
                if not market.trades:
                    return None
                last = market.trades[-1]
                trade = TradePrinted(last.market, last.ts_ms, last.price, last.volume, last.ask_bid, last.sequential_id)
                prev_close = last.prev_closing_price
            else:
                prev_close = self._prev_close(market, trade)
            return trade_message(market, now_ms, trade, prev_close, stream_type)
        return candle_message(market, item.type, now_ms, stream_type)

    @staticmethod
    def _prev_close(market: MarketSim, trade: TradePrinted) -> Decimal:
        for printed in reversed(market.trades):
            if printed.sequential_id == trade.sequential_id:
                return printed.prev_closing_price
        previous = market.candles.previous(DAY_MS, trade.ts_ms - trade.ts_ms % DAY_MS)
        return previous.close if previous is not None else market.last_price

    def render(self, events: list[SandboxEvent]) -> list[dict[str, Any]]:
        """Realtime messages for a batch of events; ticker/book/candle once per market, newest state."""
        subscription = self.subscription
        if subscription is None:
            return []
        now = self.state.now_ms()
        out: list[dict[str, Any]] = []
        latest: dict[tuple[int, str], tuple[TypeSubscription, MarketSim, int]] = {}
        for event in events:
            if isinstance(event, OrderChanged | AssetChanged):
                out.extend(self._private_messages(subscription, event))
                continue
            market = self.state.markets.get(event.market)
            if market is None:
                continue
            for index, item in enumerate(subscription.types):
                if not item.is_realtime or not item.wants(event.market) or item.type in PRIVATE_TYPES:
                    continue
                if isinstance(event, TradePrinted) and item.type == "trade":
                    message = self._market_message(item, market, 0, now, "REALTIME", event)
                    if message is not None:
                        out.append(message)
                    continue
                is_book_item = item.type == "orderbook"
                if isinstance(event, BookMoved) != is_book_item:
                    continue  # the book moves on path steps; ticker and candles on trades
                depth = item.depths[item.codes.index(event.market)]
                latest[(index, event.market)] = (item, market, depth)
        # rendered once per market and type, after the batch: a backlog of events (a busy
        # machine) costs one message each, not one render per event (a ticker sums a day of candles)
        for item, market, depth in latest.values():
            message = self._market_message(item, market, depth, now, "REALTIME", None)
            if message is not None:
                out.append(message)
        return out

    def _private_messages(self, subscription: Subscription, event: OrderChanged | AssetChanged) -> list[dict[str, Any]]:
        if self.account is None or event.access_key != self.account.access_key:
            return []
        out: list[dict[str, Any]] = []
        for item in subscription.types:
            if isinstance(event, OrderChanged) and item.type == "myOrder" and item.wants(event.order["market"]):
                changed = _order_event_with_client_id(event, self.state.engine.orders) if self.is_v2 else event
                out.append(my_order_message(changed, v2=self.is_v2))
            elif isinstance(event, AssetChanged) and item.type == "myAsset":
                self._asset_seq += 1
                out.append(my_asset_message(event, f"{self.account.access_key}-asset-{self._asset_seq}"))
        return out

    # -- writing ----------------------------------------------------------------------------------
    async def _pump(self, queue: asyncio.Queue[SandboxEvent]) -> None:
        interval = self.state.config.ws_status_interval_s
        loop = asyncio.get_running_loop()
        last_status = loop.time()
        try:
            while not self.socket.closed:
                timeout = None if interval is None else max(0.0, last_status + interval - loop.time())
                try:
                    async with asyncio.timeout(timeout):
                        first = await queue.get()
                except TimeoutError:
                    await self._send_control({"status": "UP"})
                    last_status = loop.time()
                    continue
                events = [first, *_drain(queue)]
                async with self._send_lock:
                    subscription = self.subscription
                    if subscription is None:
                        continue
                    for message in self.render(events):
                        await self._send_message(message, subscription)
        except ConnectionError:
            return

    async def _send_message(self, message: dict[str, Any], subscription: Subscription) -> None:
        body: Any = simple_keys(message, v2=self.is_v2) if subscription.is_simple else message
        await self._send_json([body] if subscription.is_list else body, may_garble=True)

    async def _send_control(self, data: dict[str, Any]) -> None:
        """Status, error and listing answers: never garbled, serialised with the data messages."""
        async with self._send_lock:
            await self._send_json(data, may_garble=False)

    async def _send_json(self, data: Any, *, may_garble: bool) -> None:
        if self.socket.closed:
            return
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        if may_garble and self.streams.dice.roll(self.streams.dice.spec.malformed):
            raw = raw[: max(1, len(raw) // 2)]
        await self.socket.send_bytes(raw)


# -- the endpoints ---------------------------------------------------------------------------------
class WebSocketStreams:
    """The WebSocket side of one aiohttp app: routes, live sessions, the ``ws_drop`` fault."""

    def __init__(self, state: SandboxState, dice: FaultDice) -> None:
        self.state = state
        self.dice = dice
        self.sessions: set[StreamSession] = set()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PUBLIC_PATH, self.public)
        app.router.add_get(PRIVATE_PATHS[self.state.profile], self.private)
        app.on_shutdown.append(self._on_shutdown)

    async def public(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, None, is_private=False)

    async def private(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        state.advance()
        try:
            account = authenticate(
                profile=state.profile,
                authorization=request.headers.get("Authorization"),
                accounts=state.accounts,
                hash_candidates=[],
                nonces=state.nonces,
                now_ms=state.wall_ms(),
                max_age_ms=state.config.jwt_max_age_ms,
            )
        except ApiError as error:
            return await self._serve(request, None, is_private=True, refusal=f"{error.name}: {error.message}")
        return await self._serve(request, account, is_private=True)

    async def _serve(
        self, request: web.Request, account: Account | None, *, is_private: bool, refusal: str | None = None
    ) -> web.StreamResponse:
        socket = web.WebSocketResponse(autoping=False, timeout=CLOSE_TIMEOUT_S, max_msg_size=MAX_REQUEST_BYTES * 2)
        await socket.prepare(request)
        session = StreamSession(self, socket, account, is_private)
        log.debug("websocket %s opened (%s)", request.path, "private" if is_private else "public")
        if refusal is not None:
            await session.fail(StreamError("INVALID_AUTH", refusal))
            return socket
        self.sessions.add(session)
        try:
            await session.run()
        finally:
            self.sessions.discard(session)
            log.debug("websocket %s closed", request.path)
        return socket

    async def close_all(self, code: int, reason: str) -> None:
        sessions = list(self.sessions)
        await asyncio.gather(*(session.close(code, reason) for session in sessions), return_exceptions=True)

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.close_all(1001, "server going away")

    async def drop_every(self, interval_s: float) -> None:
        """The ``ws_drop`` fault: close every socket each ``interval_s`` seconds of wall time."""
        while True:
            await asyncio.sleep(interval_s)
            if self.sessions:
                log.debug("fault ws_drop: closing %d websocket(s)", len(self.sessions))
                await self.close_all(1001, "ws_drop fault")
