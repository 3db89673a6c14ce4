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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from tradetui.sandbox.accounts import Account
from tradetui.sandbox.auth import authenticate
from tradetui.sandbox.candles import DAY_MS, MINUTE_MS, Candle
from tradetui.sandbox.context import Ctx, Params
from tradetui.sandbox.events import AssetChanged, BookMoved, OrderChanged, SandboxEvent, TradePrinted
from tradetui.sandbox.faults import FaultDice
from tradetui.sandbox.market import MarketSim
from tradetui.sandbox.routes_public import orderbook_json, ticker_json
from tradetui.sandbox.state import SandboxState
from tradetui.sandbox.wire import ApiError, json_number, naive_kst, naive_utc

log = logging.getLogger(__name__)

PUBLIC_PATH = "/websocket/v1"
PRIVATE_PATHS = {"upbit": "/websocket/v1/private", "bithumb": "/websocket/v2/private"}
MAX_DEPTH = {"upbit": 30, "bithumb": 15}
CANDLE_PERIODS_MS = {
    "candle.1s": 1000,
    **{f"candle.{unit}m": unit * MINUTE_MS for unit in (1, 3, 5, 10, 15, 30, 60, 240)},
}
MARKET_TYPES = ("ticker", "trade", "orderbook")
PRIVATE_TYPES = ("myOrder", "myAsset")
FORMATS = {"upbit": ("DEFAULT", "SIMPLE", "JSON_LIST", "SIMPLE_LIST"), "bithumb": ("DEFAULT", "SIMPLE")}
SNAPSHOT_FLAGS = {"upbit": ("is_only_snapshot", "is_only_realtime"), "bithumb": ("isOnlySnapshot", "isOnlyRealtime")}
CLOSE_TIMEOUT_S = 3.0
MAX_REQUEST_BYTES = 64 * 1024

# -- SIMPLE keys (A8.2, A8.3, B8) ---------------------------------------------------------------------
_COMMON = {"type": "ty", "code": "cd", "timestamp": "tms", "stream_type": "st"}
_TICKER = {
    **_COMMON,
    "opening_price": "op",
    "high_price": "hp",
    "low_price": "lp",
    "trade_price": "tp",
    "prev_closing_price": "pcp",
    "change": "c",
    "change_price": "cp",
    "signed_change_price": "scp",
    "change_rate": "cr",
    "signed_change_rate": "scr",
    "trade_volume": "tv",
    "acc_trade_volume": "atv",
    "acc_trade_volume_24h": "atv24h",
    "acc_trade_price": "atp",
    "acc_trade_price_24h": "atp24h",
    "trade_date": "tdt",
    "trade_time": "ttm",
    "trade_timestamp": "ttms",
    "ask_bid": "ab",
    "acc_ask_volume": "aav",
    "acc_bid_volume": "abv",
    "highest_52_week_price": "h52wp",
    "highest_52_week_date": "h52wdt",
    "lowest_52_week_price": "l52wp",
    "lowest_52_week_date": "l52wdt",
    "market_state": "ms",
    "is_trading_suspended": "its",
    "delisting_date": "dd",
    "market_warning": "mw",
}
_TRADE = {
    **_COMMON,
    "trade_price": "tp",
    "trade_volume": "tv",
    "ask_bid": "ab",
    "prev_closing_price": "pcp",
    "change": "c",
    "change_price": "cp",
    "trade_date": "td",
    "trade_time": "ttm",
    "trade_timestamp": "ttms",
    "sequential_id": "sid",
    "best_ask_price": "bap",
    "best_ask_size": "bas",
    "best_bid_price": "bbp",
    "best_bid_size": "bbs",
}
_ORDERBOOK = {
    **_COMMON,
    "total_ask_size": "tas",
    "total_bid_size": "tbs",
    "orderbook_units": "obu",
    "level": "lv",
}
_BOOK_UNIT = {"ask_price": "ap", "bid_price": "bp", "ask_size": "as", "bid_size": "bs"}
_CANDLE = {
    **_COMMON,
    "candle_date_time_utc": "cdttmu",
    "candle_date_time_kst": "cdttmk",
    "opening_price": "op",
    "high_price": "hp",
    "low_price": "lp",
    "trade_price": "tp",
    "candle_acc_trade_volume": "catv",
    "candle_acc_trade_price": "catp",
}
_MY_ORDER = {
    **_COMMON,
    "uuid": "uid",
    "ask_bid": "ab",
    "order_type": "ot",
    "state": "s",
    "trade_uuid": "tuid",
    "price": "p",
    "avg_price": "ap",
    "volume": "v",
    "remaining_volume": "rv",
    "executed_volume": "ev",
    "trades_count": "tc",
    "reserved_fee": "rsf",
    "remaining_fee": "rmf",
    "paid_fee": "pf",
    "locked": "l",
    "executed_funds": "ef",
    "trade_fee": "tf",
    "is_maker": "im",
    "identifier": "id",
    "smp_type": "smpt",
    "prevented_volume": "pv",
    "prevented_locked": "pl",
    "time_in_force": "tif",
    "trade_timestamp": "ttms",
    "order_timestamp": "otms",
}
_MY_ORDER_V2 = {
    **_COMMON,
    "order_id": "oid",
    "trade_id": "tid",
    "canceling_order_id": "cnoid",
    "side": "sd",
    "order_type": "ot",
    "state": "s",
    "order_price": "op",
    "trade_price": "tp",
    "order_quantity": "oq",
    "trade_quantity": "tq",
    "order_amount": "oa",
    "trade_amount": "ta",
    "avg_price": "ap",
    "remaining_quantity": "rq",
    "executed_quantity": "eq",
    "executed_amount": "ea",
    "reserved_fee": "rsf",
    "remaining_fee": "rmf",
    "paid_fee": "pf",
    "locked": "l",
    "trade_fee": "tf",
    "is_maker": "im",
    "client_order_id": "coid",
    "cancel_type": "ct",
    "time_in_force": "tif",
    "trade_timestamp": "ttms",
    "order_timestamp": "otms",
}
_MY_ASSET = {**_COMMON, "asset_uuid": "astuid", "assets": "ast", "asset_timestamp": "asttms"}
_ASSET_ITEM = {"currency": "cu", "balance": "b", "locked": "l"}


def simple_keys(message: dict[str, Any], *, v2: bool = False) -> dict[str, Any]:
    """The SIMPLE form of a DEFAULT message (keys without an abbreviation keep their name)."""
    kind = str(message.get("type", ""))
    if kind == "ticker":
        names = _TICKER
    elif kind == "trade":
        names = _TRADE
    elif kind == "orderbook":
        names = _ORDERBOOK
    elif kind.startswith("candle."):
        names = _CANDLE
    elif kind == "myOrder":
        names = _MY_ORDER_V2 if v2 else _MY_ORDER
    elif kind == "myAsset":
        names = _MY_ASSET
    else:
        return message
    out: dict[str, Any] = {}
    for key, value in message.items():
        if key == "orderbook_units":
            value = [{_BOOK_UNIT.get(k, k): v for k, v in unit.items()} for unit in value]
        elif key == "assets":
            value = [{_ASSET_ITEM.get(k, k): v for k, v in item.items()} for item in value]
        out[names.get(key, key)] = value
    return out


# -- subscription requests ----------------------------------------------------------------------------
class StreamError(Exception):
    """A request the exchange refuses: sent as ``{"error": {"name", "message"}}``, then the close."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"name": self.name, "message": self.message}}


@dataclass(frozen=True, slots=True)
class TypeSubscription:
    type: str
    codes: tuple[str, ...]
    """Known codes only; for ``myOrder`` an empty tuple means every market."""
    depths: tuple[int, ...]
    """Orderbook levels per code (parallel to ``codes``)."""
    is_snapshot: bool
    is_realtime: bool
    level: int = 0

    def wants(self, code: str) -> bool:
        return code in self.codes or (self.type == "myOrder" and not self.codes)


@dataclass(frozen=True, slots=True)
class Subscription:
    ticket: str
    types: tuple[TypeSubscription, ...]
    format: str = "DEFAULT"

    @property
    def is_simple(self) -> bool:
        return self.format.startswith("SIMPLE")

    @property
    def is_list(self) -> bool:
        return self.format.endswith("_LIST")

    def listing(self) -> list[dict[str, Any]]:
        """The ``LIST_SUBSCRIPTIONS`` view of the set."""
        rows: list[dict[str, Any]] = []
        for item in self.types:
            codes = [
                f"{code}.{depth}" if item.type == "orderbook" else code
                for code, depth in zip(item.codes, item.depths, strict=True)
            ]
            rows.append({"type": item.type, "codes": codes})
        return rows


def parse_subscription(
    text: str, *, profile: str, is_private: bool, markets: Iterable[str], max_depth: int
) -> Subscription:
    """Validate one subscription request; raises :class:`StreamError` as the exchange would answer."""
    try:
        data = json.loads(text)
    except ValueError:
        raise StreamError("WRONG_FORMAT", "the request must be a JSON array") from None
    if not isinstance(data, list) or not data or not all(isinstance(item, dict) for item in data):
        raise StreamError("WRONG_FORMAT", "the request must be a JSON array of objects")
    tickets = [item["ticket"] for item in data if "ticket" in item]
    if not tickets or not isinstance(tickets[0], str) or not tickets[0].strip():
        raise StreamError("NO_TICKET", 'the request needs a {"ticket": ...} object')
    fmt = "DEFAULT"
    for item in data:
        if "format" in item:
            fmt = item["format"]
            if fmt not in FORMATS[profile]:
                raise StreamError("INVALID_PARAM", f"format must be one of {', '.join(FORMATS[profile])}")
    known = set(markets)
    types = [item for item in data if "type" in item]
    if not types:
        raise StreamError("NO_TYPE", 'the request needs at least one {"type": ...} object')
    allowed = (
        PRIVATE_TYPES if is_private else (*MARKET_TYPES, *(tuple(CANDLE_PERIODS_MS) if profile == "upbit" else ()))
    )
    snapshot_flag, realtime_flag = SNAPSHOT_FLAGS[profile]
    parsed = [_parse_type(item, allowed, known, snapshot_flag, realtime_flag, profile, max_depth) for item in types]
    return Subscription(tickets[0], tuple(parsed), fmt)


def _parse_type(
    item: dict[str, Any],
    allowed: tuple[str, ...],
    known: set[str],
    snapshot_flag: str,
    realtime_flag: str,
    profile: str,
    max_depth: int,
) -> TypeSubscription:
    kind = item["type"]
    if not isinstance(kind, str) or kind not in allowed:
        raise StreamError("INVALID_PARAM", f"type {kind!r} is not one of {', '.join(allowed)} on this endpoint")
    raw_codes = item.get("codes")
    if kind == "myAsset":
        raw_codes = []
    elif kind == "myOrder":
        raw_codes = raw_codes or []
    elif not raw_codes:
        raise StreamError("NO_CODES", f"type {kind} needs a non-empty codes list")
    if not isinstance(raw_codes, list) or not all(isinstance(code, str) for code in raw_codes):
        raise StreamError("WRONG_FORMAT", "codes must be a list of strings")
    flags = []
    for name in (snapshot_flag, realtime_flag):
        value = item.get(name, False)
        if not isinstance(value, bool):
            raise StreamError("INVALID_PARAM", f"{name} must be true or false")
        flags.append(value)
    only_snapshot, only_realtime = flags
    level = item.get("level", 0)
    levels = (0, 1) if profile == "bithumb" else (0,)
    if kind == "orderbook" and (isinstance(level, bool) or level not in levels):
        raise StreamError("INVALID_PARAM", f"level must be one of {levels} in the sandbox")
    codes: list[str] = []
    depths: list[int] = []
    for raw in raw_codes:
        code, depth = raw, max_depth
        if kind == "orderbook" and "." in raw:
            code, _, suffix = raw.partition(".")
            if not suffix.isdigit() or int(suffix) < 1:
                continue  # an unreadable depth makes an unknown code
            depth = min(int(suffix), max_depth)
        if code in known and code not in codes:  # lower-case or unknown codes are ignored
            codes.append(code)
            depths.append(depth)
    is_private = kind in PRIVATE_TYPES
    return TypeSubscription(
        kind,
        tuple(codes),
        tuple(depths),
        is_snapshot=not is_private and not only_realtime,
        is_realtime=is_private or not only_snapshot,
        level=int(level) if kind == "orderbook" else 0,
    )


# -- message builders -----------------------------------------------------------------------------
def _number(value: Decimal | str | None) -> int | float | None:
    return None if value is None else json_number(Decimal(value))


def _change(price: Decimal, previous: Decimal) -> str:
    return "RISE" if price > previous else "FALL" if price < previous else "EVEN"


def ticker_message(state: SandboxState, market: MarketSim, now_ms: int, stream_type: str) -> dict[str, Any]:
    rest = ticker_json(Ctx(state, Params(()), now_ms), market)
    day_start = now_ms - now_ms % DAY_MS
    ask_volume = bid_volume = Decimal(0)
    for trade in reversed(market.trades):
        if trade.ts_ms < day_start:
            break
        if trade.ask_bid == "ASK":
            ask_volume += trade.volume
        else:
            bid_volume += trade.volume
    last = market.trades[-1] if market.trades else None
    message: dict[str, Any] = {"type": "ticker", "code": market.code}
    for key in _TICKER:
        if key in rest and key not in ("type", "code"):
            message[key] = rest[key]
    spec = market.spec
    message.update(
        {
            "ask_bid": last.ask_bid if last else "BID",
            "acc_ask_volume": json_number(ask_volume),
            "acc_bid_volume": json_number(bid_volume),
            "market_state": "ACTIVE" if spec.is_active else "PREVIEW",
            "is_trading_suspended": False,
            "delisting_date": None,
            "market_warning": "CAUTION" if spec.warning else "NONE",
            "timestamp": now_ms,
            "stream_type": stream_type,
        }
    )
    return message


def trade_message(
    market: MarketSim, now_ms: int, trade: TradePrinted, prev_close: Decimal, stream_type: str
) -> dict[str, Any]:
    asks, bids = market.book(now_ms)
    moment = datetime.fromtimestamp(trade.ts_ms / 1000, UTC)
    return {
        "type": "trade",
        "code": market.code,
        "timestamp": now_ms,
        "trade_date": moment.strftime("%Y-%m-%d"),
        "trade_time": moment.strftime("%H:%M:%S"),
        "trade_timestamp": trade.ts_ms,
        "trade_price": json_number(trade.price),
        "trade_volume": json_number(trade.volume),
        "ask_bid": trade.ask_bid,
        "prev_closing_price": json_number(prev_close),
        "change": _change(trade.price, prev_close),
        "change_price": json_number(abs(trade.price - prev_close)),
        "sequential_id": trade.sequential_id,
        "best_ask_price": json_number(asks[0][0]) if asks else 0,
        "best_ask_size": json_number(asks[0][1]) if asks else 0,
        "best_bid_price": json_number(bids[0][0]) if bids else 0,
        "best_bid_size": json_number(bids[0][1]) if bids else 0,
        "stream_type": stream_type,
    }


def orderbook_message(
    market: MarketSim, now_ms: int, depth: int, level: int, stream_type: str, *, micros: bool
) -> dict[str, Any]:
    rest = orderbook_json(market, now_ms, depth, level)
    return {
        "type": "orderbook",
        "code": market.code,
        "timestamp": now_ms * 1000 if micros else now_ms,
        "total_ask_size": rest["total_ask_size"],
        "total_bid_size": rest["total_bid_size"],
        "orderbook_units": rest["orderbook_units"],
        "level": level,
        "stream_type": stream_type,
    }


def _second_candle(market: MarketSim) -> Candle | None:
    if not market.trades:
        return None
    last = market.trades[-1]
    start = last.ts_ms - last.ts_ms % 1000
    found = [trade for trade in reversed(market.trades) if trade.ts_ms >= start]
    found.reverse()
    volume = sum((t.volume for t in found), Decimal(0))
    turnover = sum((t.price * t.volume for t in found), Decimal(0))
    prices = [t.price for t in found]
    return Candle(start, prices[0], max(prices), min(prices), prices[-1], volume, turnover, last.ts_ms)


def candle_message(market: MarketSim, kind: str, now_ms: int, stream_type: str) -> dict[str, Any] | None:
    """The candle of the newest trade's period (sent again each time a trade updates it)."""
    period_ms = CANDLE_PERIODS_MS[kind]
    if period_ms == 1000:
        candle = _second_candle(market)
    else:
        last = market.trades[-1].ts_ms if market.trades else None
        candle = market.candles.get(period_ms, last) if last is not None else None
    if candle is None:
        return None
    return {
        "type": kind,
        "code": market.code,
        "candle_date_time_utc": naive_utc(candle.start_ms),
        "candle_date_time_kst": naive_kst(candle.start_ms),
        "opening_price": json_number(candle.open),
        "high_price": json_number(candle.high),
        "low_price": json_number(candle.low),
        "trade_price": json_number(candle.close),
        "candle_acc_trade_volume": json_number(candle.volume),
        "candle_acc_trade_price": json_number(candle.turnover),
        "timestamp": now_ms,
        "stream_type": stream_type,
    }


def my_order_message(event: OrderChanged, *, v2: bool) -> dict[str, Any]:
    """myOrder from the order's Upbit wire form; ``trade`` messages describe that one fill."""
    order, fill = event.order, event.fill
    executed = Decimal(order["executed_volume"])
    funds = Decimal(order["executed_funds"])
    avg_price = (funds / executed).quantize(Decimal("0.00000001")) if executed else Decimal(0)
    order_ms = int(datetime.fromisoformat(order["created_at"]).timestamp() * 1000)
    trade_ms = event.ts_ms if fill is not None else None
    if not v2:
        return {
            "type": "myOrder",
            "code": order["market"],
            "uuid": order["uuid"],
            "ask_bid": order["side"].upper(),
            "order_type": order["ord_type"],
            "state": event.kind,
            "trade_uuid": fill["trade_uuid"] if fill else None,
            "price": _number(fill["price"] if fill else order["price"]),
            "avg_price": json_number(avg_price),
            "volume": _number(fill["volume"] if fill else order["volume"]),
            "remaining_volume": _number(order["remaining_volume"]),
            "executed_volume": _number(order["executed_volume"]),
            "trades_count": order["trades_count"],
            "reserved_fee": _number(order["reserved_fee"]),
            "remaining_fee": _number(order["remaining_fee"]),
            "paid_fee": _number(order["paid_fee"]),
            "locked": _number(order["locked"]),
            "executed_funds": _number(order["executed_funds"]),
            "trade_fee": _number(fill["trade_fee"]) if fill else None,
            "is_maker": fill["is_maker"] if fill else None,
            "identifier": order.get("identifier"),
            "smp_type": order.get("smp_type"),
            "prevented_volume": 0,
            "prevented_locked": 0,
            "time_in_force": order.get("time_in_force"),
            "trade_timestamp": trade_ms,
            "order_timestamp": order_ms,
            "timestamp": event.ts_ms,
            "stream_type": "REALTIME",
        }
    price = Decimal(order["price"]) if order["price"] is not None else None
    volume = Decimal(order["volume"]) if order["volume"] is not None else None
    if order["ord_type"] == "price":
        order_amount: Decimal | None = price
    elif price is not None and volume is not None:
        order_amount = price * volume
    else:
        order_amount = None
    return {
        "type": "myOrder",
        "code": order["market"],
        "order_id": order["uuid"],
        "client_order_id": order.get("client_order_id"),
        "side": "buy" if order["side"] == "bid" else "sell",
        "order_type": order["ord_type"],
        "state": event.kind,
        "trade_id": fill["trade_uuid"] if fill else None,
        "order_price": _number(price),
        "order_quantity": _number(volume),
        "order_amount": _number(order_amount),
        "trade_price": _number(fill["price"]) if fill else None,
        "trade_quantity": _number(fill["volume"]) if fill else None,
        "trade_amount": _number(fill["funds"]) if fill else None,
        "avg_price": json_number(avg_price),
        "remaining_quantity": _number(order["remaining_volume"]),
        "executed_quantity": _number(order["executed_volume"]),
        "executed_amount": _number(order["executed_funds"]),
        "reserved_fee": _number(order["reserved_fee"]),
        "remaining_fee": _number(order["remaining_fee"]),
        "paid_fee": _number(order["paid_fee"]),
        "locked": _number(order["locked"]),
        "trade_fee": _number(fill["trade_fee"]) if fill else None,
        "is_maker": fill["is_maker"] if fill else None,
        "cancel_type": order.get("cancel_type"),
        "time_in_force": order.get("time_in_force"),
        "trade_timestamp": trade_ms,
        "order_timestamp": order_ms,
        "timestamp": event.ts_ms,
        "stream_type": "REALTIME",
    }


def my_asset_message(event: AssetChanged, asset_id: str) -> dict[str, Any]:
    return {
        "type": "myAsset",
        "asset_uuid": asset_id,
        "assets": [
            {"currency": currency, "balance": json_number(balance), "locked": json_number(locked)}
            for currency, balance, locked in event.assets
        ],
        "asset_timestamp": event.ts_ms,
        "timestamp": event.ts_ms,
        "stream_type": "REALTIME",
    }


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
        latest: dict[tuple[int, str], dict[str, Any] | None] = {}
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
                latest[(index, event.market)] = self._market_message(item, market, depth, now, "REALTIME", None)
        out.extend(message for message in latest.values() if message is not None)
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
