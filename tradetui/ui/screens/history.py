"""Orders and trades history (orders from the database, closed trades from the engine)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from tradetui.engine.handle import EngineHandle
from tradetui.ui.formatting import kst_datetime, pct, price, signed_krw, volume
from tradetui.ui.widgets.footer import KeysFooter


class HistoryScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="history.back"),
        Binding("r", "reload", "Reload", id="history.reload"),
    ]

    def __init__(self, handle: EngineHandle) -> None:
        super().__init__()
        self.handle = handle

    def compose(self) -> ComposeResult:
        yield Static("Closed trades", classes="pane-title")
        yield DataTable(id="trades", cursor_type="row")
        yield Static("Orders (newest first)", classes="pane-title")
        yield DataTable(id="order-history", cursor_type="row")
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
        self.action_reload()

    def action_reload(self) -> None:
        trades: DataTable[object] = self.query_one("#trades", DataTable)
        trades.clear()
        for t in reversed(self.handle.closed_trades()):
            trades.add_row(
                kst_datetime(t.entry_ms),
                kst_datetime(t.exit_ms),
                t.market,
                volume(t.volume),
                price(t.entry_price),
                price(t.exit_price),
                signed_krw(t.pnl),
                pct(t.return_pct),
                t.exit_reason,
            )
        self.load_orders()

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load_orders(self) -> None:
        rows = await self.handle.orders(500)
        table: DataTable[object] = self.query_one("#order-history", DataTable)
        table.clear()
        for o in rows:
            side = Text(o.side.value, style="green" if o.side.value == "bid" else "red")
            table.add_row(
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
