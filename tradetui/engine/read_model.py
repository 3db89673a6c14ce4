"""The engine's read model: immutable views for the UI, the headless mode and the control API.

Built on demand (a UI polls at a few Hz); nothing here changes the engine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from tradetui.candles.resample import check_resample_target, resample_with_last
from tradetui.core.events import EngineState
from tradetui.core.market import OrderBook, Timeframe
from tradetui.engine.engine import Engine
from tradetui.engine.trade_marks import MarkKind
from tradetui.indicators.moving import ema

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PositionView:
    market: str
    strategy: str
    volume: Decimal
    avg_price: Decimal
    last_price: Decimal | None
    pnl_krw: Decimal
    pnl_pct: float
    stop: float | None
    target: float | None
    trailing: float | None


@dataclass(frozen=True, slots=True)
class OrderView:
    identifier: str
    market: str
    side: str
    ord_type: str
    price: Decimal | None
    volume: Decimal | None
    filled_pct: float
    state: str
    age_s: float
    purpose: str


@dataclass(frozen=True, slots=True)
class RiskView:
    state: EngineState
    reason: str
    day_pnl: Decimal
    daily_loss_limit_krw: Decimal | None
    daily_loss_used_pct: float
    exposure_krw: Decimal
    exposure_pct: float
    open_positions: int
    max_positions: int
    consecutive_losses: int
    cooldown_until_ms: int


@dataclass(frozen=True, slots=True)
class StrategyView:
    name: str
    enabled: bool
    markets: tuple[str, ...]
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventView:
    ts_ms: int
    severity: int
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    ts_ms: int
    mode: str
    exchange: str
    state: EngineState
    equity: Decimal
    cash: Decimal
    realized_pnl: Decimal
    fees_paid: Decimal
    positions: tuple[PositionView, ...]
    orders: tuple[OrderView, ...]
    risk: RiskView
    strategies: tuple[StrategyView, ...]
    events: tuple[EventView, ...]
    bars_processed: int
    trades_closed: int
    time_scale: float | None = None
    """``ts_ms`` and every time shown are market time running this many times faster than the
    wall clock (the demo: 60); None when the engine's clock is the wall clock (paper, live)."""


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """How the engine reaches its market: shown in the status bar and the risk pane."""

    state: str
    """"simulated", "connected", "disconnected", "stale", "attached"."""
    latency_ms: float | None = None
    """Round trip of the newest REST request."""
    headroom: str = ""
    """Rate-limit budget left, e.g. "order 11/12, default 28/30"."""


@dataclass(frozen=True, slots=True)
class MarketView:
    """One row of the watchlist."""

    market: str
    last: Decimal | None
    change_pct: float | None
    """Paper/live: the exchange ticker's change against the previous day's close (09:00 KST).
    Otherwise against the close 24 hours before the newest bar (None with less history)."""
    turnover_24h: float
    """KRW traded over the last 24 hours (the ticker's figure in paper/live, else the bars')."""
    score: float | None
    """Latest strategy score (for breakout: percent above the breakout level)."""
    signal: str
    """"enter" when the newest bar signalled an entry, "" otherwise."""
    has_position: bool


@dataclass(frozen=True, slots=True)
class ChartOverlay:
    """A strategy's level over the chart's candles (one value per candle, None where undefined)."""

    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class ChartData:
    market: str
    timeframe: str
    ts_s: tuple[int, ...]
    open: tuple[float, ...]
    high: tuple[float, ...]
    low: tuple[float, ...]
    close: tuple[float, ...]
    volume: tuple[float, ...]
    buys: tuple[tuple[int, float], ...]
    """(time s, price) of entry fills in the window."""
    sells: tuple[tuple[int, float], ...]
    """(time s, price) of the fills that closed a position."""
    stop: float | None
    target: float | None
    book: OrderBook | None
    partial_exits: tuple[tuple[int, float], ...] = ()
    """(time s, price) of sells that left part of the position open (take-profit steps)."""
    overlays: tuple[ChartOverlay, ...] = ()
    """The assigned strategies' levels (e.g. breakout's N-bar high), aligned with ``ts_s``."""


def build_snapshot(
    engine: Engine, *, mode: str, exchange: str, max_events: int = 50, time_scale: float | None = None
) -> EngineSnapshot:
    now = engine.clock.now_ms()
    equity, exposure = engine.equity_and_exposure()
    positions = []
    for market, pos in engine.portfolio.positions.items():
        last = engine.mark_price(market)
        pnl = pos.unrealized(last) if last is not None else Decimal(0)
        cost = pos.avg_price * pos.volume
        tracker = pos.tracker
        positions.append(
            PositionView(
                market,
                pos.strategy,
                pos.volume,
                pos.avg_price,
                last,
                pnl,
                float(pnl / cost * 100) if cost else 0.0,
                tracker.stop_level if tracker is not None and tracker.stop_level > 0 else None,
                tracker.next_target if tracker is not None else None,
                tracker.trailing_level if tracker is not None else None,
            )
        )
    orders = []
    for o in engine.om.open_orders():
        if o.volume:
            filled = float(o.executed_volume / o.volume * 100)
        elif o.price:
            filled = float(o.executed_funds / o.price * 100)
        else:
            filled = 0.0
        orders.append(
            OrderView(
                o.identifier,
                o.market,
                o.side.value,
                o.ord_type.value,
                o.price,
                o.volume,
                filled,
                o.state.value,
                max(0.0, (now - o.created_ms) / 1000),
                o.purpose,
            )
        )
    guard = engine.risk
    limits = guard.limits
    limit_krw: Decimal | None = None
    if limits.daily_loss_pct is not None and guard.day_start_equity > 0:
        limit_krw = guard.day_start_equity * Decimal(repr(limits.daily_loss_pct)) / 100
    if limits.daily_loss_krw is not None:
        limit_krw = limits.daily_loss_krw if limit_krw is None else min(limit_krw, limits.daily_loss_krw)
    day_pnl = guard.day_pnl(equity) if guard.day_start_ms >= 0 else Decimal(0)
    used = float(-day_pnl / limit_krw * 100) if limit_krw and day_pnl < 0 else 0.0
    risk = RiskView(
        guard.state,
        guard.state_reason,
        day_pnl,
        limit_krw,
        used,
        exposure,
        float(exposure / equity * 100) if equity > 0 else 0.0,
        len(engine.portfolio.positions),
        limits.max_open_positions,
        guard.consecutive_losses,
        guard.cooldown_until_ms,
    )
    strategies = tuple(
        StrategyView(
            name,
            engine.enabled[name],
            tuple(m for m, names in engine.assignments.items() if name in names),
            s.params.model_dump(mode="json"),
        )
        for name, s in engine.strategies.items()
    )
    recent = list(engine.recent_events)[-max_events:]
    events = tuple(EventView(e.ts_ms, int(e.severity), type(e).__name__, e.describe()) for e in recent)
    return EngineSnapshot(
        now,
        mode,
        exchange,
        guard.state,
        equity,
        engine.portfolio.cash,
        engine.portfolio.realized_pnl,
        engine.portfolio.fees_paid,
        tuple(positions),
        tuple(orders),
        risk,
        strategies,
        events,
        engine.bars_processed,
        len(engine.portfolio.closed),
        time_scale,
    )


def market_views(engine: Engine) -> tuple[MarketView, ...]:
    rows = []
    for market, m in engine.markets.items():
        n = m.n
        if n == 0:
            rows.append(MarketView(market, None, None, 0.0, None, "", market in engine.portfolio.positions))
            continue
        change: float | None = None
        ticker = engine.tickers.get(market)
        if ticker is not None:  # paper/live: the exchange's own figures, as its app shows them
            change = float(ticker.signed_change_rate) * 100
            turnover = float(ticker.acc_trade_price_24h)
        else:
            last_ts = int(m.ts_s[n - 1])
            start = int(np.searchsorted(m.ts_s[:n], last_ts - 86_400 + m.timeframe.seconds, side="left"))
            turnover = float(np.dot(m.close[start:n], m.volume[start:n]))
            if start > 0:
                before = float(m.close[start - 1])
                change = (float(m.close[n - 1]) / before - 1) * 100 if before else None
        score = None
        signal = ""
        for sig in m.signals.values():
            if len(sig.score) >= n and not np.isnan(sig.score[n - 1]):
                score = float(sig.score[n - 1])
            if len(sig.enter) >= n and sig.enter[n - 1]:
                signal = "enter"
        last = engine.mark_price(market)
        rows.append(MarketView(market, last, change, turnover, score, signal, market in engine.portfolio.positions))
    return tuple(rows)


CHART_EMA_PERIOD = 20
CHART_EMA_LABEL = f"EMA{CHART_EMA_PERIOD}"
"""The chart's context line: an EMA of the shown candles' closes, the first of its overlays."""
CHART_EMA_WARMUP = 3 * CHART_EMA_PERIOD
"""Candles before the first one shown that the EMA is computed from, so its line is settled
(and drawn) from the left edge of the chart on."""


def check_chart_timeframe(base: Timeframe, shown: Timeframe) -> None:
    """Raise ValueError unless a chart of ``base`` candles can be shown in ``shown`` candles
    (the same, or a whole multiple of it: finer than the engine's candles is not possible)."""
    try:
        check_resample_target(base, shown)
    except ValueError:
        raise ValueError(
            f"the chart cannot show {shown.value} candles: the engine trades {base.value} candles, "
            f"so a chart's timeframe is {base.value} or a whole multiple of it"
        ) from None


def chart_data(engine: Engine, market: str, bars: int = 120, timeframe: Timeframe | None = None) -> ChartData | None:
    """The last ``bars`` candles of ``market`` in ``timeframe`` (the engine's own when None),
    with the bot's fills, the position's stop and target, the book, and the overlays: the
    EMA line first, then each enabled strategy's levels. In a coarser timeframe the candles are
    rolled up on the UTC grid (:func:`~tradetui.candles.resample.resample_with_last`) and a strategy's
    level is the one at each coarse candle's last engine candle. None for a market the engine
    does not trade; ValueError for a timeframe finer than the engine's (see :func:`check_chart_timeframe`)."""
    m = engine.markets.get(market)
    if m is None:
        return None
    shown_tf = timeframe or m.timeframe
    check_chart_timeframe(m.timeframe, shown_tf)
    ratio = shown_tf.seconds // m.timeframe.seconds
    start = max(0, m.n - (max(bars, 0) + CHART_EMA_WARMUP) * ratio)
    # the first candle may lack bars before the window: it is never shown (the EMA's warm-up
    # candles come first) and only its close, which is right, goes into the EMA
    candles, last = resample_with_last(m.view(start, m.n), shown_tf)
    keep = min(max(bars, 0), len(candles))
    first = len(candles) - keep
    lo = start + (int(last[first - 1]) + 1 if first > 0 else 0)  # the engine candle the chart starts at
    ts = candles.ts_s[first:]
    first_ms = int(ts[0]) * 1000 if len(ts) else 0
    marks: dict[MarkKind, list[tuple[int, float]]] = {kind: [] for kind in MarkKind}
    for mark in engine.trade_marks.of(market, since_ms=first_ms):
        marks[mark.kind].append((mark.ts_ms // 1000, float(mark.price)))
    pos = engine.portfolio.positions.get(market)
    tracker = pos.tracker if pos is not None else None
    levels = _overlays(engine, market, lo)
    if ratio > 1:  # each coarse candle shows the level its last engine candle had
        at = [int(k) + start - lo for k in last[first:]]
        levels = tuple(replace(o, values=tuple(o.values[k] for k in at)) for o in levels)
    return ChartData(
        market,
        shown_tf.value,
        tuple(int(t) for t in ts),
        tuple(candles.open[first:].tolist()),
        tuple(candles.high[first:].tolist()),
        tuple(candles.low[first:].tolist()),
        tuple(candles.close[first:].tolist()),
        tuple(candles.volume[first:].tolist()),
        tuple(marks[MarkKind.ENTRY]),
        tuple(marks[MarkKind.EXIT]),
        tracker.effective_stop if tracker is not None else None,
        tracker.next_target if tracker is not None else None,
        engine.books.get(market),
        tuple(marks[MarkKind.PARTIAL_EXIT]),
        (ema_overlay(candles.close, keep), *levels),
    )


def ema_overlay(close: npt.ArrayLike, shown: int) -> ChartOverlay:
    """The chart's EMA line over the last ``shown`` of ``close`` (computed over all of them: give
    :data:`CHART_EMA_WARMUP` closes before the shown ones for a line that starts settled)."""
    values = ema(np.asarray(close, dtype=np.float64), CHART_EMA_PERIOD)
    return _overlay(CHART_EMA_LABEL, values[len(values) - min(max(shown, 0), len(values)) :])


def _overlay(label: str, values: npt.NDArray[np.float64]) -> ChartOverlay:
    return ChartOverlay(label, tuple(float(v) if np.isfinite(v) else None for v in values))


def _overlays(engine: Engine, market: str, lo: int) -> tuple[ChartOverlay, ...]:
    """Each enabled strategy's chart levels over bars ``lo`` … newest, computed on enough
    earlier bars that they equal what the strategy saw."""
    m = engine.markets[market]
    result: list[ChartOverlay] = []
    for name in engine.assignments.get(market, []):
        strategy = engine.strategies[name]
        if not engine.enabled.get(name, False) or m.n == 0:
            continue
        start = max(0, lo - strategy.window_bars)
        try:
            overlays = strategy.overlays(m.view(start, m.n))
        except Exception:  # a drawing aid must never break the read model
            log.exception("strategy %s: chart overlays failed on %s", name, market)
            continue
        for overlay in overlays:
            result.append(_overlay(overlay.label, overlay.values[lo - start :]))
    return tuple(result)


def score_grid(engine: Engine, bars: int = 30) -> dict[str, dict[str, tuple[float, ...]]]:
    """strategy → market → its scores on the last ``bars`` bars (NaN where undefined)."""
    grid: dict[str, dict[str, tuple[float, ...]]] = {}
    for market, m in engine.markets.items():
        lo = max(0, m.n - bars)
        for name, sig in m.signals.items():
            values = sig.score[lo : m.n] if len(sig.score) >= m.n else np.full(m.n - lo, np.nan)
            grid.setdefault(name, {})[market] = tuple(float(v) for v in values)
    return grid
