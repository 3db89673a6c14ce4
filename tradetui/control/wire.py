"""The read model as JSON and back: money (prices, volumes, KRW amounts) travels as strings,
whether the view holds a Decimal or a float (a stop level, a turnover); percents, counts and
times are numbers; enums their values, tuples lists. The chart's candle and marker series are
plot data and stay numbers. ``*_from_dict(*_to_dict(view)) == view`` for every view (tested).

The snapshot (positions, orders, risk, strategies, events), the market list and the chart (with
its book) live here; the history (orders, closed trades, scores) in
:mod:`~tradetui.control.wire_history`. Each view's document below says how every field travels
(:mod:`~tradetui.control._wire_types`); a malformed document raises ``ValueError`` naming what is
wrong and where.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, NotRequired

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr
from typing_extensions import TypedDict

from tradetui.control._wire_types import Amount, Codec, Document, FloatMoney
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


class _PositionDoc(TypedDict):
    market: StrictStr
    strategy: StrictStr
    volume: Amount
    avg_price: Amount
    last_price: Amount | None
    pnl_krw: Amount
    pnl_pct: StrictFloat
    stop: FloatMoney | None
    target: FloatMoney | None
    trailing: FloatMoney | None


class _OrderDoc(TypedDict):
    identifier: StrictStr
    market: StrictStr
    side: StrictStr
    ord_type: StrictStr
    price: Amount | None
    volume: Amount | None
    filled_pct: StrictFloat
    state: StrictStr
    age_s: StrictFloat
    purpose: StrictStr


class _RiskDoc(TypedDict):
    state: EngineState
    reason: StrictStr
    day_pnl: Amount
    daily_loss_limit_krw: Amount | None
    daily_loss_used_pct: StrictFloat
    exposure_krw: Amount
    exposure_pct: StrictFloat
    open_positions: StrictInt
    max_positions: StrictInt
    consecutive_losses: StrictInt
    cooldown_until_ms: StrictInt


class _StrategyDoc(TypedDict):
    name: StrictStr
    enabled: StrictBool
    markets: tuple[StrictStr, ...]
    params: dict[str, Any]


class _EventDoc(TypedDict):
    ts_ms: StrictInt
    severity: StrictInt
    kind: StrictStr
    text: StrictStr


_Position = Annotated[PositionView, Document(_PositionDoc)]
_Order = Annotated[OrderView, Document(_OrderDoc)]
_Risk = Annotated[RiskView, Document(_RiskDoc)]
_Strategy = Annotated[StrategyView, Document(_StrategyDoc)]
_Event = Annotated[EventView, Document(_EventDoc)]


class _SnapshotDoc(TypedDict):
    ts_ms: StrictInt
    mode: StrictStr
    exchange: StrictStr
    state: EngineState
    equity: Amount
    cash: Amount
    realized_pnl: Amount
    fees_paid: Amount
    positions: tuple[_Position, ...]
    orders: tuple[_Order, ...]
    risk: _Risk
    strategies: tuple[_Strategy, ...]
    events: tuple[_Event, ...]
    bars_processed: StrictInt
    trades_closed: StrictInt
    time_scale: NotRequired[Annotated[StrictFloat, Field(gt=0)] | None]
    """Market time's speed over the wall clock; absent (an older engine) or null: the wall clock."""


class _MarketDoc(TypedDict):
    market: StrictStr
    last: Amount | None
    change_pct: StrictFloat | None
    turnover_24h: FloatMoney
    score: StrictFloat | None
    signal: StrictStr
    has_position: StrictBool


_Level = Annotated[BookLevel, Document(tuple[Amount, Amount])]
"""A book level is ``[price, size]``."""


class _BookDoc(TypedDict):
    market: StrictStr
    ts_ms: StrictInt
    asks: tuple[_Level, ...]
    bids: tuple[_Level, ...]


_Marker = tuple[StrictInt, StrictFloat]
"""A fill on the chart: ``[time_s, price]``."""


class _OverlayDoc(TypedDict):
    label: StrictStr
    values: tuple[StrictFloat | None, ...]


class _ChartDoc(TypedDict):
    market: StrictStr
    timeframe: StrictStr
    ts_s: tuple[StrictInt, ...]
    open: tuple[StrictFloat, ...]
    high: tuple[StrictFloat, ...]
    low: tuple[StrictFloat, ...]
    close: tuple[StrictFloat, ...]
    volume: tuple[StrictFloat, ...]
    buys: tuple[_Marker, ...]
    sells: tuple[_Marker, ...]
    stop: FloatMoney | None
    target: FloatMoney | None
    book: Annotated[OrderBook, Document(_BookDoc)] | None
    partial_exits: NotRequired[tuple[_Marker, ...]]  # absent from engines older than the field
    overlays: NotRequired[tuple[Annotated[ChartOverlay, Document(_OverlayDoc)], ...]]


_SNAPSHOT = Codec[EngineSnapshot](Annotated[EngineSnapshot, Document(_SnapshotDoc)], "status")
_MARKETS = Codec[tuple[MarketView, ...]](tuple[Annotated[MarketView, Document(_MarketDoc)], ...], "markets")
_CHART = Codec[ChartData](Annotated[ChartData, Document(_ChartDoc)], "chart")
_EVENT = Codec[EventView](_Event, "event")
_EVENTS = Codec[tuple[EventView, ...]](tuple[_Event, ...], "events")

snapshot_to_dict = _SNAPSHOT.dump
snapshot_from_dict = _SNAPSHOT.load
chart_to_dict = _CHART.dump
chart_from_dict = _CHART.load
event_to_dict = _EVENT.dump
events_from_list = _EVENTS.load
markets_from_list = _MARKETS.load


def markets_to_list(rows: Sequence[MarketView]) -> list[Any]:
    return list(_MARKETS.dump(tuple(rows)))
