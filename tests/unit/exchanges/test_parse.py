"""Recorded-shape fixtures → core types; malformed input → MalformedResponse naming the field."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradetui.core.market import Timeframe
from tradetui.core.orders import OrderState, OrdType
from tradetui.core.types import Side
from tradetui.exchanges.errors import MalformedResponse
from tradetui.exchanges.parse import (
    parse_balance,
    parse_candle,
    parse_chance,
    parse_market,
    parse_order,
    parse_order_fills,
    parse_orderbook,
    parse_tick_info,
    parse_ticker,
    parse_trade,
)
from tradetui.exchanges.profiles import BITHUMB, UPBIT

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load(exchange: str, name: str) -> Any:
    return json.loads((FIXTURES / exchange / f"{name}.json").read_text(), parse_float=Decimal)


def test_market_list_flags() -> None:
    upbit = [parse_market(item) for item in load("upbit", "market_all")]
    assert upbit[0].market == "KRW-BTC" and not upbit[0].warning and upbit[0].cautions == ()
    assert upbit[1].warning and upbit[1].cautions == ("PRICE_FLUCTUATIONS", "TRADING_VOLUME_SOARING")
    bithumb = [parse_market(item) for item in load("bithumb", "market_all")]
    assert [m.warning for m in bithumb] == [False, False, True]


def test_candle_exponent_number_is_exact_and_ts_is_the_utc_period_start() -> None:
    bar = parse_candle(load("upbit", "candles_minutes")[0], Timeframe.M1)
    assert bar.open == Decimal("116539000")
    assert bar.ts_s == 1_756_684_920  # 2025-09-01T00:02:00Z
    assert bar.volume == Decimal("3.00412345")
    day = parse_candle(load("upbit", "candles_days")[1], Timeframe.D1)
    assert day.ts_s == 1_756_684_800 and day.close == Decimal("117000000")


def test_ticker_orderbook_trades() -> None:
    ticker = parse_ticker(load("upbit", "ticker")[0])
    assert ticker.trade_price == Decimal("116550000")
    assert ticker.acc_trade_price_24h == Decimal("150123456789.12")
    assert ticker.ts_ms == 1_756_684_979_600
    book = parse_orderbook(load("upbit", "orderbook")[0])
    assert len(book.asks) == 2 and len(book.bids) == 3  # the zero ask slot is skipped
    assert book.best_ask == Decimal("116551000") and book.best_bid == Decimal("116550000")
    empty_slots = parse_orderbook(load("bithumb", "orderbook")[0])
    assert len(empty_slots.asks) == len(empty_slots.bids) == 2
    trades = [parse_trade(item) for item in load("upbit", "trades")]
    assert trades[0].side == "bid" and trades[1].side == "ask"
    assert trades[1].volume == Decimal("0.00012")
    bithumb_trade = parse_trade(load("bithumb", "trades")[0])  # numbers as strings
    assert bithumb_trade.price == Decimal("116580000") and bithumb_trade.volume == Decimal("0.0012")


def test_instruments_accounts_chance() -> None:
    info = parse_tick_info(load("upbit", "instruments")[0])
    assert info.tick_size == Decimal("1000") and info.supported_levels[-1] == Decimal("1000000")
    krw = parse_balance(load("upbit", "accounts")[0])
    assert (krw.currency, krw.free, krw.locked) == ("KRW", Decimal("1000000.0"), Decimal("116608275.0"))
    chance = parse_chance(load("upbit", "chance"))
    assert chance.bid_fee == Decimal("0.0005") and chance.min_total == Decimal("5000")
    assert chance.max_total == Decimal("1000000000")
    assert "price" in chance.bid_types and "market" in chance.ask_types
    assert parse_chance(load("bithumb", "chance")).ask_fee == Decimal("0.0025")


def test_upbit_order_with_trades_and_proportional_fee_split() -> None:
    raw = load("upbit", "order_get")
    order = parse_order(raw, UPBIT)
    assert order.identifier == "tt-19907a3c2a0-0000002a"
    assert order.exchange_id == "cdd92199-2897-4e14-9448-f923320408ad"
    assert (order.state, order.ord_type, order.side) == (OrderState.WAIT, OrdType.LIMIT, Side.BID)
    assert order.executed_volume == Decimal("0.006") and order.paid_fee == Decimal("300")
    assert order.created_ms == 1_756_684_980_000  # 09:03 KST = 00:03 UTC
    assert order.updated_ms == 1_756_684_989_000
    fills = parse_order_fills(raw, UPBIT)
    assert [f.volume for f in fills] == [Decimal("0.002"), Decimal("0.004")]
    assert [f.fee for f in fills] == [Decimal("100"), Decimal("200")]
    assert sum(f.fee for f in fills) == order.paid_fee
    assert {f.identifier for f in fills} == {order.identifier}


def test_upbit_market_buy_cancelled_with_fills_is_done() -> None:
    order = parse_order(load("upbit", "order_get_price_cancel"), UPBIT)
    assert order.ord_type is OrdType.PRICE
    assert order.volume is None and order.price == Decimal("10000")
    assert order.state is OrderState.DONE
    fills = parse_order_fills(load("upbit", "order_get_price_cancel"), UPBIT)
    assert fills[0].fee == Decimal("4.9975")


def test_limit_cancel_with_fills_stays_cancel_with_executed_fields() -> None:
    order = parse_order(load("upbit", "orders_closed")[1], UPBIT)
    assert order.state is OrderState.CANCEL and order.executed_volume == Decimal("0.003")
    sell = parse_order(load("upbit", "orders_closed")[0], UPBIT)
    assert sell.ord_type is OrdType.MARKET and sell.price is None and sell.volume == Decimal("0.001")


def test_bithumb_order_ids_are_opaque_and_client_id_is_read() -> None:
    raw = load("bithumb", "order_get")
    order = parse_order(raw, BITHUMB)
    assert order.exchange_id == "C0101000001234567890"
    assert order.identifier == "tt-19907a3c2a0-0000002b"
    assert order.state is OrderState.DONE
    fills = parse_order_fills(raw, BITHUMB)
    assert [f.trade_id for f in fills] == ["C0101000000000000101", "C0101000000000000102"]
    assert sum(f.fee for f in fills) == Decimal("875.25")


def test_order_without_client_id_falls_back() -> None:
    raw = load("upbit", "orders_open")[1]
    assert parse_order(raw, UPBIT).identifier == raw["uuid"]
    assert parse_order(raw, UPBIT, identifier="mine").identifier == "mine"


def test_per_trade_fee_is_used_when_present() -> None:
    raw = load("upbit", "order_get")
    raw["trades"][0]["fee"] = "120"
    raw["trades"][1]["fee"] = "180"
    assert [f.fee for f in parse_order_fills(raw, UPBIT)] == [Decimal("120"), Decimal("180")]


def test_best_order_is_read_as_the_market_order_of_its_side() -> None:
    raw = load("upbit", "order_create")
    raw.update({"ord_type": "best", "side": "ask", "price": None})
    assert parse_order(raw, UPBIT).ord_type is OrdType.MARKET


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda o: o.pop("uuid"), "uuid"),
        (lambda o: o.update(state="weird"), "state"),
        (lambda o: o.update(price="abc"), "price"),
        (lambda o: o.update(volume=None), "volume"),
        (lambda o: o.update(created_at="yesterday"), "created_at"),
        (lambda o: o.update(side="buy"), "side"),
        (lambda o: o.update(ord_type="stop"), "ord_type"),
        (lambda o: o.update(price=True), "price"),
    ],
)
def test_malformed_order_names_the_field(mutate: Any, field: str) -> None:
    raw = load("upbit", "order_create")
    mutate(raw)
    with pytest.raises(MalformedResponse, match=field):
        parse_order(raw, UPBIT)


@pytest.mark.parametrize(
    ("parser", "raw", "field"),
    [
        (parse_ticker, {"market": "KRW-BTC"}, "timestamp"),
        (parse_orderbook, {"market": "KRW-BTC", "timestamp": 1}, "orderbook_units"),
        (parse_trade, {"market": "KRW-BTC", "ask_bid": "SIDEWAYS"}, "ask_bid"),
        (parse_balance, {"currency": "KRW", "balance": "1"}, "locked"),
        (parse_chance, {"market": {"id": "KRW-BTC"}}, "bid"),
        (parse_market, ["not", "an", "object"], "object"),
    ],
)
def test_malformed_market_data_names_the_field(parser: Any, raw: Any, field: str) -> None:
    with pytest.raises(MalformedResponse, match=field):
        parser(raw)


def test_candle_with_ohlc_out_of_order_is_malformed() -> None:
    raw = load("upbit", "candles_minutes")[0]
    raw["low_price"] = Decimal("999999999")
    with pytest.raises(MalformedResponse, match="OHLC"):
        parse_candle(raw, Timeframe.M1)


def test_float_numbers_go_through_their_repr() -> None:
    raw = json.loads((FIXTURES / "upbit" / "candles_minutes.json").read_text())  # floats, not Decimal
    bar = parse_candle(raw[0], Timeframe.M1)
    assert bar.open == Decimal("116539000") and bar.volume == Decimal("3.00412345")
