"""Backtest from the TUI: pick a strategy, candles and a period; the run goes in a thread worker
with a progress bar and can be cancelled; the results are the same report as the CLI's
(metrics, equity and drawdown plots, monthly returns, trades) plus the trades on the chart.
The run is stored like the CLI's, through the handle's run store (`h` lists it)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static
from textual.worker import get_current_worker

from tradetui.backtest.report import render_report
from tradetui.backtest.runner import BacktestResult, run_backtest
from tradetui.backtest.stored import RunRecord, run_record
from tradetui.candles.series import BarSeries
from tradetui.candles.synthetic import generate_market
from tradetui.core.clock import parse_utc
from tradetui.core.types import Side
from tradetui.data.candle_file import load_candle_file
from tradetui.engine.handle import EngineControl
from tradetui.engine.read_model import ChartData, ChartOverlay
from tradetui.errors import TradetuiError
from tradetui.session.spec import SessionSpec
from tradetui.strategies import registry
from tradetui.strategies.base import Strategy
from tradetui.ui.containment import failures
from tradetui.ui.widgets.candle_chart import render_candles
from tradetui.ui.widgets.footer import KeysFooter


def _titled(field: Input, title: str) -> Input:
    """An input labelled in its top border: the label costs no row and stays when it is filled."""
    field.border_title = title
    return field


class BacktestCancelled(Exception):
    pass


def trades_chart(
    series: BarSeries, result: BacktestResult, bars: int = 200, strategy: Strategy | None = None
) -> ChartData:
    """The last ``bars`` candles of a backtest with its entries and exits (and the strategy's levels)."""
    lo = max(0, len(series) - bars)
    first = int(series.ts_s[lo]) if len(series) else 0
    fills = [f for f in result.fills if f.market == series.market and f.ts_ms // 1000 >= first]
    overlays = () if strategy is None or not len(series) else strategy.overlays(series)
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
        overlays=tuple(
            ChartOverlay(o.label, tuple(float(v) if np.isfinite(v) else None for v in o.values[lo:])) for o in overlays
        ),
    )


class BacktestScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="backtest.back"),
        Binding("ctrl+r", "run", "Run", id="backtest.run"),
        Binding("ctrl+x", "cancel", "Cancel run", id="backtest.cancel"),
    ]

    class Progress(Message):
        def __init__(self, fraction: float) -> None:
            super().__init__()
            self.fraction = fraction

    def __init__(
        self, handle: EngineControl | None = None, default_data: str = "", *, session: SessionSpec | None = None
    ) -> None:
        super().__init__()
        self.handle = handle
        self.default_data = default_data
        self.session = session or SessionSpec()
        """The running session's rules (exchange, fees, volume decimals), sizing, limits and
        strategy parameters: a backtest here answers for the bot as it is configured."""
        self._cancel = threading.Event()
        self.result: BacktestResult | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="bt-form"):
            yield Select(
                [(n, n) for n in registry.available()],
                value=self._default_strategy(),
                allow_blank=False,
                id="bt-strategy",
            )
            yield _titled(Input(self.default_data, placeholder="empty: synthetic market", id="bt-data"), "candle CSV")
            yield _titled(Input("", placeholder="YYYY-MM-DD", id="bt-from"), "from (UTC)")
            yield _titled(Input("", placeholder="YYYY-MM-DD", id="bt-to"), "to (UTC)")
            yield _titled(Input(f"{self.session.cash_krw:f}", placeholder="KRW", id="bt-cash"), "cash KRW")
            yield Button("Run [ctrl+r]", id="bt-run", variant="primary")
            yield Button("Cancel [ctrl+x]", id="bt-cancel", variant="error", disabled=True)
        yield ProgressBar(total=1.0, show_eta=True, id="bt-progress")
        yield Label(self._rules_line(), id="bt-status")
        with VerticalScroll(id="bt-results"):
            yield Static(id="bt-report")
            yield Static(id="bt-chart")
        yield KeysFooter()

    def _default_strategy(self) -> str:
        configured = [e.name for e in self.session.strategies if e.name in registry.available()]
        return configured[0] if configured else registry.available()[0]

    def _rules_line(self) -> str:
        """What a run here uses, said before it starts."""
        rules = self.session.rule_book.current()
        fee_pct = (rules.taker_fee * 100).normalize()
        return (
            f"runs with the session's rules: {self.session.exchange.value}, taker fee {fee_pct:f} %, "
            f"sizing {self.session.sizing.method.value}, at most {self.session.limits.max_open_positions} positions"
        )

    def _strategy_params(self, name: str, series: BarSeries) -> dict[str, object]:
        """The session's parameters of ``name`` (when it trades it), on the candles' timeframe."""
        configured = next((dict(e.params) for e in self.session.strategies if e.name == name), {})
        return {**configured, "timeframe": series.timeframe.value}

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "bt-run":
            self.action_run()
        elif event.button.id == "bt-cancel":
            self.action_cancel()

    def _inputs(self) -> tuple[str, BarSeries, Decimal]:
        strategy = str(self.query_one("#bt-strategy", Select).value)
        path = self.query_one("#bt-data", Input).value.strip()
        series = load_candle_file(path).series if path else generate_market("KRW-SYN", bars=200_000, seed=11)
        start, end = (self.query_one(f"#bt-{k}", Input).value.strip() for k in ("from", "to"))
        if start or end:
            lo = int(np.searchsorted(series.ts_s, parse_utc(start) // 1000)) if start else 0
            hi = int(np.searchsorted(series.ts_s, parse_utc(end) // 1000)) if end else len(series)
            series = series.slice(lo, hi)
        if len(series) == 0:
            raise TradetuiError("no candles in the chosen period")
        try:
            cash = Decimal(self.query_one("#bt-cash", Input).value.strip())
        except InvalidOperation:
            raise TradetuiError("cash must be a number of KRW") from None
        return strategy, series, cash

    def action_run(self) -> None:
        try:
            strategy, series, cash = self._inputs()
        except (TradetuiError, ValueError, OSError) as exc:
            self.query_one("#bt-status", Label).update(Text(f"✗ {exc}", style="bold red"))
            return
        self._cancel.clear()
        self.query_one("#bt-run", Button).disabled = True
        self.query_one("#bt-cancel", Button).disabled = False
        self.query_one("#bt-status", Label).update(f"running {strategy} on {len(series):,} {series.timeframe} bars…")
        self.run_backtest(strategy, series, cash)

    def action_cancel(self) -> None:
        self._cancel.set()

    @work(thread=True, exclusive=True, group="backtest", exit_on_error=False)
    def run_backtest(self, strategy_name: str, series: BarSeries, cash: Decimal) -> None:
        worker = get_current_worker()

        def progress(fraction: float) -> None:
            if self._cancel.is_set() or worker.is_cancelled:
                raise BacktestCancelled
            self.post_message(self.Progress(fraction))

        try:
            strategy = registry.create(strategy_name, self._strategy_params(strategy_name, series))
            spec = self.session.replace(cash_krw=cash)
            result = run_backtest([series], [strategy], spec, progress=progress)
        except BacktestCancelled:
            self.app.call_from_thread(self._finished, None, None, "cancelled", None)
            return
        except Exception as exc:  # a failed run is a message on this screen, never a closed app
            summary = failures.report("backtest run", exc)
            self.app.call_from_thread(self._finished, None, None, f"✗ failed: {summary}", None)
            return
        metrics = result.metrics()
        record = run_record(
            result, metrics, params=strategy.params.model_dump(mode="json"), created_ms=int(time.time() * 1000)
        )
        report = render_report(
            metrics,
            title=f"Backtest: {strategy_name}",
            trades=result.trades,
            ts_s=result.ts_s,
            equity=result.equity,
            width=max(60, min(self.app.size.width - 4, 110)),  # stacked, not cut, in a narrow terminal
            strategy=strategy_name,
            markets=result.markets,
            open_positions=result.open_positions,
        )
        chart = render_candles(trades_chart(series, result, strategy=strategy), 110, 18)
        self.app.call_from_thread(
            self._finished,
            result,
            Group(report, Text("Trades on the chart"), chart),
            f"done: {len(result.trades)} trades in {result.elapsed_s:.2f} s",
            record,
        )

    def on_backtest_screen_progress(self, message: Progress) -> None:
        self.query_one("#bt-progress", ProgressBar).update(progress=message.fraction)

    def _finished(
        self, result: BacktestResult | None, report: Group | None, status: str, record: RunRecord | None
    ) -> None:
        self.result = result
        self.query_one("#bt-run", Button).disabled = False
        self.query_one("#bt-cancel", Button).disabled = True
        self.query_one("#bt-status", Label).update(status)
        if report is not None:
            self.query_one("#bt-progress", ProgressBar).update(progress=1.0)
            self.query_one("#bt-report", Static).update(report)
        if record is not None:
            self.store_run(record, status)

    @work(group="backtest-store")
    async def store_run(self, record: RunRecord, status: str) -> None:
        """Store the run like the CLI does (the handle's run store; `h` lists it)."""
        label = self.query_one("#bt-status", Label)
        if self.handle is None:
            label.update(f"{status}; not stored (no run store)")
            return
        try:
            run_id = await self.handle.save_backtest_run(record.summary, record.trades, record.equity)
        except Exception as exc:  # a storage failure (disk, SQLite, schema) is shown; the run stays on screen
            label.update(Text(f"{status}; ✗ not stored: {exc}", style="bold red"))
            return
        label.update(f"{status}; not stored (no run store)" if run_id is None else f"{status}; stored as run #{run_id}")


def default_data_path(candidates: list[Path]) -> str:
    return next((str(p) for p in candidates if p.exists()), "")
