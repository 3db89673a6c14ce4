"""SIMPLE format of the sandbox WebSocket streams (A8.2, A8.3, B8): the abbreviated keys.

``DEFAULT`` messages use full field names; ``SIMPLE`` (and Upbit's ``SIMPLE_LIST``) send the same
message with the abbreviations below. :func:`simple_keys` turns one into the other; the protocol
itself is described in :mod:`tradetui.sandbox.websocket`.
"""

from __future__ import annotations

from typing import Any

_COMMON = {"type": "ty", "code": "cd", "timestamp": "tms", "stream_type": "st"}
TICKER_KEYS = {
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
"""The ticker's fields with their SIMPLE names; ``ticker_message`` copies the REST ticker's fields in this order."""

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
        names = TICKER_KEYS
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
