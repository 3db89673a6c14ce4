"""The backtests the TUI runs: :class:`SessionBacktests` implements
:class:`~tradetui.session.backtests.BacktestService` over one session's
:class:`~tradetui.session.spec.SessionSpec`.

It does what ``tradetui backtest`` does for one strategy on one candle file (or the synthetic
market): load and check the candles, cut the period, run them under the session's rules, money
and strategy parameters, render the CLI's report, and draw the trades on the chart. Everything
the trader typed that cannot be run is one :class:`~tradetui.session.backtests.BacktestInputError`
line, never a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import numpy as np
from rich.console import RenderableType

from tradetui.backtest.runner import BacktestResult, run_backtest
from tradetui.backtest.stored import render_stored_run, run_record
from tradetui.candles.series import BarSeries
from tradetui.candles.synthetic import generate_market
from tradetui.core.clock import parse_utc
from tradetui.core.runs import BacktestRun
from tradetui.core.types import Side
from tradetui.engine.read_model import CHART_EMA_WARMUP, ChartData, ChartOverlay, ema_overlay
from tradetui.errors import TradetuiError
from tradetui.session.backtests import (
    BacktestCandles,
    BacktestInputError,
    BacktestOutcome,
    BacktestRequest,
    ProgressCallback,
)
from tradetui.session.spec import SessionSpec
from tradetui.strategies import registry
from tradetui.strategies.base import Strategy

SYNTHETIC_MARKET = "KRW-SYN"
SYNTHETIC_BARS = 200_000
SYNTHETIC_SEED = 11
CHART_CANDLES = 200
"""Candles of the result's chart (the last of the run)."""


class SessionBacktests:
    """Backtests under ``spec``: its exchange's rules and fees, its sizing and limits, its cash
    (unless a request names another) and its parameters of the strategy run."""

    def __init__(
        self,
        spec: SessionSpec | None = None,
        *,
        synthetic_bars: int = SYNTHETIC_BARS,
        synthetic_seed: int = SYNTHETIC_SEED,
    ) -> None:
        self.spec = spec or SessionSpec()
        self.synthetic_bars = synthetic_bars
        self.synthetic_seed = synthetic_seed

    # --- what the screen shows before a run --------------------------------------------------------

    def strategies(self) -> tuple[str, ...]:
        return tuple(registry.available())

    def default_strategy(self) -> str:
        available = self.strategies()
        configured = [e.name for e in self.spec.strategies if e.name in available]
        return configured[0] if configured else available[0]

    def cash_krw(self) -> Decimal:
        return self.spec.cash_krw

    def rules_line(self) -> str:
        rules = self.spec.rule_book.current()
        fee_pct = (rules.taker_fee * 100).normalize()
        return (
            f"runs with the session's rules: {self.spec.exchange.value}, taker fee {fee_pct:f} %, "
            f"sizing {self.spec.sizing.method.value}, at most {self.spec.limits.max_open_positions} positions"
        )

    # --- a run ---------------------------------------------------------------------------------------

    def candles(self, request: BacktestRequest) -> BarSeries:
        """The candles ``request`` names, cut to its period (:class:`BacktestInputError` otherwise)."""
        path = request.data.strip()
        series = self._read(path) if path else self._synthetic()
        start, end = request.start.strip(), request.end.strip()
        if start or end:
            series = series.window(_moment_s(start, "from") if start else None, _moment_s(end, "to") if end else None)
        if len(series) == 0:
            raise BacktestInputError("no candles in the chosen period")
        return series

    def run(
        self,
        request: BacktestRequest,
        *,
        width: int = 110,
        progress: ProgressCallback | None = None,
        loaded: Callable[[BacktestCandles], None] | None = None,
    ) -> BacktestOutcome:
        cash = self._cash(request.cash_krw)
        if request.strategy not in self.strategies():
            raise BacktestInputError(f"unknown strategy {request.strategy!r}; known: {', '.join(self.strategies())}")
        series = self.candles(request)
        strategy = self._strategy(request.strategy, series)
        candles = BacktestCandles(series.market, series.timeframe.value, len(series))
        if loaded is not None:
            loaded(candles)
        result = run_backtest([series], [strategy], self.spec.replace(cash_krw=cash), progress=progress)
        metrics = result.metrics()
        params = strategy.params.model_dump(mode="json")
        record = run_record(result, metrics, params=params, created_ms=int(time.time() * 1000))
        from tradetui.backtest.report import render_report  # plotext: loaded by the first run, not at start

        report = render_report(
            metrics,
            title=f"Backtest: {request.strategy}",
            trades=result.trades,
            ts_s=result.ts_s,
            equity=result.equity,
            width=width,
            strategy=request.strategy,
            markets=result.markets,
            open_positions=result.open_positions,
        )
        return BacktestOutcome(
            strategy=request.strategy,
            candles=candles,
            report=report,
            chart=trades_chart(series, result, strategy=strategy),
            trades=tuple(result.trades),
            fills=tuple(result.fills),
            elapsed_s=result.elapsed_s,
            rule_book=result.engine.rule_book,
            cash_krw=result.spec.cash_krw,
            summary=record.summary,
            equity=record.equity,
        )

    def stored_report(self, run: BacktestRun, *, width: int = 120) -> RenderableType:
        return render_stored_run(run, width=width)

    # --- inputs --------------------------------------------------------------------------------------

    def _read(self, path: str) -> BarSeries:
        try:
            from tradetui.data.candle_file import load_candle_file  # pandas: loaded by the first file read

            return load_candle_file(path).series
        except FileNotFoundError:
            raise BacktestInputError(f"no candle file at {path}") from None
        except IsADirectoryError:
            raise BacktestInputError(f"{path} is a folder; give one candle file (CSV or JSON)") from None
        except OSError as exc:
            raise BacktestInputError(f"cannot read {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise BacktestInputError(f"{path} is not a text candle file (CSV or Upbit JSON, plain or .gz)") from None
        except (TradetuiError, ValueError) as exc:  # the loader names the file and the line
            raise BacktestInputError(str(exc)) from None

    def _synthetic(self) -> BarSeries:
        return generate_market(SYNTHETIC_MARKET, bars=self.synthetic_bars, seed=self.synthetic_seed)

    def _cash(self, text: str) -> Decimal:
        if not text.strip():
            return self.spec.cash_krw
        try:
            cash = Decimal(text.strip().replace(",", "").replace("_", ""))
        except InvalidOperation:
            raise BacktestInputError("cash must be a number of KRW") from None
        if not cash.is_finite() or cash <= 0:
            raise BacktestInputError("cash must be a number of KRW above 0")
        return cash

    def _strategy(self, name: str, series: BarSeries) -> Strategy:
        """``name`` with the session's parameters (when it trades it), on the candles' timeframe."""
        configured = next((dict(e.params) for e in self.spec.strategies if e.name == name), {})
        try:
            return registry.create(name, {**configured, "timeframe": series.timeframe.value})
        except ValueError as exc:
            raise BacktestInputError(f"strategy {name}: {exc}") from None


def _moment_s(text: str, field: str) -> int:
    try:
        return parse_utc(text) // 1000
    except ValueError:
        raise BacktestInputError(f"{field}: {text!r} is not a date (YYYY-MM-DD, UTC)") from None


def trades_chart(
    series: BarSeries, result: BacktestResult, bars: int = CHART_CANDLES, strategy: Strategy | None = None
) -> ChartData:
    """The last ``bars`` candles of a backtest with its entries and exits, the chart's EMA line
    and the strategy's levels, as the dashboard's chart shows a live market."""
    n = len(series)
    lo = max(0, n - bars)
    first = int(series.ts_s[lo]) if n else 0
    fills = [f for f in result.fills if f.market == series.market and f.ts_ms // 1000 >= first]
    levels = () if strategy is None or not n else strategy.overlays(series)
    warm = max(0, lo - CHART_EMA_WARMUP)
    return ChartData(
        series.market,
        series.timeframe.value,
        tuple(int(t) for t in series.ts_s[lo:]),
        tuple(series.open[lo:].tolist()),
        tuple(series.high[lo:].tolist()),
        tuple(series.low[lo:].tolist()),
        tuple(series.close[lo:].tolist()),
        tuple(series.volume[lo:].tolist()),
        tuple((f.ts_ms // 1000, float(f.price)) for f in fills if f.side is Side.BID),
        tuple((f.ts_ms // 1000, float(f.price)) for f in fills if f.side is Side.ASK),
        None,
        None,
        None,
        overlays=(
            ema_overlay(series.close[warm:], n - lo),
            *(
                ChartOverlay(o.label, tuple(float(v) if np.isfinite(v) else None for v in o.values[lo:]))
                for o in levels
            ),
        ),
    )
