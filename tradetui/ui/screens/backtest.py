"""Backtest from the TUI: pick a strategy, candles and a period; the run goes in a thread worker
with a progress bar and can be cancelled; the results are the same report as the CLI's
(metrics, equity and drawdown plots, monthly returns, trades) plus the trades on the chart.
The run is stored like the CLI's, through the handle's run store (`h` lists it).

The screen only asks and shows: the candles are loaded, the run made and the report rendered by
the :class:`~tradetui.session.backtests.BacktestService` the app was given (the session's rules,
money and strategy parameters); without one, the screen says so."""

from __future__ import annotations

import threading

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static
from textual.worker import get_current_worker

from tradetui.engine.handle import EngineControl
from tradetui.session.backtests import (
    BacktestCandles,
    BacktestInputError,
    BacktestOutcome,
    BacktestRequest,
    BacktestService,
)
from tradetui.ui.containment import failures
from tradetui.ui.tones import refused
from tradetui.ui.widgets.candle_chart import CHART_CLASSES, ChartPalette, chart_palette, render_candles
from tradetui.ui.widgets.footer import KeysFooter

NO_SERVICE = "backtests are not available here: this session was started without a backtest service"


def _titled(field: Input, title: str) -> Input:
    """An input labelled in its top border: the label costs no row and stays when it is filled."""
    field.border_title = title
    return field


class BacktestCancelled(Exception):
    pass


class BacktestScreen(Screen[None]):
    COMPONENT_CLASSES = set(CHART_CLASSES)  # the result's chart takes the theme's colours
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
        self,
        handle: EngineControl | None = None,
        default_data: str = "",
        *,
        backtests: BacktestService | None = None,
    ) -> None:
        super().__init__()
        self.handle = handle
        self.default_data = default_data
        self.backtests = backtests
        """Runs the backtests under the running session's rules (exchange, fees, volume
        decimals), sizing, limits and strategy parameters: a backtest here answers for the bot
        as it is configured."""
        self._cancel = threading.Event()
        self.result: BacktestOutcome | None = None

    def compose(self) -> ComposeResult:
        service = self.backtests
        strategies = service.strategies() if service is not None else ()
        with Horizontal(id="bt-form"):
            yield Select(
                [(n, n) for n in strategies],
                value=service.default_strategy() if service is not None else Select.NULL,
                allow_blank=service is None,
                id="bt-strategy",
            )
            yield _titled(Input(self.default_data, placeholder="empty: synthetic market", id="bt-data"), "candle CSV")
            yield _titled(Input("", placeholder="YYYY-MM-DD", id="bt-from"), "from (UTC)")
            yield _titled(Input("", placeholder="YYYY-MM-DD", id="bt-to"), "to (UTC)")
            cash = f"{service.cash_krw():f}" if service is not None else ""
            yield _titled(Input(cash, placeholder="KRW", id="bt-cash"), "cash KRW")
            yield Button("Run [ctrl+r]", id="bt-run", variant="primary", disabled=service is None)
            yield Button("Cancel [ctrl+x]", id="bt-cancel", variant="error", disabled=True)
        yield ProgressBar(total=1.0, show_eta=True, id="bt-progress")
        yield Label(service.rules_line() if service is not None else NO_SERVICE, id="bt-status")
        with VerticalScroll(id="bt-results"):
            yield Static(id="bt-report")
            yield Static(id="bt-chart")
        yield KeysFooter()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "bt-run":
            self.action_run()
        elif event.button.id == "bt-cancel":
            self.action_cancel()

    def _request(self) -> BacktestRequest:
        def field(name: str) -> str:
            return self.query_one(f"#bt-{name}", Input).value.strip()

        strategy = self.query_one("#bt-strategy", Select).value
        return BacktestRequest(
            strategy=str(strategy) if isinstance(strategy, str) else "",
            data=field("data"),
            start=field("from"),
            end=field("to"),
            cash_krw=field("cash"),
        )

    def _status(self, text: str | Content) -> None:
        self.query_one("#bt-status", Label).update(Content(text) if isinstance(text, str) else text)

    def action_run(self) -> None:
        if self.backtests is None:
            self._status(NO_SERVICE)
            return
        if self.query_one("#bt-run", Button).disabled:  # one run at a time (ctrl+r while one runs)
            return
        request = self._request()
        self._cancel.clear()
        self.query_one("#bt-run", Button).disabled = True
        self.query_one("#bt-cancel", Button).disabled = False
        self._status(f"loading the candles for {request.strategy}…")
        width = max(60, min(self.app.size.width - 4, 110))
        self.run_backtest(self.backtests, request, width, chart_palette(self))

    def action_cancel(self) -> None:
        self._cancel.set()

    @work(thread=True, exclusive=True, group="backtest", exit_on_error=False)
    def run_backtest(
        self, service: BacktestService, request: BacktestRequest, width: int, palette: ChartPalette
    ) -> None:
        """The whole run in a thread: loading, running, the report and the chart (stacked, not
        cut, in a narrow terminal); the screen hears of it through messages only."""
        worker = get_current_worker()

        def cancelled() -> bool:
            return self._cancel.is_set() or worker.is_cancelled

        def progress(fraction: float) -> None:
            if cancelled():
                raise BacktestCancelled
            self.post_message(self.Progress(fraction))

        def loaded(candles: BacktestCandles) -> None:
            if cancelled():
                raise BacktestCancelled
            text = f"running {request.strategy} on {candles.bars:,} {candles.timeframe} bars…"
            self.app.call_from_thread(self._status, text)

        try:
            outcome = service.run(request, width=width, progress=progress, loaded=loaded)
            chart = render_candles(outcome.chart, 110, 18, palette)
        except BacktestCancelled:
            self.app.call_from_thread(self._finished, None, None, "cancelled")
            return
        except BacktestInputError as exc:  # what the trader typed cannot be run: said in one line
            self.app.call_from_thread(self._finished, None, None, str(exc), failed=True)
            return
        except Exception as exc:  # a failed run is a message on this screen, never a closed app
            summary = failures.report("backtest run", exc)
            self.app.call_from_thread(self._finished, None, None, f"failed: {summary}", failed=True)
            return
        self.app.call_from_thread(
            self._finished,
            outcome,
            Group(outcome.report, Text("Trades on the chart"), chart),
            f"done: {len(outcome.trades)} trades in {outcome.elapsed_s:.2f} s",
        )

    def on_backtest_screen_progress(self, message: Progress) -> None:
        self.query_one("#bt-progress", ProgressBar).update(progress=message.fraction)

    def _finished(
        self, outcome: BacktestOutcome | None, report: Group | None, status: str, *, failed: bool = False
    ) -> None:
        self.result = outcome
        self.query_one("#bt-run", Button).disabled = False
        self.query_one("#bt-cancel", Button).disabled = True
        self._status(refused(status) if failed else status)
        if report is not None:
            self.query_one("#bt-progress", ProgressBar).update(progress=1.0)
            self.query_one("#bt-report", Static).update(report)
        if outcome is not None:
            self.store_run(outcome, status)

    @work(group="backtest-store")
    async def store_run(self, outcome: BacktestOutcome, status: str) -> None:
        """Store the run like the CLI does (the handle's run store; `h` lists it)."""
        if self.handle is None:
            self._status(f"{status}; not stored (no run store)")
            return
        try:
            run_id = await self.handle.save_backtest_run(outcome.summary, outcome.trades, outcome.equity)
        except Exception as exc:  # a storage failure (disk, SQLite, schema) is shown; the run stays on screen
            self._status(Content.assemble(f"{status}; ", refused(f"not stored: {exc}")))
            return
        self._status(f"{status}; not stored (no run store)" if run_id is None else f"{status}; stored as run #{run_id}")
