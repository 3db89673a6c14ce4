"""Wire JSON → core types, at the boundary. Malformed input raises :class:`MalformedResponse`.

Numbers: strings become ``Decimal(str)``; JSON numbers should already be ``Decimal`` (the client
decodes with ``parse_float=Decimal``, so ``1.16539E8`` stays exact); a stray ``float`` is taken
through its shortest repr. Booleans are never numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tradetui.core.market import Bar, BookLevel, MarketInfo, OrderBook, Ticker, Timeframe, TradeTick
from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.ports import Balance
from tradetui.core.types import ZERO, Side, decimal_from_float
from tradetui.exchanges.errors import MalformedResponse
from tradetui.exchanges.profiles import UPBIT, ExchangeProfile
from tradetui.exchanges.rules import OrderChance, TickInfo

# --- field access ---------------------------------------------------------------------------------


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedResponse(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise MalformedResponse(f"{where}: expected a JSON array, got {type(value).__name__}")
    return value


def _get(obj: Mapping[str, Any], key: str, where: str) -> Any:
    value = obj.get(key)
    if value is None:
        raise MalformedResponse(f"{where}: field {key!r} is missing or null")
    return value


def _str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = _get(obj, key, where)
    if not isinstance(value, str) or not value:
        raise MalformedResponse(f"{where}: field {key!r} must be a non-empty string, got {value!r}")
    return value


def to_decimal(value: Any, what: str) -> Decimal:
    """A finite Decimal from a wire number (str, int, Decimal; float via repr)."""
    if isinstance(value, bool):
        raise MalformedResponse(f"{what}: expected a number, got {value!r}")
    try:
        if isinstance(value, Decimal):
            result = value
        elif isinstance(value, (int, str)):
            result = Decimal(value.strip() if isinstance(value, str) else value)
        elif isinstance(value, float):
            result = decimal_from_float(value)
        else:
            raise MalformedResponse(f"{what}: expected a number, got {type(value).__name__}")
    except (InvalidOperation, ValueError) as exc:
        raise MalformedResponse(f"{what}: not a number: {value!r}") from exc
    if not result.is_finite():
        raise MalformedResponse(f"{what}: not a finite number: {value!r}")
    return result


def _dec(obj: Mapping[str, Any], key: str, where: str) -> Decimal:
    return to_decimal(_get(obj, key, where), f"{where}: field {key!r}")


def _opt_dec(obj: Mapping[str, Any], key: str, where: str) -> Decimal | None:
    value = obj.get(key)
    return None if value is None else to_decimal(value, f"{where}: field {key!r}")


def _int(obj: Mapping[str, Any], key: str, where: str) -> int:
    value = _get(obj, key, where)
    if isinstance(value, bool):
        raise MalformedResponse(f"{where}: field {key!r} must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    number = to_decimal(value, f"{where}: field {key!r}")
    if number != number.to_integral_value():
        raise MalformedResponse(f"{where}: field {key!r} must be an integer, got {value!r}")
    return int(number)


def iso_to_ms(text: str, what: str) -> int:
    """ISO-8601 → epoch ms; a string without a zone is UTC (``candle_date_time_utc``)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise MalformedResponse(f"{what}: not an ISO-8601 time: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _time_ms(obj: Mapping[str, Any], key: str, where: str) -> int:
    return iso_to_ms(_str(obj, key, where), f"{where}: field {key!r}")


# --- market data ----------------------------------------------------------------------------------


def parse_market(raw: Any) -> MarketInfo:
    """One ``/v1/market/all`` item; Upbit ``market_event`` or legacy/Bithumb ``market_warning``."""
    obj = _obj(raw, "market")
    code = _str(obj, "market", "market")
    where = f"market {code}"
    warning = obj.get("market_warning") == "CAUTION"
    cautions: tuple[str, ...] = ()
    event = obj.get("market_event")
    if event is not None:
        event_obj = _obj(event, f"{where}: market_event")
        warning = warning or event_obj.get("warning") is True
        caution = event_obj.get("caution") or {}
        cautions = tuple(sorted(name for name, on in _obj(caution, f"{where}: caution").items() if on is True))
    return MarketInfo(
        market=code,
        korean_name=str(obj.get("korean_name") or ""),
        english_name=str(obj.get("english_name") or ""),
        warning=warning,
        cautions=cautions,
    )


def parse_candle(raw: Any, timeframe: Timeframe) -> Bar:
    """One candle; ``ts_s`` is the period start from ``candle_date_time_utc``."""
    obj = _obj(raw, "candle")
    market = _str(obj, "market", "candle")
    where = f"candle {market}"
    ts_ms = _time_ms(obj, "candle_date_time_utc", where)
    where = f"candle {market} {obj['candle_date_time_utc']}"
    try:
        return Bar(
            market=market,
            timeframe=timeframe,
            ts_s=ts_ms // 1000,
            open=_dec(obj, "opening_price", where),
            high=_dec(obj, "high_price", where),
            low=_dec(obj, "low_price", where),
            close=_dec(obj, "trade_price", where),
            volume=_dec(obj, "candle_acc_trade_volume", where),
        )
    except ValueError as exc:
        raise MalformedResponse(f"{where}: {exc}") from exc


def parse_ticker(raw: Any) -> Ticker:
    obj = _obj(raw, "ticker")
    market = _str(obj, "market", "ticker")
    where = f"ticker {market}"
    return Ticker(
        market=market,
        ts_ms=_int(obj, "timestamp", where),
        trade_price=_dec(obj, "trade_price", where),
        opening_price=_dec(obj, "opening_price", where),
        high_price=_dec(obj, "high_price", where),
        low_price=_dec(obj, "low_price", where),
        prev_closing_price=_dec(obj, "prev_closing_price", where),
        signed_change_rate=_dec(obj, "signed_change_rate", where),
        acc_trade_price_24h=_dec(obj, "acc_trade_price_24h", where),
        acc_trade_volume_24h=_dec(obj, "acc_trade_volume_24h", where),
    )


def parse_orderbook(raw: Any) -> OrderBook:
    """A book snapshot; zero-padded slots (price 0 or size 0) are skipped on each side."""
    obj = _obj(raw, "orderbook")
    market = _str(obj, "market", "orderbook")
    where = f"orderbook {market}"
    asks: list[BookLevel] = []
    bids: list[BookLevel] = []
    for index, unit_raw in enumerate(_list(_get(obj, "orderbook_units", where), f"{where}: orderbook_units")):
        unit_where = f"{where}: orderbook_units[{index}]"
        unit = _obj(unit_raw, unit_where)
        ask_price, ask_size = _dec(unit, "ask_price", unit_where), _dec(unit, "ask_size", unit_where)
        bid_price, bid_size = _dec(unit, "bid_price", unit_where), _dec(unit, "bid_size", unit_where)
        if ask_price > 0 and ask_size > 0:
            asks.append(BookLevel(ask_price, ask_size))
        if bid_price > 0 and bid_size > 0:
            bids.append(BookLevel(bid_price, bid_size))
    return OrderBook(market=market, ts_ms=_int(obj, "timestamp", where), asks=tuple(asks), bids=tuple(bids))


def parse_trade(raw: Any) -> TradeTick:
    """One public trade; ``side`` is the taker side in lower case (``bid``/``ask``)."""
    obj = _obj(raw, "trade")
    market = _str(obj, "market", "trade")
    where = f"trade {market}"
    side = _str(obj, "ask_bid", where).lower()
    if side not in ("bid", "ask"):
        raise MalformedResponse(f"{where}: field 'ask_bid' must be ASK or BID, got {obj['ask_bid']!r}")
    return TradeTick(
        market=market,
        ts_ms=_int(obj, "timestamp", where),
        price=_dec(obj, "trade_price", where),
        volume=_dec(obj, "trade_volume", where),
        side=side,
        sequential_id=_int(obj, "sequential_id", where),
    )


def parse_tick_info(raw: Any) -> TickInfo:
    obj = _obj(raw, "instrument")
    market = _str(obj, "market", "instrument")
    where = f"instrument {market}"
    levels = obj.get("supported_levels") or []
    return TickInfo(
        market=market,
        quote_currency=str(obj.get("quote_currency") or market.split("-", 1)[0]),
        tick_size=_dec(obj, "tick_size", where),
        supported_levels=tuple(
            to_decimal(level, f"{where}: supported_levels") for level in _list(levels, f"{where}: supported_levels")
        ),
    )


# --- account ----------------------------------------------------------------------------------------


def parse_balance(raw: Any) -> Balance:
    obj = _obj(raw, "account")
    currency = _str(obj, "currency", "account")
    where = f"account {currency}"
    return Balance(currency=currency, free=_dec(obj, "balance", where), locked=_dec(obj, "locked", where))


def parse_chance(raw: Any) -> OrderChance:
    obj = _obj(raw, "orders/chance")
    market = _obj(_get(obj, "market", "orders/chance"), "orders/chance: market")
    code = _str(market, "id", "orders/chance: market")
    where = f"orders/chance {code}"
    bid = _obj(_get(market, "bid", where), f"{where}: market.bid")
    ask = _obj(_get(market, "ask", where), f"{where}: market.ask")
    bid_fee = _dec(obj, "bid_fee", where)
    ask_fee = _dec(obj, "ask_fee", where)
    maker_bid = _opt_dec(obj, "maker_bid_fee", where)
    maker_ask = _opt_dec(obj, "maker_ask_fee", where)
    return OrderChance(
        market=code,
        bid_fee=bid_fee,
        ask_fee=ask_fee,
        maker_bid_fee=bid_fee if maker_bid is None else maker_bid,
        maker_ask_fee=ask_fee if maker_ask is None else maker_ask,
        bid_min_total=_dec(bid, "min_total", f"{where}: market.bid"),
        ask_min_total=_dec(ask, "min_total", f"{where}: market.ask"),
        max_total=_opt_dec(market, "max_total", f"{where}: market"),
        bid_types=tuple(str(t) for t in _list(market.get("bid_types") or [], f"{where}: bid_types")),
        ask_types=tuple(str(t) for t in _list(market.get("ask_types") or [], f"{where}: ask_types")),
        state=str(market.get("state") or "active"),
    )


# --- orders -----------------------------------------------------------------------------------------

_STATES = {
    "wait": OrderState.WAIT,
    "watch": OrderState.WATCH,
    "done": OrderState.DONE,
    "cancel": OrderState.CANCEL,
}


def order_identifier(obj: Mapping[str, Any], profile: ExchangeProfile) -> str | None:
    for key in (profile.client_id_field, "identifier", "client_order_id"):
        value = obj.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def parse_order(raw: Any, profile: ExchangeProfile = UPBIT, *, identifier: str | None = None) -> Order:
    """An order object (A5/B4.2) → :class:`Order`.

    * ids are opaque strings (Upbit UUIDs, Bithumb ``C0101…``) kept in ``exchange_id``.
    * ``identifier`` is the client id (``identifier`` / ``client_order_id``), else the one passed
      in, else the exchange id (orders placed outside tradetui have none).
    * ``price`` orders (market buy) keep the KRW amount in ``price`` and ``volume=None``;
      ``market`` orders (market sell) have ``price=None``. ``best`` orders are read as the
      market order of their side.
    * A ``price`` order that ended ``cancel`` with fills is ``done``: the KRW left over was too
      little for one more volume step (A5). Limit and market-sell cancels stay ``cancel``
      with their executed fields, i.e. partially filled.
    """
    obj = _obj(raw, "order")
    exchange_id = str(_get(obj, "uuid", "order"))
    where = f"order {exchange_id}"
    market = _str(obj, "market", where)
    try:
        side = Side(_str(obj, "side", where))
    except ValueError:
        raise MalformedResponse(f"{where}: field 'side' must be bid or ask, got {obj.get('side')!r}") from None
    wire_type = _str(obj, "ord_type", where)
    if wire_type == "best":
        ord_type = OrdType.PRICE if side is Side.BID else OrdType.MARKET
    else:
        try:
            ord_type = OrdType(wire_type)
        except ValueError:
            raise MalformedResponse(f"{where}: unknown ord_type {wire_type!r}") from None
    wire_state = _str(obj, "state", where)
    if wire_state not in _STATES:
        raise MalformedResponse(f"{where}: unknown state {wire_state!r}")
    state = _STATES[wire_state]
    price = None if ord_type is OrdType.MARKET else _dec(obj, "price", where)
    volume = None if ord_type is OrdType.PRICE else _dec(obj, "volume", where)
    executed_volume = _opt_dec(obj, "executed_volume", where) or ZERO
    executed_funds = _opt_dec(obj, "executed_funds", where)
    trades = obj.get("trades")
    if executed_funds is None:
        executed_funds = sum((_dec(_obj(t, where), "funds", where) for t in trades), ZERO) if trades else ZERO
    if state is OrderState.CANCEL and ord_type is OrdType.PRICE and executed_volume > 0:
        state = OrderState.DONE
    created_ms = _time_ms(obj, "created_at", where)
    updated_ms = created_ms
    if isinstance(trades, list) and trades:
        updated_ms = max(created_ms, *(_time_ms(_obj(t, where), "created_at", where) for t in trades))
    try:
        return Order(
            identifier=order_identifier(obj, profile) or identifier or exchange_id,
            market=market,
            side=side,
            ord_type=ord_type,
            price=price,
            volume=volume,
            created_ms=created_ms,
            state=state,
            exchange_id=exchange_id,
            executed_volume=executed_volume,
            executed_funds=executed_funds,
            paid_fee=_opt_dec(obj, "paid_fee", where) or ZERO,
            updated_ms=updated_ms,
        )
    except ValueError as exc:
        raise MalformedResponse(f"{where}: {exc}") from exc


def parse_order_fills(raw: Any, profile: ExchangeProfile = UPBIT, *, identifier: str | None = None) -> list[Fill]:
    """The ``trades[]`` of a ``GET /v1/order`` answer as fills, oldest first.

    Fee: a per-trade ``fee``/``trade_fee`` is used when every trade has one. Otherwise (the
    documented shape has none) the order's ``paid_fee`` is split over the trades in proportion
    to their ``funds``; the last trade takes the remainder so the fills' fees add up to
    ``paid_fee`` exactly.
    """
    obj = _obj(raw, "order")
    exchange_id = str(_get(obj, "uuid", "order"))
    where = f"order {exchange_id}"
    ident = order_identifier(obj, profile) or identifier or exchange_id
    trades_raw = obj.get("trades") or []
    rows = []
    for index, trade_raw in enumerate(_list(trades_raw, f"{where}: trades")):
        trade_where = f"{where}: trades[{index}]"
        trade = _obj(trade_raw, trade_where)
        price = _dec(trade, "price", trade_where)
        volume = _dec(trade, "volume", trade_where)
        funds = _opt_dec(trade, "funds", trade_where)
        fee = _opt_dec(trade, "fee", trade_where)
        if fee is None:
            fee = _opt_dec(trade, "trade_fee", trade_where)
        rows.append((trade, trade_where, price, volume, price * volume if funds is None else funds, fee))
    if not rows:
        return []
    if all(row[5] is not None for row in rows):
        fees = [row[5] or ZERO for row in rows]
    else:
        paid = _opt_dec(obj, "paid_fee", where) or ZERO
        total = sum((row[4] for row in rows), ZERO)
        fees = []
        for row in rows[:-1]:
            fees.append(paid * row[4] / total if total > 0 else ZERO)
        fees.append(paid - sum(fees, ZERO))
    fills = []
    for (trade, trade_where, price, volume, _funds, _fee), fee in zip(rows, fees, strict=True):
        side_text = str(trade.get("side") or obj.get("side") or "")
        try:
            fills.append(
                Fill(
                    identifier=ident,
                    trade_id=str(_get(trade, "uuid", trade_where)),
                    market=str(trade.get("market") or _str(obj, "market", where)),
                    side=Side(side_text),
                    price=price,
                    volume=volume,
                    fee=max(fee, ZERO),
                    ts_ms=_time_ms(trade, "created_at", trade_where),
                )
            )
        except ValueError as exc:
            raise MalformedResponse(f"{trade_where}: {exc}") from exc
    fills.sort(key=lambda fill: fill.ts_ms)
    return fills
