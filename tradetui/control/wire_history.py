"""The history as JSON and back: orders (past or open), closed trades, stored backtest runs
and the score grid.

Read strictly: strings must be strings, amounts finite decimal strings, enums one of their
values; a malformed document raises ``ValueError`` naming the bad field. Scores are floats with
NaN as ``null``. ``*_from_dict(*_to_dict(value)) == value`` for each (tested).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Annotated, Any, NotRequired

from pydantic import AllowInfNan, BeforeValidator, PlainSerializer, Strict, StrictInt, StrictStr
from typing_extensions import TypedDict

from tradetui.control._wire_types import Amount, Codec, Document
from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.runs import BacktestRun, BacktestRunSummary
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side


class _OrderDoc(TypedDict):
    """One order of the history (past or open) with everything the engine knows of it."""

    identifier: StrictStr
    market: StrictStr
    side: Side
    ord_type: OrdType
    price: Amount | None
    volume: Amount | None
    created_ms: StrictInt
    state: OrderState
    exchange_id: StrictStr | None
    executed_volume: Amount
    executed_funds: Amount
    paid_fee: Amount
    updated_ms: StrictInt
    purpose: StrictStr
    strategy: StrictStr
    reason: StrictStr


class _TradeDoc(TypedDict):
    market: StrictStr
    strategy: StrictStr
    entry_ms: StrictInt
    exit_ms: StrictInt
    volume: Amount
    entry_price: Amount
    exit_price: Amount
    pnl: Amount
    fees: Amount
    exit_reason: StrictStr
    exit_fills: NotRequired[StrictInt]
    """Absent from an engine older than this field: one fill."""


class _SummaryDoc(TypedDict):
    """A stored backtest run's summary; ``metrics`` and ``params`` are the stored JSON as is."""

    id: StrictInt
    created_ms: StrictInt
    strategy: StrictStr
    markets: tuple[StrictStr, ...]
    timeframe: StrictStr
    start_ms: StrictInt | None
    end_ms: StrictInt | None
    params: dict[str, Any]
    metrics: dict[str, Any]
    config_text: StrictStr


_Order = Annotated[Order, Document(_OrderDoc)]
_Trade = Annotated[ClosedTrade, Document(_TradeDoc)]
_Summary = Annotated[BacktestRunSummary, Document(_SummaryDoc)]
_Finite = Annotated[float, Strict(), AllowInfNan(False)]


class _RunDoc(TypedDict):
    run: _Summary
    trades: tuple[_Trade, ...]
    equity: tuple[tuple[StrictInt, _Finite, _Finite], ...]
    """``[ts_s, equity, drawdown]`` points."""


Scores = dict[str, dict[str, tuple[float, ...]]]
"""strategy → market → its scores on the last bars (NaN where undefined)."""

_Score = Annotated[
    float,
    Strict(),
    BeforeValidator(lambda value: math.nan if value is None else value),
    PlainSerializer(lambda value: value if math.isfinite(value) else None),  # JSON has no NaN
]


def _score_place(loc: tuple[int | str, ...]) -> str:
    """`` of <strategy> on <market>``: where in the grid a bad score is."""
    return "".join(f"{word}{part}" for word, part in zip((" of ", " on "), loc, strict=False))


_ORDER = Codec[Order](_Order, "history order")
_ORDERS = Codec[tuple[Order, ...]](tuple[_Order, ...], "history orders")
_TRADE = Codec[ClosedTrade](_Trade, "closed trade")
_TRADES = Codec[tuple[ClosedTrade, ...]](tuple[_Trade, ...], "closed trades")
_SUMMARY = Codec[BacktestRunSummary](_Summary, "backtest run")
_SUMMARIES = Codec[tuple[BacktestRunSummary, ...]](tuple[_Summary, ...], "backtest runs")
_RUN = Codec[BacktestRun](Annotated[BacktestRun, Document(_RunDoc, renamed={"run": "summary"})], "backtest run")
_SCORES = Codec[Scores](dict[StrictStr, dict[StrictStr, tuple[_Score, ...]]], "scores", where=_score_place)

history_order_to_dict = _ORDER.dump
history_order_from_dict = _ORDER.load
history_orders_from_list = _ORDERS.load
closed_trade_to_dict = _TRADE.dump
closed_trade_from_dict = _TRADE.load
closed_trades_from_list = _TRADES.load
backtest_summary_to_dict = _SUMMARY.dump
backtest_summary_from_dict = _SUMMARY.load
backtest_summaries_from_list = _SUMMARIES.load
backtest_run_from_dict = _RUN.load
scores_to_dict = _SCORES.dump
scores_from_dict = _SCORES.load


def backtest_run_to_dict(run: BacktestRun, *, max_points: int | None = None) -> Any:
    """A stored run with its trades and equity curve (every ``k``-th point when there are more
    than ``max_points``, the last one always kept)."""
    equity = run.equity
    if max_points is not None and len(equity) > max(max_points, 2):
        step = -(-(len(equity) - 1) // (max_points - 1))
        equity = (*equity[: len(equity) - 1 : step], equity[-1])
    return _RUN.dump(replace(run, equity=equity))
