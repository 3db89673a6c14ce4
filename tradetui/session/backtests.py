"""Backtests a front end runs under the session's rules: the service it is given, and the plain
views it shows.

The TUI's backtest screen neither reads candle files nor runs the research code: the composition
root (``commands/``) builds a :class:`BacktestService` (``tradetui.backtest.service.SessionBacktests``,
over the session's :class:`~tradetui.session.spec.SessionSpec`) and hands it to the app. The
protocol and its views live here, below ``backtest/`` in the layers, so the UI may import them
and the research code implements them; nothing here needs more than ``core`` and the read
model's :class:`~tradetui.engine.read_model.ChartData`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from rich.console import RenderableType

from tradetui.core.orders import Fill
from tradetui.core.rules import RuleBook
from tradetui.core.runs import BacktestRun, EquityPoint
from tradetui.core.trades import ClosedTrade
from tradetui.engine.read_model import ChartData
from tradetui.errors import TradetuiError

ProgressCallback = Callable[[float], None]
"""Called with the fraction done (0 … 1) as a run goes; an exception it raises ends the run and
comes out of :meth:`BacktestService.run` (how a front end cancels one)."""


class BacktestInputError(TradetuiError):
    """A backtest that cannot start from what was asked: a candle file that is missing or has a
    bad line, a period without candles, a malformed date or amount, parameters the strategy
    refuses. The message is one line meant for the trader."""


@dataclass(frozen=True, slots=True)
class BacktestRequest:
    """What the trader asked for."""

    strategy: str
    data: str = ""
    """A candle file (CSV or Upbit JSON, plain or .gz); empty: the service's synthetic market."""
    start: str = ""
    """First day, UTC (``YYYY-MM-DD`` or an ISO time); empty: from the first candle."""
    end: str = ""
    """Where the period stops, UTC (exclusive); empty: to the last candle."""
    cash_krw: str = ""
    """Starting cash in KRW, as typed; empty: the session's."""


@dataclass(frozen=True, slots=True)
class BacktestCandles:
    """The candles a request loaded, said before the run starts."""

    market: str
    timeframe: str
    bars: int


@dataclass(frozen=True, slots=True)
class BacktestOutcome:
    """A finished run, ready to show and to store."""

    strategy: str
    candles: BacktestCandles
    report: RenderableType
    """The CLI's report: header, metrics, monthly returns, trades, equity and drawdown plots."""
    chart: ChartData
    """The run's last candles with its entries and exits, the EMA line and the strategy's levels."""
    trades: tuple[ClosedTrade, ...]
    fills: tuple[Fill, ...]
    elapsed_s: float
    rule_book: RuleBook
    """The rules (ticks, fees, minimums, volume decimals) the run's engine traded under."""
    cash_krw: Decimal
    """The cash it started with."""
    summary: Mapping[str, Any]
    """The stored form: ``EngineControl.save_backtest_run(summary, trades, equity)`` keeps the run."""
    equity: tuple[EquityPoint, ...]
    """The equity curve to store (thinned)."""

    @property
    def bars(self) -> int:
        return self.candles.bars


class BacktestService(Protocol):
    """Runs backtests for a front end under one session's rules, money and strategy parameters."""

    def strategies(self) -> tuple[str, ...]:
        """The strategies a backtest can run."""
        ...

    def default_strategy(self) -> str:
        """The one the session trades (the first of them), else the first available."""
        ...

    def cash_krw(self) -> Decimal:
        """The session's starting cash: a run's default."""
        ...

    def rules_line(self) -> str:
        """What a run uses, to say before it starts ("runs with the session's rules: upbit, …")."""
        ...

    def run(
        self,
        request: BacktestRequest,
        *,
        width: int = 110,
        progress: ProgressCallback | None = None,
        loaded: Callable[[BacktestCandles], None] | None = None,
    ) -> BacktestOutcome:
        """Load the candles (``loaded`` is told what they are), run, and render the report
        ``width`` columns wide. Blocking and CPU-heavy: a front end calls it from a thread.
        :class:`BacktestInputError` says what in the request cannot be run; an exception raised
        by ``progress`` or ``loaded`` comes out as it is."""
        ...

    def stored_report(self, run: BacktestRun, *, width: int = 120) -> RenderableType:
        """The report of a stored run, as the CLI printed it (ValueError: metrics stored in a
        form this version cannot read)."""
        ...
