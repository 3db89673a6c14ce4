"""Conversions between core types / records and table rows. Every pair round-trips exactly."""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import SQLModel

from tradetui.core.events import EngineStateChanged, RiskEvent, SignalRaised
from tradetui.core.market import Bar, Timeframe
from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side, to_decimal
from tradetui.storage.records import (
    BacktestRunSummary,
    CandleInput,
    DailyPerformance,
    StoredPosition,
    StoredStrategyState,
)
from tradetui.storage.tables import (
    BacktestRunRow,
    BacktestTradeRow,
    CandleRow,
    ClosedTradeRow,
    DailyPerformanceRow,
    FillRow,
    OrderRow,
    PositionRow,
    RiskEventRow,
    RunMode,
    SignalRow,
    StrategyStateRow,
    decimal_to_text,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# --- a value's fields as a row's columns, and back -------------------------------------------------

Row = TypeVar("Row", bound=SQLModel)
Value = TypeVar("Value", bound="DataclassInstance")


def _to_row(row_type: type[Row], value: DataclassInstance, **columns: Any) -> Row:
    """A row of ``row_type`` holding ``value``'s fields that are columns of the same name (an enum
    as its value), and ``columns`` (added, or replacing a field's own)."""
    names = row_type.model_fields.keys() - columns.keys()
    own = {f.name: getattr(value, f.name) for f in fields(value) if f.name in names}
    return row_type(**{name: v.value if isinstance(v, Enum) else v for name, v in own.items()}, **columns)


def _from_row(value_type: type[Value], row: SQLModel, **values: Any) -> Value:
    """A ``value_type`` from ``row``'s columns named as its fields, and ``values`` (a field parsed
    from its column, or one no column holds); a field neither gives keeps its default."""
    names = type(row).model_fields.keys() - values.keys()
    own = {f.name: getattr(row, f.name) for f in fields(value_type) if f.name in names}
    return value_type(**own, **values)


# --- JSON columns ---------------------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return decimal_to_text(value)
    if isinstance(value, numbers.Integral):  # e.g. numpy integers in metrics
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a JSON column: {value!r}")


def dump_json(value: object) -> str:
    """Stable JSON text (sorted keys); Decimals and dates become strings."""
    return json.dumps(value, sort_keys=True, default=_json_default, ensure_ascii=False)


def load_json_object(text: str) -> dict[str, Any]:
    value = json.loads(text) if text else {}
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def run_mode(mode: RunMode | str) -> str:
    """Validate a mode name (``backtest``/``paper``/``live``)."""
    return RunMode(mode).value


def timeframe_name(timeframe: Timeframe | str) -> str:
    return Timeframe.parse(str(timeframe)).value


# --- orders and fills -------------------------------------------------------------------------


def order_to_row(order: Order, *, mode: RunMode | str, run_id: int | None = None) -> OrderRow:
    return _to_row(OrderRow, order, mode=run_mode(mode), run_id=run_id)


def row_to_order(row: OrderRow) -> Order:
    return _from_row(Order, row, side=Side(row.side), ord_type=OrdType(row.ord_type), state=OrderState(row.state))


def fill_to_row(fill: Fill) -> FillRow:
    return _to_row(FillRow, fill)


def row_to_fill(row: FillRow) -> Fill:
    return _from_row(Fill, row, side=Side(row.side), is_maker=bool(row.is_maker))


# --- candles ----------------------------------------------------------------------------------


def bar_to_candle_row(bar: Bar, *, exchange: str) -> CandleRow:
    return _to_row(CandleRow, bar, exchange=exchange)


def candle_row_to_bar(row: CandleRow) -> Bar:
    return _from_row(Bar, row, timeframe=Timeframe(row.timeframe))


def bar_to_candle_input(bar: Bar) -> CandleInput:
    return (bar.ts_s, bar.open, bar.high, bar.low, bar.close, bar.volume)


def candle_values_as_text(row: Sequence[object]) -> tuple[int, str, str, str, str, str]:
    """Check one ``(ts_s, o, h, l, c, v)`` input and return it with the prices as stored text."""
    if len(row) != 6:
        raise ValueError(f"a candle is (ts_s, open, high, low, close, volume), got {len(row)} values: {row!r}")
    ts_s = row[0]
    if not isinstance(ts_s, int) or isinstance(ts_s, bool):
        raise TypeError(f"candle ts_s must be an int (epoch seconds), got {ts_s!r}")
    texts = [_decimal_text(value) for value in row[1:]]
    return (ts_s, texts[0], texts[1], texts[2], texts[3], texts[4])


def _decimal_text(value: object) -> str:
    if isinstance(value, Decimal) and value.is_finite():
        return str(value)
    if isinstance(value, str | Decimal | int):
        return decimal_to_text(value)
    raise TypeError(f"candle values must be Decimal or str, not {type(value).__name__}: {value!r}")


# --- backtests --------------------------------------------------------------------------------


def closed_trade_to_row(trade: ClosedTrade, *, run_id: int, seq: int) -> BacktestTradeRow:
    return _to_row(BacktestTradeRow, trade, run_id=run_id, seq=seq)


def row_to_closed_trade(row: BacktestTradeRow) -> ClosedTrade:
    return _from_row(ClosedTrade, row)


BACKTEST_SUMMARY_KEYS = frozenset(
    {
        "created_ms",
        "strategy",
        "markets",
        "timeframe",
        "start_ms",
        "end_ms",
        "period",
        "params",
        "metrics",
        "config_text",
    }
)
"""Keys ``save_backtest_run`` understands; ``period`` is an alternative ``(start_ms, end_ms)`` pair."""


def summary_to_run_row(summary: Mapping[str, Any]) -> BacktestRunRow:
    """A backtest summary dict as a ``backtest_runs`` row; unknown keys are refused (typos lose data)."""
    unknown = set(summary) - BACKTEST_SUMMARY_KEYS
    if unknown:
        raise ValueError(f"unknown backtest summary keys {sorted(unknown)}; allowed: {sorted(BACKTEST_SUMMARY_KEYS)}")
    for required in ("created_ms", "strategy"):
        if required not in summary:
            raise ValueError(f"backtest summary needs {required!r}")
    start_ms, end_ms = summary.get("start_ms"), summary.get("end_ms")
    if "period" in summary:
        start_ms, end_ms = summary["period"]
    markets = summary.get("markets", ())
    markets_list = [markets] if isinstance(markets, str) else [str(m) for m in markets]
    timeframe = summary.get("timeframe", "")
    return BacktestRunRow(
        created_ms=int(summary["created_ms"]),
        strategy=str(summary["strategy"]),
        markets_json=dump_json(markets_list),
        timeframe=_known_timeframe(str(timeframe)),
        start_ms=None if start_ms is None else int(start_ms),
        end_ms=None if end_ms is None else int(end_ms),
        params_json=dump_json(dict(summary.get("params", {}))),
        metrics_json=dump_json(dict(summary.get("metrics", {}))),
        config_text=str(summary.get("config_text", "")),
    )


def _known_timeframe(text: str) -> str:
    """The canonical name of a standard timeframe (``1h`` -> ``60m``); other periods are kept as given."""
    try:
        return timeframe_name(text)
    except ValueError:
        return text


def run_row_to_summary(row: BacktestRunRow) -> BacktestRunSummary:
    if row.id is None:
        raise ValueError("backtest run row has no id (not saved yet)")
    return _from_row(
        BacktestRunSummary,
        row,
        id=row.id,
        markets=tuple(str(m) for m in json.loads(row.markets_json)),
        params=load_json_object(row.params_json),
        metrics=load_json_object(row.metrics_json),
    )


def equity_point(ts_s: int, equity: float, drawdown: float) -> tuple[int, float, float]:
    """Check one equity-curve point (finite floats)."""
    values = (float(equity), float(drawdown))
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"equity point at {ts_s} is not finite: {values}")
    return (int(ts_s), values[0], values[1])


# --- a session's closed trades ------------------------------------------------------------------


def session_trade_to_row(trade: ClosedTrade) -> ClosedTradeRow:
    return _to_row(ClosedTradeRow, trade)


def row_to_session_trade(row: ClosedTradeRow) -> ClosedTrade:
    return _from_row(ClosedTrade, row)


# --- positions, strategy state, events, daily -------------------------------------------------


def position_to_row(position: StoredPosition) -> PositionRow:
    return _to_row(
        PositionRow,
        position,
        volume=to_decimal(position.volume, what="position volume"),
        avg_price=to_decimal(position.avg_price, what="position avg_price"),
        stop_json=dump_json(dict(position.stop_state)),
    )


def row_to_position(row: PositionRow) -> StoredPosition:
    return _from_row(StoredPosition, row, stop_state=load_json_object(row.stop_json))


def strategy_state_to_row(state: StoredStrategyState) -> StrategyStateRow:
    return _to_row(StrategyStateRow, state, state_json=dump_json(dict(state.state)))


def row_to_strategy_state(row: StrategyStateRow) -> StoredStrategyState:
    return _from_row(StoredStrategyState, row, state=load_json_object(row.state_json), enabled=bool(row.enabled))


def risk_event_to_row(event: RiskEvent | EngineStateChanged) -> RiskEventRow:
    if isinstance(event, RiskEvent):
        return RiskEventRow(
            ts_ms=event.ts_ms,
            kind="risk",
            rule=event.rule,
            market=event.market,
            severity=int(event.severity),
            message=event.message,
        )
    if isinstance(event, EngineStateChanged):
        return RiskEventRow(
            ts_ms=event.ts_ms,
            kind="engine_state",
            rule=event.new.value,
            severity=int(event.severity),
            message=event.describe(),
        )
    raise TypeError(f"not a risk event: {type(event).__name__}")


def signal_to_row(event: SignalRaised, *, mode: RunMode | str, run_id: int | None = None) -> SignalRow:
    return _to_row(SignalRow, event, mode=run_mode(mode), run_id=run_id)


def row_to_signal(row: SignalRow) -> SignalRaised:
    return _from_row(SignalRaised, row)


def daily_to_row(day: DailyPerformance) -> DailyPerformanceRow:
    return _to_row(DailyPerformanceRow, day, day=day.day.isoformat(), mode=run_mode(day.mode))


def row_to_daily(row: DailyPerformanceRow) -> DailyPerformance:
    return _from_row(DailyPerformance, row, day=date.fromisoformat(row.day))
