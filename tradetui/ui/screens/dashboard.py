"""The dashboard: status, watchlist, chart, book, positions, orders, risk and the timeline.

It pulls the engine's read model a few times a second (ticks are never one message each) and
hands each widget its slice (attributes down)."""

from __future__ import annotations

import time
from dataclasses import replace

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from tradetui.core.market import Timeframe
from tradetui.engine.handle import EngineControl
from tradetui.engine.read_model import MarketView
from tradetui.ui.containment import contained
from tradetui.ui.widgets.candle_chart import CandleChart
from tradetui.ui.widgets.event_log import EventLog
from tradetui.ui.widgets.footer import KeysFooter
from tradetui.ui.widgets.order_book import OrderBookLadder
from tradetui.ui.widgets.risk_panel import RiskPanel
from tradetui.ui.widgets.status_bar import StatusBar
from tradetui.ui.widgets.tables import OrdersTable, PositionsTable
from tradetui.ui.widgets.watchlist import Watchlist

CHART_TIMEFRAMES = (Timeframe.M1, Timeframe.M5, Timeframe.M15, Timeframe.M60, Timeframe.M240, Timeframe.D1)
CHART_CANDLES = 200
"""Candles asked of the handle (the chart shows as many as its width holds, the newest)."""
BUSY_WATCHLIST_ROWS = 20
"""Above this many markets the watchlist's prices are redrawn once a second, not four times:
re-rendering a long table was most of a frame's cost under a busy stream, and a key pressed
during a frame waits for it."""
BUSY_WATCHLIST_S = 1.0


class Dashboard(Screen[None]):
    def __init__(self, handle: EngineControl) -> None:
        super().__init__()
        self.handle = handle
        self.selected: str | None = None
        self.chart_timeframe: Timeframe | None = None
        self._watchlist_at = float("-inf")
        self._watchlist_markets: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Static("Watchlist", classes="pane-title")
                yield Watchlist(id="watchlist")
                yield Static("Risk", classes="pane-title", id="risk-title")
                yield RiskPanel(id="risk")
            with Vertical(id="center"):
                yield CandleChart(id="chart")
            yield OrderBookLadder(id="book")
        # full width: a position's stop, target and trailing levels need the room
        with Vertical(id="trading"):
            yield Static("Positions", classes="pane-title")
            yield PositionsTable(id="positions")
            yield Static("Open orders", classes="pane-title")
            yield OrdersTable(id="orders")
        yield EventLog(id="events")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_interval(0.25, self.refresh_views)
        self.refresh_views()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 110, "-narrow")
        self.set_class(self.size.height < 30, "-short")

    def refresh_views(self) -> None:
        """Hand each pane its slice of the read model; a pane that fails is left as it was (its
        failure logged) and the others still update. Nothing is drawn once the app is closing
        (a hang-up while the dashboard mounts): its panes are being taken down."""
        if self.app.return_code is not None:
            return
        handle = self.handle
        with contained("dashboard: read model"):
            snap = handle.snapshot()
            link = handle.link_status()
            rows = handle.markets()
            if self.selected is None and rows:
                self.selected = rows[0].market
            with contained("status bar"):
                status = self.query_one(StatusBar)
                status.data = snap
                status.connection = link.state + (f" {link.latency_ms:.0f} ms" if link.latency_ms is not None else "")
            with contained("watchlist"):
                self._show_watchlist(rows)
            with contained("risk pane"):
                risk = self.query_one(RiskPanel)
                risk.data = snap
                risk.headroom = link.headroom or ("not limited" if link.state == "simulated" else "n/a")
            with contained("positions"):
                self.query_one(PositionsTable).show(snap.positions)
            with contained("open orders"):
                self.query_one(OrdersTable).show(snap.orders)
            with contained("event timeline"):
                self.query_one(EventLog).show(snap.events)
        with contained("chart"):
            self._refresh_chart()

    def _show_watchlist(self, rows: tuple[MarketView, ...]) -> None:
        markets = tuple(row.market for row in rows)
        now = time.monotonic()
        busy = len(rows) > BUSY_WATCHLIST_ROWS
        if busy and markets == self._watchlist_markets and now - self._watchlist_at < BUSY_WATCHLIST_S:
            return  # a long list's prices wait for the next second; a changed list is shown at once
        self._watchlist_at, self._watchlist_markets = now, markets
        self.query_one(Watchlist).show(rows)

    def _refresh_chart(self) -> None:
        if self.selected is None:
            return
        # rolled up to the chosen timeframe, with the EMA and the strategies' levels, by the engine's side
        chart = self.handle.chart(self.selected, bars=CHART_CANDLES, timeframe=self.chart_timeframe)
        # the book changes with every stream message, the candles once a bar: the chart gets
        # no book, so it is drawn again only when its candles, fills or exits change
        self.query_one(CandleChart).data = replace(chart, book=None) if chart is not None else None
        self.query_one(OrderBookLadder).data = chart.book if chart is not None else None

    def _engine_timeframe(self) -> Timeframe | None:
        value = self.handle.timeframe()
        return Timeframe(value) if value is not None else None

    def on_watchlist_market_selected(self, message: Watchlist.MarketSelected) -> None:
        self.selected = message.market
        self.refresh_views()

    def cycle_timeframe(self, step: int) -> Timeframe:
        engine_tf = self._engine_timeframe()
        choices = list(CHART_TIMEFRAMES)
        if engine_tf is not None:  # the engine's own candles, or whole multiples of them
            coarser = [tf for tf in CHART_TIMEFRAMES if tf.seconds > engine_tf.seconds]
            choices = [engine_tf, *(tf for tf in coarser if tf.seconds % engine_tf.seconds == 0)]
        current = self.chart_timeframe or choices[0]
        k = (choices.index(current) + step) % len(choices) if current in choices else 0
        self.chart_timeframe = choices[k]
        self.refresh_views()
        return choices[k]
