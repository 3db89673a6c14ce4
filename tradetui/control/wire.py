"""The read model as JSON and back: money (prices, volumes, KRW amounts) travels as strings,
whether the view holds a Decimal or a float (a stop level, a turnover); percents, counts and
times are numbers; enums their values, tuples lists. The chart's candle and marker series are
plot data and stay numbers. ``*_from_dict(*_to_dict(view)) == view`` for every view (tested).

The snapshot (positions, orders, risk, strategies, events), the market list and the chart (with
its book) live here; the history (orders, closed trades, scores) in
:mod:`~tradetui.control.wire_history`. A malformed document raises ``ValueError`` naming what is
wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tradetui.control._wire_scalars import (
    JsonDict,
    _dec,
    _field,
    _many,
    _money,
    _obj,
    _opt_dec,
    _to_dec,
    _to_float,
    _to_int,
    _to_money,
    _to_opt_dec,
    _to_opt_float,
)
from tradetui.core.events import EngineState
from tradetui.core.market import BookLevel, OrderBook
from tradetui.engine.read_model import (
    ChartData,
    ChartOverlay,
    EngineSnapshot,
    EventView,
    MarketView,
    OrderView,
    PositionView,
    RiskView,
    StrategyView,
)


def position_to_dict(p: PositionView) -> JsonDict:
    return {
        "market": p.market,
        "strategy": p.strategy,
        "volume": _dec(p.volume),
        "avg_price": _dec(p.avg_price),
        "last_price": _opt_dec(p.last_price),
        "pnl_krw": _dec(p.pnl_krw),
        "pnl_pct": p.pnl_pct,
        "stop": _money(p.stop),
        "target": _money(p.target),
        "trailing": _money(p.trailing),
    }


def position_from_dict(data: Any) -> PositionView:
    d = _obj(data, "position")

    def f(key: str) -> Any:
        return _field(d, key, "position")

    return PositionView(
        str(f("market")),
        str(f("strategy")),
        _to_dec(f("volume")),
        _to_dec(f("avg_price")),
        _to_opt_dec(f("last_price")),
        _to_dec(f("pnl_krw")),
        _to_float(f("pnl_pct")),
        _to_money(f("stop")),
        _to_money(f("target")),
        _to_money(f("trailing")),
    )


def order_to_dict(o: OrderView) -> JsonDict:
    return {
        "identifier": o.identifier,
        "market": o.market,
        "side": o.side,
        "ord_type": o.ord_type,
        "price": _opt_dec(o.price),
        "volume": _opt_dec(o.volume),
        "filled_pct": o.filled_pct,
        "state": o.state,
        "age_s": o.age_s,
        "purpose": o.purpose,
    }


def order_from_dict(data: Any) -> OrderView:
    d = _obj(data, "order")

    def f(key: str) -> Any:
        return _field(d, key, "order")

    return OrderView(
        str(f("identifier")),
        str(f("market")),
        str(f("side")),
        str(f("ord_type")),
        _to_opt_dec(f("price")),
        _to_opt_dec(f("volume")),
        _to_float(f("filled_pct")),
        str(f("state")),
        _to_float(f("age_s")),
        str(f("purpose")),
    )


def risk_to_dict(r: RiskView) -> JsonDict:
    return {
        "state": r.state.value,
        "reason": r.reason,
        "day_pnl": _dec(r.day_pnl),
        "daily_loss_limit_krw": _opt_dec(r.daily_loss_limit_krw),
        "daily_loss_used_pct": r.daily_loss_used_pct,
        "exposure_krw": _dec(r.exposure_krw),
        "exposure_pct": r.exposure_pct,
        "open_positions": r.open_positions,
        "max_positions": r.max_positions,
        "consecutive_losses": r.consecutive_losses,
        "cooldown_until_ms": r.cooldown_until_ms,
    }


def risk_from_dict(data: Any) -> RiskView:
    d = _obj(data, "risk")

    def f(key: str) -> Any:
        return _field(d, key, "risk")

    return RiskView(
        EngineState(f("state")),
        str(f("reason")),
        _to_dec(f("day_pnl")),
        _to_opt_dec(f("daily_loss_limit_krw")),
        _to_float(f("daily_loss_used_pct")),
        _to_dec(f("exposure_krw")),
        _to_float(f("exposure_pct")),
        _to_int(f("open_positions")),
        _to_int(f("max_positions")),
        _to_int(f("consecutive_losses")),
        _to_int(f("cooldown_until_ms")),
    )


def strategy_to_dict(s: StrategyView) -> JsonDict:
    return {"name": s.name, "enabled": s.enabled, "markets": list(s.markets), "params": dict(s.params)}


def strategy_from_dict(data: Any) -> StrategyView:
    d = _obj(data, "strategy")
    enabled = _field(d, "enabled", "strategy")
    if not isinstance(enabled, bool):
        raise ValueError(f"strategy: 'enabled' must be true or false, got {enabled!r}")
    return StrategyView(
        str(_field(d, "name", "strategy")),
        enabled,
        _many(_field(d, "markets", "strategy"), str),
        dict(_obj(_field(d, "params", "strategy"), "strategy params")),
    )


def event_to_dict(e: EventView) -> JsonDict:
    return {"ts_ms": e.ts_ms, "severity": e.severity, "kind": e.kind, "text": e.text}


def event_from_dict(data: Any) -> EventView:
    d = _obj(data, "event")
    return EventView(
        _to_int(_field(d, "ts_ms", "event")),
        _to_int(_field(d, "severity", "event")),
        str(_field(d, "kind", "event")),
        str(_field(d, "text", "event")),
    )


def snapshot_to_dict(s: EngineSnapshot) -> JsonDict:
    return {
        "ts_ms": s.ts_ms,
        "mode": s.mode,
        "exchange": s.exchange,
        "state": s.state.value,
        "equity": _dec(s.equity),
        "cash": _dec(s.cash),
        "realized_pnl": _dec(s.realized_pnl),
        "fees_paid": _dec(s.fees_paid),
        "positions": [position_to_dict(p) for p in s.positions],
        "orders": [order_to_dict(o) for o in s.orders],
        "risk": risk_to_dict(s.risk),
        "strategies": [strategy_to_dict(x) for x in s.strategies],
        "events": [event_to_dict(e) for e in s.events],
        "bars_processed": s.bars_processed,
        "trades_closed": s.trades_closed,
        "time_scale": s.time_scale,
    }


def snapshot_from_dict(data: Any) -> EngineSnapshot:
    d = _obj(data, "status")

    def f(key: str) -> Any:
        return _field(d, key, "status")

    return EngineSnapshot(
        _to_int(f("ts_ms")),
        str(f("mode")),
        str(f("exchange")),
        EngineState(f("state")),
        _to_dec(f("equity")),
        _to_dec(f("cash")),
        _to_dec(f("realized_pnl")),
        _to_dec(f("fees_paid")),
        _many(f("positions"), position_from_dict),
        _many(f("orders"), order_from_dict),
        risk_from_dict(f("risk")),
        _many(f("strategies"), strategy_from_dict),
        _many(f("events"), event_from_dict),
        _to_int(f("bars_processed")),
        _to_int(f("trades_closed")),
        _time_scale(d.get("time_scale")),
    )


def _time_scale(value: Any) -> float | None:
    """Market time's speed over the wall clock; absent (an older engine) or null: the wall clock."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"status: 'time_scale' must be a positive number or null, not {value!r}")
    return float(value)


def market_to_dict(m: MarketView) -> JsonDict:
    return {
        "market": m.market,
        "last": _opt_dec(m.last),
        "change_pct": m.change_pct,
        "turnover_24h": _money(m.turnover_24h),
        "score": m.score,
        "signal": m.signal,
        "has_position": m.has_position,
    }


def market_from_dict(data: Any) -> MarketView:
    d = _obj(data, "market")

    def f(key: str) -> Any:
        return _field(d, key, "market")

    turnover = _to_money(f("turnover_24h"))
    if turnover is None:
        raise ValueError("market: 'turnover_24h' must be an amount, not null")
    return MarketView(
        str(f("market")),
        _to_opt_dec(f("last")),
        _to_opt_float(f("change_pct")),
        turnover,
        _to_opt_float(f("score")),
        str(f("signal")),
        bool(f("has_position")),
    )


def book_to_dict(b: OrderBook) -> JsonDict:
    return {
        "market": b.market,
        "ts_ms": b.ts_ms,
        "asks": [[_dec(level.price), _dec(level.size)] for level in b.asks],
        "bids": [[_dec(level.price), _dec(level.size)] for level in b.bids],
    }


def _level(data: Any) -> BookLevel:
    if not isinstance(data, list | tuple) or len(data) != 2:
        raise ValueError(f"book level: expected [price, size], got {data!r}")
    return BookLevel(_to_dec(data[0]), _to_dec(data[1]))


def book_from_dict(data: Any) -> OrderBook:
    d = _obj(data, "book")
    return OrderBook(
        str(_field(d, "market", "book")),
        _to_int(_field(d, "ts_ms", "book")),
        _many(_field(d, "asks", "book"), _level),
        _many(_field(d, "bids", "book"), _level),
    )


def _marker(data: Any) -> tuple[int, float]:
    if not isinstance(data, list | tuple) or len(data) != 2:
        raise ValueError(f"chart marker: expected [time_s, price], got {data!r}")
    return _to_int(data[0]), _to_float(data[1])


def chart_to_dict(c: ChartData) -> JsonDict:
    return {
        "market": c.market,
        "timeframe": c.timeframe,
        "ts_s": list(c.ts_s),
        "open": list(c.open),
        "high": list(c.high),
        "low": list(c.low),
        "close": list(c.close),
        "volume": list(c.volume),
        "buys": [list(m) for m in c.buys],
        "sells": [list(m) for m in c.sells],
        "stop": _money(c.stop),
        "target": _money(c.target),
        "book": None if c.book is None else book_to_dict(c.book),
        "partial_exits": [list(m) for m in c.partial_exits],
        "overlays": [{"label": o.label, "values": list(o.values)} for o in c.overlays],
    }


def _overlay(data: Any) -> ChartOverlay:
    d = _obj(data, "chart overlay")
    values = _field(d, "values", "chart overlay")
    return ChartOverlay(
        str(_field(d, "label", "chart overlay")),
        _many(values, _to_opt_float),
    )


def chart_from_dict(data: Any) -> ChartData:
    d = _obj(data, "chart")

    def f(key: str) -> Any:
        return _field(d, key, "chart")

    book = f("book")
    return ChartData(
        str(f("market")),
        str(f("timeframe")),
        _many(f("ts_s"), _to_int),
        _many(f("open"), _to_float),
        _many(f("high"), _to_float),
        _many(f("low"), _to_float),
        _many(f("close"), _to_float),
        _many(f("volume"), _to_float),
        _many(f("buys"), _marker),
        _many(f("sells"), _marker),
        _to_money(f("stop")),
        _to_money(f("target")),
        None if book is None else book_from_dict(book),
        _many(d.get("partial_exits", []), _marker),  # absent from engines older than the field
        _many(d.get("overlays", []), _overlay),
    )


def markets_to_list(rows: Sequence[MarketView]) -> list[JsonDict]:
    return [market_to_dict(m) for m in rows]


def markets_from_list(data: Any) -> tuple[MarketView, ...]:
    return _many(data, market_from_dict)


def events_from_list(data: Any) -> tuple[EventView, ...]:
    return _many(data, event_from_dict)
