"""History of this profile, read through the handle: closed trades and orders of this run and
the runs before it, and the stored backtest runs (enter shows a run's report)."""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.visual import VisualType
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from tradetui.core.runs import BacktestRun, BacktestRunSummary
from tradetui.engine.handle import EngineControl
from tradetui.session.backtests import BacktestService
from tradetui.ui.formatting import kst_datetime, pct, price, signed_krw, volume
from tradetui.ui.tones import TONE_CLASSES, Tones, on_theme_change, refused
from tradetui.ui.widgets.footer import KeysFooter

HISTORY_ROWS = 500
"""Closed trades and orders shown, the newest first."""
RUN_ROWS = 200
"""Stored backtest runs shown, the newest first."""

TABS = ("history-trades", "history-orders", "history-runs")


def _kst_day(ts_ms: int | None) -> str:
    return "—" if ts_ms is None else kst_datetime(ts_ms)[:10]


class HistoryScreen(Screen[None]):
    COMPONENT_CLASSES = set(TONE_CLASSES)
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="history.back"),
        Binding("r", "reload", "Reload", id="history.reload"),
        Binding("1", "show_tab('history-trades')", "Trades", id="history.trades"),
        Binding("2", "show_tab('history-orders')", "Orders", id="history.orders"),
        Binding("3", "show_tab('history-runs')", "Backtests", id="history.runs"),
    ]

    def __init__(self, handle: EngineControl, *, backtests: BacktestService | None = None) -> None:
        super().__init__()
        self.handle = handle
        self.backtests = backtests
        """Renders a stored run's report (None: the list only)."""

    def compose(self) -> ComposeResult:
        with TabbedContent(id="history-tabs"):
            with TabPane("Closed trades [1]", id="history-trades"):
                yield Static("", id="trades-summary", classes="pane-title")
                yield DataTable(id="trades", cursor_type="row")
            with TabPane("Orders [2]", id="history-orders"):
                yield DataTable(id="order-history", cursor_type="row")
            with TabPane("Backtest runs [3]", id="history-runs"):
                yield Static("enter: the run's report", classes="pane-title")
                yield DataTable(id="backtest-runs", cursor_type="row")
        yield KeysFooter()

    def on_mount(self) -> None:
        trades: DataTable[object] = self.query_one("#trades", DataTable)
        for label in ("entry (KST)", "exit (KST)", "market", "volume", "entry", "exit", "PnL", "%", "why"):
            trades.add_column(label)
        orders: DataTable[object] = self.query_one("#order-history", DataTable)
        for label in (
            "time (KST)",
            "id",
            "market",
            "side",
            "type",
            "price/amount",
            "volume",
            "filled",
            "state",
            "purpose",
            "reason",
        ):
            orders.add_column(label)
        runs: DataTable[object] = self.query_one("#backtest-runs", DataTable)
        for label in ("id", "created (KST)", "strategy", "markets", "tf", "period (KST)", "return", "max DD", "trades"):
            runs.add_column(label)
        self.action_reload()
        on_theme_change(self, self.action_reload)  # its cells were coloured with the old theme

    def action_show_tab(self, tab: str) -> None:
        if tab in TABS:
            self.query_one(TabbedContent).active = tab
            self.query_one(f"#{tab} DataTable", DataTable).focus()

    def action_reload(self) -> None:
        self.load_history()

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load_history(self) -> None:
        tones = Tones(self)
        trades = await self.handle.trade_history(HISTORY_ROWS)
        table: DataTable[object] = self.query_one("#trades", DataTable)
        table.clear()
        for t in trades:
            table.add_row(
                kst_datetime(t.entry_ms),
                kst_datetime(t.exit_ms),
                t.market,
                volume(t.volume),
                price(t.entry_price),
                price(t.exit_price),
                signed_krw(t.pnl, tones),
                pct(t.return_pct, tones),
                t.exit_reason,
            )
        total = sum((t.pnl for t in trades), Decimal(0))
        wins = sum(1 for t in trades if t.is_win)
        summary = Text(f"{len(trades):,} closed trades (newest first), {wins:,} won; PnL ")
        summary.append_text(signed_krw(total, tones) if trades else Text("—"))
        self.query_one("#trades-summary", Static).update(summary)

        orders = await self.handle.orders(HISTORY_ROWS)
        order_table: DataTable[object] = self.query_one("#order-history", DataTable)
        order_table.clear()
        for o in orders:
            side = Text(o.side.value, style=tones.side(o.side.value))
            order_table.add_row(
                kst_datetime(o.created_ms),
                o.identifier,
                o.market,
                side,
                o.ord_type.value,
                price(o.price),
                volume(o.volume),
                volume(o.executed_volume),
                o.state.value,
                o.purpose,
                o.reason,
            )

        runs = await self.handle.backtest_runs(RUN_ROWS)
        run_table: DataTable[object] = self.query_one("#backtest-runs", DataTable)
        run_table.clear()
        for run in runs:
            run_table.add_row(*_run_cells(run, tones), key=str(run.id))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "backtest-runs" or event.row_key.value is None:
            return
        self.open_run(int(event.row_key.value))

    @work(exclusive=True, group="history-run", exit_on_error=False)
    async def open_run(self, run_id: int) -> None:
        run = await self.handle.backtest_run(run_id)
        if run is None:
            self.notify(f"backtest run #{run_id} is not stored (any more)", severity="warning")
            return
        self.app.push_screen(RunReportScreen(run, backtests=self.backtests))


def _run_cells(run: BacktestRunSummary, tones: Tones) -> tuple[object, ...]:
    drawdown = run.metric("max_drawdown_pct")
    trades = run.metric("n_trades")
    return (
        str(run.id),
        kst_datetime(run.created_ms),
        run.strategy,
        ", ".join(run.markets),
        run.timeframe,
        f"{_kst_day(run.start_ms)} … {_kst_day(run.end_ms)}",
        pct(run.metric("total_return_pct"), tones),
        "—" if drawdown is None else f"-{abs(drawdown):.2f} %",
        "—" if trades is None else f"{int(trades):,}",
    )


class RunReportScreen(Screen[None]):
    """One stored backtest run's report: what the CLI printed after running it."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="run_report.back")]

    def __init__(self, run: BacktestRun, *, backtests: BacktestService | None = None) -> None:
        super().__init__()
        self.run = run
        self.backtests = backtests
        self.report: VisualType | None = None

    def compose(self) -> ComposeResult:
        summary = self.run.summary
        params = ", ".join(f"{k}={v}" for k, v in sorted(summary.params.items())) or "defaults"
        yield Static(
            f"Backtest run #{summary.id}, stored {kst_datetime(summary.created_ms)} KST ({params})",
            classes="pane-title",
        )
        with VerticalScroll(id="run-report-scroll"):
            yield Static(id="run-report")
        yield KeysFooter()

    def on_mount(self) -> None:
        if self.backtests is None:
            self.report = refused("this run's report cannot be shown here: no backtest service in this session")
        else:
            try:
                self.report = self.backtests.stored_report(self.run, width=max(60, min(self.app.size.width - 4, 140)))
            except ValueError as exc:  # metrics stored by a tradetui that wrote them differently
                self.report = refused(f"this run's report cannot be shown: {exc}")
        self.query_one("#run-report", Static).update(self.report)
