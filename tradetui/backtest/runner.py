"""Backtest runner: history feed + simulated clock + simulated venue, through the one Engine."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from tradetui.backtest.metrics import BacktestMetrics, compute_metrics
from tradetui.candles.series import BarSeries
from tradetui.core.clock import SimClock
from tradetui.core.orders import Fill
from tradetui.core.trades import ClosedTrade, OpenPosition
from tradetui.core.types import Side, decimal_from_float
from tradetui.engine.engine import Engine, ProgressCallback
from tradetui.engine.settings import Assignment
from tradetui.execution.order_manager import MemoryJournal
from tradetui.session.spec import SessionSpec
from tradetui.strategies.base import Strategy
from tradetui.venues.simulated import SimulatedVenue


@dataclass(slots=True)
class BacktestResult:
    spec: SessionSpec
    markets: list[str]
    strategies: list[str]
    trades: list[ClosedTrade]
    fills: list[Fill]
    ts_s: npt.NDArray[np.int64]
    equity: npt.NDArray[np.float64]
    exposure: npt.NDArray[np.bool_]
    fees_paid: Decimal
    final_cash: Decimal
    bars: int
    elapsed_s: float
    engine: Engine
    bar_seconds: int
    open_positions: list[OpenPosition] = field(default_factory=list)
    """Positions still held at the end, marked at their market's last close."""

    @property
    def bars_per_second(self) -> float:
        return self.bars / self.elapsed_s if self.elapsed_s > 0 else float("inf")

    def metrics(self) -> BacktestMetrics:
        """The report's figures for this run (starting from the session's cash)."""
        return compute_metrics(
            ts_s=self.ts_s,
            equity=self.equity,
            exposure=self.exposure,
            trades=self.trades,
            starting_cash=self.spec.cash_krw,
            fees_paid=self.fees_paid,
            bar_interval_s=self.bar_seconds,
            open_positions=self.open_positions,
        )


def run_backtest(
    series: Sequence[BarSeries],
    strategies: Sequence[Strategy],
    spec: SessionSpec | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Run ``strategies`` (each on every market in ``series``) as one portfolio, with the rules,
    money and risk settings of ``spec`` (the defaults of :class:`SessionSpec` when left out)."""
    spec = spec or SessionSpec()
    if not series:
        raise ValueError("nothing to backtest: no candles")
    for s in series:
        if len(s) == 0:
            raise ValueError(f"nothing to backtest: {s.market} has no candles in the chosen period")
    started = time.perf_counter()
    first_ms = min(int(s.ts_s[0]) for s in series) * 1000
    clock = SimClock(first_ms)
    book = spec.rule_book
    venue = SimulatedVenue(book, clock, cash_krw=spec.cash_krw, slippage_bps=spec.slippage_bps)
    markets = tuple(s.market for s in series)
    journal = MemoryJournal()
    engine = Engine(
        clock=clock,
        venue=venue,
        rule_book=book,
        assignments=[Assignment(strategy, markets) for strategy in strategies],
        settings=spec.engine_settings(id_prefix="bt", deterministic_ids=True, event_capacity=500),
        journal=journal,
    )
    for s in series:
        engine.load_history(s)
    engine.run_history(progress)
    ts, equity, exposure = equity_curve(series, journal.fills, float(spec.cash_krw))
    last_close = {s.market: decimal_from_float(float(s.close[-1])) for s in series}
    held = [
        OpenPosition(
            market,
            pos.strategy,
            pos.entry_ms,
            pos.volume,
            pos.avg_price,
            last_close[market],
            pos.marked_pnl(last_close[market]),
        )
        for market, pos in engine.portfolio.positions.items()
    ]
    elapsed = time.perf_counter() - started
    return BacktestResult(
        spec=spec,
        markets=list(markets),
        strategies=[s.name for s in strategies],
        trades=list(engine.portfolio.closed),
        fills=list(journal.fills),
        ts_s=ts,
        equity=equity,
        exposure=exposure,
        fees_paid=engine.portfolio.fees_paid,
        final_cash=engine.portfolio.cash,
        bars=sum(len(s) for s in series),
        elapsed_s=elapsed,
        engine=engine,
        bar_seconds=series[0].timeframe.seconds,
        open_positions=held,
    )


def equity_curve(
    series: Sequence[BarSeries], fills: Sequence[Fill], cash: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Mark-to-market equity at every bar close on the union of all markets' bar times."""
    ts = np.unique(np.concatenate([s.ts_s for s in series])) if len(series) > 1 else series[0].ts_s
    n = len(ts)
    cash_delta = np.zeros(n)
    equity = np.zeros(n)
    exposure = np.zeros(n, dtype=np.bool_)
    by_market: dict[str, list[Fill]] = {}
    for f in fills:
        by_market.setdefault(f.market, []).append(f)
    fill_ts = np.array([f.ts_ms // 1000 for f in fills], dtype=np.int64)
    if len(fills):
        where = np.searchsorted(ts, fill_ts, side="right") - 1
        signed = np.array([-float(f.funds + f.fee) if f.side is Side.BID else float(f.funds - f.fee) for f in fills])
        np.add.at(cash_delta, np.clip(where, 0, n - 1), signed)
    equity += cash + np.cumsum(cash_delta)
    for s in series:
        mf = by_market.get(s.market)
        if not mf:
            continue
        idx = np.searchsorted(s.ts_s, ts, side="right") - 1
        close = np.where(idx >= 0, s.close[np.clip(idx, 0, None)], 0.0)
        vol_delta = np.zeros(n)
        where = np.searchsorted(ts, np.array([f.ts_ms // 1000 for f in mf]), side="right") - 1
        np.add.at(
            vol_delta,
            np.clip(where, 0, n - 1),
            np.array([float(f.volume) if f.side is Side.BID else -float(f.volume) for f in mf]),
        )
        held = np.cumsum(vol_delta)
        held[np.abs(held) < 1e-12] = 0.0
        equity += held * close
        exposure |= held > 0
    return ts, equity, exposure
