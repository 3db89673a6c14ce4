"""The history as JSON and back: orders (past or open), closed trades, stored backtest runs
and the score grid.

Orders and closed trades (``history_order_*``, ``closed_trade_*``) are parsed strictly: strings
must be strings, amounts finite decimal strings, enums one of their values; a malformed document
raises ``ValueError`` naming the bad field. Scores are floats with NaN as ``null``.
``*_from_dict(*_to_dict(value)) == value`` for each (tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from tradetui.control._wire_scalars import (
    JsonDict,
    _dec,
    _field,
    _many,
    _obj,
    _opt_dec,
    _to_dec,
    _to_float,
    _to_int,
)
from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.runs import BacktestRun, BacktestRunSummary, EquityPoint
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side

T = TypeVar("T")


def _to_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _to_opt_str(value: Any) -> str | None:
    return None if value is None else _to_str(value)


def _to_amount(value: Any) -> Decimal:
    """A finite decimal (prices, volumes, fees, PnL: never NaN or infinite)."""
    result = _to_dec(value)
    if not result.is_finite():
        raise ValueError(f"expected a finite decimal, got {value!r}")
    return result


def _to_opt_amount(value: Any) -> Decimal | None:
    return None if value is None else _to_amount(value)


def _parsed(data: Mapping[str, Any], key: str, what: str, parse: Callable[[Any], T]) -> T:
    """``parse(data[key])``; a missing or malformed value raises ``ValueError`` naming ``what.key``."""
    value = _field(data, key, what)
    try:
        return parse(value)
    except ValueError as exc:
        raise ValueError(f"{what}: bad {key!r}: {exc}") from None


def history_order_to_dict(o: Order) -> JsonDict:
    """One order of the history (past or open) with everything the engine knows of it."""
    return {
        "identifier": o.identifier,
        "market": o.market,
        "side": o.side.value,
        "ord_type": o.ord_type.value,
        "price": _opt_dec(o.price),
        "volume": _opt_dec(o.volume),
        "created_ms": o.created_ms,
        "state": o.state.value,
        "exchange_id": o.exchange_id,
        "executed_volume": _dec(o.executed_volume),
        "executed_funds": _dec(o.executed_funds),
        "paid_fee": _dec(o.paid_fee),
        "updated_ms": o.updated_ms,
        "purpose": o.purpose,
        "strategy": o.strategy,
        "reason": o.reason,
    }


def history_order_from_dict(data: Any) -> Order:
    d = _obj(data, "history order")

    def f(key: str, parse: Callable[[Any], T]) -> T:
        return _parsed(d, key, "history order", parse)

    fields = (
        f("identifier", _to_str),
        f("market", _to_str),
        f("side", Side),
        f("ord_type", OrdType),
        f("price", _to_opt_amount),
        f("volume", _to_opt_amount),
        f("created_ms", _to_int),
        f("state", OrderState),
        f("exchange_id", _to_opt_str),
        f("executed_volume", _to_amount),
        f("executed_funds", _to_amount),
        f("paid_fee", _to_amount),
        f("updated_ms", _to_int),
        f("purpose", _to_str),
        f("strategy", _to_str),
        f("reason", _to_str),
    )
    try:
        return Order(*fields)
    except ValueError as exc:  # price/volume do not fit the order type
        raise ValueError(f"history order: {exc}") from None


def closed_trade_to_dict(t: ClosedTrade) -> JsonDict:
    return {
        "market": t.market,
        "strategy": t.strategy,
        "entry_ms": t.entry_ms,
        "exit_ms": t.exit_ms,
        "volume": _dec(t.volume),
        "entry_price": _dec(t.entry_price),
        "exit_price": _dec(t.exit_price),
        "pnl": _dec(t.pnl),
        "fees": _dec(t.fees),
        "exit_reason": t.exit_reason,
    }


def closed_trade_from_dict(data: Any) -> ClosedTrade:
    d = _obj(data, "closed trade")

    def f(key: str, parse: Callable[[Any], T]) -> T:
        return _parsed(d, key, "closed trade", parse)

    return ClosedTrade(
        f("market", _to_str),
        f("strategy", _to_str),
        f("entry_ms", _to_int),
        f("exit_ms", _to_int),
        f("volume", _to_amount),
        f("entry_price", _to_amount),
        f("exit_price", _to_amount),
        f("pnl", _to_amount),
        f("fees", _to_amount),
        f("exit_reason", _to_str),
    )


def history_orders_from_list(data: Any) -> tuple[Order, ...]:
    return _many(data, history_order_from_dict)


def closed_trades_from_list(data: Any) -> tuple[ClosedTrade, ...]:
    return _many(data, closed_trade_from_dict)


def _to_opt_int(value: Any) -> int | None:
    return None if value is None else _to_int(value)


def _to_json_object(value: Any) -> dict[str, Any]:
    return dict(_obj(value, "object"))


def backtest_summary_to_dict(r: BacktestRunSummary) -> JsonDict:
    """A stored backtest run's summary; ``metrics`` and ``params`` are the stored JSON as is."""
    return {
        "id": r.id,
        "created_ms": r.created_ms,
        "strategy": r.strategy,
        "markets": list(r.markets),
        "timeframe": r.timeframe,
        "start_ms": r.start_ms,
        "end_ms": r.end_ms,
        "params": dict(r.params),
        "metrics": dict(r.metrics),
        "config_text": r.config_text,
    }


def backtest_summary_from_dict(data: Any) -> BacktestRunSummary:
    d = _obj(data, "backtest run")

    def f(key: str, parse: Callable[[Any], T]) -> T:
        return _parsed(d, key, "backtest run", parse)

    return BacktestRunSummary(
        id=f("id", _to_int),
        created_ms=f("created_ms", _to_int),
        strategy=f("strategy", _to_str),
        markets=f("markets", lambda v: _many(v, _to_str)),
        timeframe=f("timeframe", _to_str),
        start_ms=f("start_ms", _to_opt_int),
        end_ms=f("end_ms", _to_opt_int),
        params=f("params", _to_json_object),
        metrics=f("metrics", _to_json_object),
        config_text=f("config_text", _to_str),
    )


def backtest_summaries_from_list(data: Any) -> tuple[BacktestRunSummary, ...]:
    return _many(data, backtest_summary_from_dict)


def _equity_point(value: Any) -> EquityPoint:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ValueError(f"an equity point is [ts_s, equity, drawdown], got {value!r}")
    point = (_to_int(value[0]), _to_float(value[1]), _to_float(value[2]))
    if not all(math.isfinite(v) for v in point[1:]):
        raise ValueError(f"equity point {value!r} is not finite")
    return point


def backtest_run_to_dict(run: BacktestRun, *, max_points: int | None = None) -> JsonDict:
    """A stored run with its trades and equity curve (every ``k``-th point when there are more
    than ``max_points``, the last one always kept)."""
    equity = run.equity
    if max_points is not None and len(equity) > max(max_points, 2):
        step = -(-(len(equity) - 1) // (max_points - 1))
        equity = (*equity[: len(equity) - 1 : step], equity[-1])
    return {
        "run": backtest_summary_to_dict(run.summary),
        "trades": [closed_trade_to_dict(t) for t in run.trades],
        "equity": [[t, e, d] for t, e, d in equity],
    }


def backtest_run_from_dict(data: Any) -> BacktestRun:
    d = _obj(data, "backtest run")
    return BacktestRun(
        summary=backtest_summary_from_dict(_field(d, "run", "backtest run")),
        trades=closed_trades_from_list(_field(d, "trades", "backtest run")),
        equity=_many(_field(d, "equity", "backtest run"), _equity_point),
    )


Scores = dict[str, dict[str, tuple[float, ...]]]
"""strategy → market → its scores on the last bars (NaN where undefined)."""


def _score_to_json(value: float) -> float | None:
    return value if math.isfinite(value) else None  # JSON has no NaN


def _score_from_json(value: Any) -> float:
    return math.nan if value is None else _to_float(value)


def scores_to_dict(grid: Scores) -> dict[str, dict[str, list[float | None]]]:
    """The score grid as JSON: a score that is not a finite number (NaN: not defined yet) is null."""
    return {
        strategy: {market: [_score_to_json(v) for v in values] for market, values in by_market.items()}
        for strategy, by_market in grid.items()
    }


def scores_from_dict(data: Any) -> Scores:
    grid: Scores = {}
    for strategy, by_market in _obj(data, "scores").items():
        row = grid[_to_str(strategy)] = {}
        for market, values in _obj(by_market, f"scores of {strategy}").items():
            try:
                row[_to_str(market)] = _many(values, _score_from_json)
            except ValueError as exc:
                raise ValueError(f"scores of {strategy} on {market}: {exc}") from None
    return grid
