"""Messages of the sandbox WebSocket streams in their ``DEFAULT`` form, per type and exchange.

Ticker, trade, orderbook and candle messages are rendered from a market's current state; ``myOrder``
(Upbit names, or Bithumb's v2 names) and ``myAsset`` from the private events. Numbers are JSON
numbers; :func:`tradetui.sandbox.ws_simple_keys.simple_keys` abbreviates a message for ``SIMPLE``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tradetui.sandbox.candles import DAY_MS, Candle
from tradetui.sandbox.context import Ctx, Params
from tradetui.sandbox.events import AssetChanged, OrderChanged, TradePrinted
from tradetui.sandbox.market import MarketSim
from tradetui.sandbox.routes_public import orderbook_json, ticker_json
from tradetui.sandbox.state import SandboxState
from tradetui.sandbox.wire import json_number, naive_kst, naive_utc
from tradetui.sandbox.ws_simple_keys import TICKER_KEYS
from tradetui.sandbox.ws_subscription import CANDLE_PERIODS_MS


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
    for key in TICKER_KEYS:
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
