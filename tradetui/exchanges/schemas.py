"""Wire shapes of the REST answers (reference A3–A5, B3–B4), for reading and for type hints.

These describe what arrives; nothing here is trusted. ``parse.py`` checks every field it reads
and turns the JSON into core types. Private numbers are JSON strings ("NumberString"); public
quotation numbers are JSON numbers (decoded as ``Decimal`` by the client, never ``float``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypedDict

Number = Decimal | int | str


class WireError(TypedDict):
    name: str | int
    message: str


class WireErrorEnvelope(TypedDict):
    error: WireError


class UpbitMarketEvent(TypedDict, total=False):
    warning: bool
    caution: dict[str, bool]


class UpbitMarket(TypedDict, total=False):
    market: str
    korean_name: str
    english_name: str
    market_event: UpbitMarketEvent  # Upbit with is_details=true
    market_warning: str  # legacy Upbit / Bithumb: NONE | CAUTION


class UpbitCandle(TypedDict, total=False):
    market: str
    candle_date_time_utc: str  # period start, "yyyy-MM-ddTHH:mm:ss", no zone
    candle_date_time_kst: str
    opening_price: Number
    high_price: Number
    low_price: Number
    trade_price: Number
    timestamp: int
    candle_acc_trade_price: Number
    candle_acc_trade_volume: Number
    unit: int


class UpbitTicker(TypedDict, total=False):
    market: str
    trade_price: Number
    opening_price: Number
    high_price: Number
    low_price: Number
    prev_closing_price: Number
    signed_change_rate: Number
    acc_trade_price_24h: Number
    acc_trade_volume_24h: Number
    timestamp: int


class UpbitOrderbookUnit(TypedDict):
    ask_price: Number
    bid_price: Number
    ask_size: Number
    bid_size: Number


class UpbitOrderbook(TypedDict, total=False):
    market: str
    timestamp: int
    total_ask_size: Number
    total_bid_size: Number
    orderbook_units: list[UpbitOrderbookUnit]


class UpbitTradeTick(TypedDict, total=False):
    market: str
    timestamp: int
    trade_price: Number
    trade_volume: Number
    ask_bid: str  # ASK | BID (taker side)
    sequential_id: int


class UpbitInstrument(TypedDict, total=False):
    market: str
    quote_currency: str
    tick_size: str
    supported_levels: list[Number]


class UpbitAccount(TypedDict, total=False):
    currency: str
    balance: str
    locked: str
    avg_buy_price: str
    avg_buy_price_modified: bool
    unit_currency: str


class UpbitOrderTrade(TypedDict, total=False):
    market: str
    uuid: str
    price: str
    volume: str
    funds: str
    trend: str
    created_at: str
    side: str


class UpbitOrder(TypedDict, total=False):
    uuid: str  # Bithumb: opaque "C0101..." ids in the same field
    identifier: str  # Upbit client id
    client_order_id: str  # Bithumb client id
    market: str
    side: str
    ord_type: str
    price: str | None
    state: str
    created_at: str
    volume: str | None
    remaining_volume: str | None
    executed_volume: str
    executed_funds: str
    reserved_fee: str
    remaining_fee: str
    paid_fee: str
    locked: str
    trades_count: int
    trades: list[UpbitOrderTrade]


class UpbitChanceSide(TypedDict, total=False):
    currency: str
    min_total: str


class UpbitChanceMarket(TypedDict, total=False):
    id: str
    name: str
    bid_types: list[str]
    ask_types: list[str]
    bid: UpbitChanceSide
    ask: UpbitChanceSide
    max_total: str
    state: str


class UpbitChance(TypedDict, total=False):
    bid_fee: str
    ask_fee: str
    maker_bid_fee: str
    maker_ask_fee: str
    market: UpbitChanceMarket
    bid_account: UpbitAccount
    ask_account: UpbitAccount
