"""WebSocket streams of both exchanges: subscribe, keep alive, watch for silence, reconnect.

One :class:`ExchangeStream` holds one connection (public or private). :meth:`ExchangeStream.items`
yields parsed market data and order/asset updates forever: on any drop it reconnects with
exponential backoff plus jitter and sends the whole subscription again (a new request replaces
the old set on both exchanges). Silence longer than ``stale_after_s`` yields a ``stale`` state
change (the engine pauses entries on it); twice that forces a reconnect. The caller backfills
candles over the gap from REST when it sees ``restored``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from tradetui.core.clock import Clock
from tradetui.core.events import FeedStateChanged
from tradetui.core.market import BookLevel, Exchange, OrderBook, Ticker, TradeTick
from tradetui.exchanges.profiles import ExchangeProfile

log = logging.getLogger(__name__)

# SIMPLE format keys → DEFAULT names (reference A8.2, A8.3, B8)
_SIMPLE = {
    "ty": "type",
    "cd": "code",
    "tms": "timestamp",
    "st": "stream_type",
    "op": "opening_price",
    "hp": "high_price",
    "lp": "low_price",
    "tp": "trade_price",
    "pcp": "prev_closing_price",
    "scr": "signed_change_rate",
    "atp24h": "acc_trade_price_24h",
    "atv24h": "acc_trade_volume_24h",
    "tv": "trade_volume",
    "ab": "ask_bid",
    "ttms": "trade_timestamp",
    "sid": "sequential_id",
    "tas": "total_ask_size",
    "tbs": "total_bid_size",
    "obu": "orderbook_units",
    "ap": "ask_price",
    "bp": "bid_price",
    "as": "ask_size",
    "bs": "bid_size",
    "uid": "uuid",
    "ot": "order_type",
    "s": "state",
    "tuid": "trade_uuid",
    "p": "price",
    "avgp": "avg_price",
    "v": "volume",
    "rv": "remaining_volume",
    "ev": "executed_volume",
    "tc": "trades_count",
    "rsf": "reserved_fee",
    "rmf": "remaining_fee",
    "pf": "paid_fee",
    "l": "locked",
    "ef": "executed_funds",
    "tf": "trade_fee",
    "im": "is_maker",
    "id": "identifier",
    "otms": "order_timestamp",
    "ast": "assets",
    "cu": "currency",
    "b": "balance",
    "astuid": "asset_uuid",
    "asttms": "asset_timestamp",
    "oid": "order_id",
    "tid": "trade_id",
    "sd": "side",
    "oq": "order_quantity",
    "tq": "trade_quantity",
    "rq": "remaining_quantity",
    "eq": "executed_quantity",
    "ea": "executed_amount",
    "coid": "client_order_id",
}
# SIMPLE keys whose meaning depends on the message type
_SIMPLE_BY_TYPE = {
    "myOrder": {"ap": "avg_price", "op": "order_price", "tp": "trade_price", "ab": "ask_bid"},
}


def expand_simple(message: dict[str, Any]) -> dict[str, Any]:
    """DEFAULT field names for a SIMPLE-format message (DEFAULT messages pass unchanged)."""
    if "type" in message:
        return message
    kind = message.get("ty", "")
    special = _SIMPLE_BY_TYPE.get(kind, {})
    out: dict[str, Any] = {}
    for key, value in message.items():
        name = special.get(key) or _SIMPLE.get(key, key)
        if isinstance(value, list):
            value = [expand_simple(v) if isinstance(v, dict) else v for v in value]
        out[name] = value
    if "orderbook_units" in out:
        out["orderbook_units"] = [{_SIMPLE.get(k, k): v for k, v in u.items()} for u in out["orderbook_units"]]
    if "assets" in out:
        out["assets"] = [{_SIMPLE.get(k, k): v for k, v in a.items()} for a in out["assets"]]
    return out


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _ms(value: Any) -> int:
    """Millisecond timestamps; Bithumb's orderbook sends microseconds (16 digits)."""
    ts = int(value)
    return ts // 1000 if ts > 10**14 else ts


@dataclass(frozen=True, slots=True)
class Subscription:
    type: str
    codes: tuple[str, ...] = ()
    depth: int | None = None
    """Orderbook levels (``KRW-BTC.15``)."""


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """A private ``myOrder`` message, in Upbit names (Bithumb v2 names are mapped)."""

    market: str
    uuid: str
    identifier: str
    side: str  # "bid" / "ask"
    order_type: str
    state: str  # wait, watch, trade, done, cancel, prevented
    price: Decimal | None
    volume: Decimal | None
    executed_volume: Decimal
    remaining_volume: Decimal | None
    paid_fee: Decimal
    trade_uuid: str | None
    trade_fee: Decimal | None
    is_maker: bool | None
    ts_ms: int


@dataclass(frozen=True, slots=True)
class AssetUpdate:
    ts_ms: int
    balances: tuple[tuple[str, Decimal, Decimal], ...]  # (currency, free, locked)


StreamItem = Ticker | TradeTick | OrderBook | OrderUpdate | AssetUpdate | FeedStateChanged


def parse_stream_message(raw: dict[str, Any]) -> Ticker | TradeTick | OrderBook | OrderUpdate | AssetUpdate | None:
    """One stream message → a core type (None for status messages and unknown types)."""
    msg = expand_simple(raw)
    kind = msg.get("type")
    if kind == "ticker":
        return Ticker(
            msg["code"],
            _ms(msg.get("trade_timestamp") or msg["timestamp"]),
            _dec(msg["trade_price"]),
            _dec(msg["opening_price"]),
            _dec(msg["high_price"]),
            _dec(msg["low_price"]),
            _dec(msg["prev_closing_price"]),
            _dec(msg.get("signed_change_rate", 0)),
            _dec(msg.get("acc_trade_price_24h", 0)),
            _dec(msg.get("acc_trade_volume_24h", 0)),
        )
    if kind == "trade":
        side = "bid" if str(msg["ask_bid"]).upper() == "BID" else "ask"
        return TradeTick(
            msg["code"],
            _ms(msg.get("trade_timestamp") or msg["timestamp"]),
            _dec(msg["trade_price"]),
            _dec(msg["trade_volume"]),
            side,
            int(msg.get("sequential_id", 0)),
        )
    if kind == "orderbook":
        units = msg.get("orderbook_units", [])
        asks = tuple(BookLevel(_dec(u["ask_price"]), _dec(u["ask_size"])) for u in units if _dec(u["ask_price"]) > 0)
        bids = tuple(BookLevel(_dec(u["bid_price"]), _dec(u["bid_size"])) for u in units if _dec(u["bid_price"]) > 0)
        return OrderBook(msg["code"], _ms(msg["timestamp"]), asks, bids)
    if kind == "myOrder":
        return _order_update(msg)
    if kind == "myAsset":
        assets = tuple((a["currency"], _dec(a["balance"]), _dec(a["locked"])) for a in msg.get("assets", []))
        return AssetUpdate(_ms(msg.get("asset_timestamp") or msg["timestamp"]), assets)
    return None


def _order_update(msg: dict[str, Any]) -> OrderUpdate:
    if "order_id" in msg:  # Bithumb private v2 names (B8)
        side = "bid" if msg.get("side") == "buy" else "ask"
        trade = msg.get("state") == "trade"
        price = msg.get("trade_price") if trade else msg.get("order_price")
        volume = msg.get("trade_quantity") if trade else msg.get("order_quantity")
        return OrderUpdate(
            msg["code"],
            str(msg["order_id"]),
            str(msg.get("client_order_id") or ""),
            side,
            str(msg.get("order_type", "")),
            str(msg["state"]),
            _dec(price) if price is not None else None,
            _dec(volume) if volume is not None else None,
            _dec(msg.get("executed_quantity", 0)),
            _dec(msg["remaining_quantity"]) if msg.get("remaining_quantity") is not None else None,
            _dec(msg.get("paid_fee", 0)),
            msg.get("trade_id"),
            _dec(msg["trade_fee"]) if msg.get("trade_fee") is not None else None,
            msg.get("is_maker"),
            _ms(msg.get("trade_timestamp") or msg.get("order_timestamp") or msg["timestamp"]),
        )
    return OrderUpdate(
        msg["code"],
        str(msg["uuid"]),
        str(msg.get("identifier") or ""),
        "bid" if str(msg.get("ask_bid", "")).upper() == "BID" else "ask",
        str(msg.get("order_type", "")),
        str(msg["state"]),
        _dec(msg["price"]) if msg.get("price") is not None else None,
        _dec(msg["volume"]) if msg.get("volume") is not None else None,
        _dec(msg.get("executed_volume", 0)),
        _dec(msg["remaining_volume"]) if msg.get("remaining_volume") is not None else None,
        _dec(msg.get("paid_fee", 0)),
        msg.get("trade_uuid"),
        _dec(msg["trade_fee"]) if msg.get("trade_fee") is not None else None,
        msg.get("is_maker"),
        _ms(msg.get("trade_timestamp") or msg.get("order_timestamp") or msg["timestamp"]),
    )


def subscription_request(
    profile: ExchangeProfile, subscriptions: Sequence[Subscription], *, ticket: str | None = None, fmt: str = "DEFAULT"
) -> list[dict[str, Any]]:
    """The JSON array sent after connecting; the snapshot flag spelling follows the exchange."""
    request: list[dict[str, Any]] = [{"ticket": ticket or uuid.uuid4().hex}]
    realtime_flag = "isOnlyRealtime" if profile.exchange is Exchange.BITHUMB else "is_only_realtime"
    for sub in subscriptions:
        item: dict[str, Any] = {"type": sub.type}
        if sub.codes:
            item["codes"] = [f"{c}.{sub.depth}" if sub.depth else c for c in sub.codes]
        if sub.type in ("ticker", "trade", "orderbook"):
            item[realtime_flag] = False
        request.append(item)
    request.append({"format": fmt})
    return request


Connector = Callable[..., Awaitable[ClientConnection]]


@dataclass(slots=True)
class ExchangeStream:
    profile: ExchangeProfile
    subscriptions: Sequence[Subscription]
    clock: Clock
    private: bool = False
    token_factory: Callable[[], str] | None = None
    """Makes a fresh JWT for each private handshake."""
    url: str | None = None
    ping_interval_s: float = 25.0
    stale_after_s: float = 30.0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0
    open_timeout_s: float = 10.0
    close_timeout_s: float = 1.0
    """How long closing waits for the server's close frame. A stream the exchange keeps filling
    cannot finish the handshake (its incoming buffer is full, websockets#1555), so this wait is
    what every stop of a busy session costs; the connection is dropped after it (read-only data)."""
    max_reconnects: int | None = None
    """Give up after this many consecutive failed connects (None: never)."""
    rng: random.Random = field(default_factory=random.Random)
    name: str = ""
    _failures: int = 0
    _ever_connected: bool = False

    @property
    def endpoint(self) -> str:
        if self.url:
            return self.url
        return self.profile.ws_private_url if self.private else self.profile.ws_public_url

    def _label(self) -> str:
        return self.name or f"{self.profile.exchange.value}-{'private' if self.private else 'public'}"

    def _backoff_s(self) -> float:
        cap = min(self.backoff_cap_s, self.backoff_base_s * 2 ** min(self._failures, 16))
        return self.rng.uniform(0, cap)

    async def items(self) -> AsyncGenerator[StreamItem, None]:
        """Parsed stream items and state changes, forever (until cancelled or out of retries)."""
        label = self._label()
        while True:
            headers = {}
            if self.private:
                if self.token_factory is None:
                    raise ValueError("a private stream needs a token factory (API keys)")
                headers["Authorization"] = f"Bearer {self.token_factory()}"
            try:
                async with ws_connect(
                    self.endpoint,
                    additional_headers=headers,
                    open_timeout=self.open_timeout_s,
                    close_timeout=self.close_timeout_s,
                    ping_interval=None,
                    max_size=2**22,
                ) as conn:
                    self._failures = 0
                    state = "restored" if self._ever_connected else "connected"
                    self._ever_connected = True
                    await conn.send(json.dumps(subscription_request(self.profile, self.subscriptions)))
                    yield FeedStateChanged(self.clock.now_ms(), label, state)
                    async for item in self._receive(conn, label):
                        yield item
                    reason = "closed by the server"
            except (TimeoutError, OSError, websockets.exceptions.WebSocketException) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            self._failures += 1
            yield FeedStateChanged(self.clock.now_ms(), label, "disconnected", reason)
            if self.max_reconnects is not None and self._failures > self.max_reconnects:
                return
            await asyncio.sleep(self._backoff_s())

    async def _receive(self, conn: ClientConnection, label: str) -> AsyncIterator[StreamItem]:
        loop = asyncio.get_running_loop()
        last_ping = loop.time()
        stale = False
        quiet_s = 0.0
        while True:
            wait = max(0.05, min(self.ping_interval_s - (loop.time() - last_ping), self.stale_after_s - quiet_s))
            started = loop.time()
            try:
                async with asyncio.timeout(wait):
                    frame = await conn.recv()
            except TimeoutError:
                now = loop.time()
                quiet_s += now - started
                if now - last_ping >= self.ping_interval_s - 1e-3:
                    await conn.send("PING")
                    last_ping = now
                if quiet_s >= self.stale_after_s and not stale:
                    stale = True
                    yield FeedStateChanged(self.clock.now_ms(), label, "stale", f"no message for {quiet_s:.0f} s")
                if quiet_s >= 2 * self.stale_after_s:
                    return  # force a reconnect
                continue
            except websockets.exceptions.ConnectionClosed:
                return
            quiet_s = 0.0
            if stale:
                stale = False
                yield FeedStateChanged(self.clock.now_ms(), label, "restored", "data again")
            text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
            try:
                raw = json.loads(text)
            except json.JSONDecodeError:
                log.warning("%s: dropped a malformed message (%d bytes)", label, len(text))
                continue
            for message in raw if isinstance(raw, list) else [raw]:
                if not isinstance(message, dict):
                    continue
                if "error" in message:
                    log.error("%s: server error %s", label, message["error"])
                    continue
                try:
                    item = parse_stream_message(message)
                except (KeyError, ValueError, ArithmeticError, TypeError) as exc:
                    log.warning("%s: dropped a message it could not read (%s)", label, exc)
                    continue
                if item is not None:
                    yield item
