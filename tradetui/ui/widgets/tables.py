"""The positions and open-orders tables."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tradetui.engine.read_model import OrderView, PositionView
from tradetui.ui.formatting import age, pct, price, signed_krw, volume


class PositionsTable(DataTable[object]):
    DEFAULT_CSS = "PositionsTable { height: auto; max-height: 8; }"

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for label in ("market", "volume", "avg", "last", "PnL", "%", "stop", "target", "trail"):
            self.add_column(label, key=label)

    def show(self, rows: tuple[PositionView, ...]) -> None:
        self.clear()
        for p in rows:
            self.add_row(
                p.market,
                Text(volume(p.volume), justify="right"),
                Text(price(p.avg_price), justify="right"),
                Text(price(p.last_price), justify="right"),
                signed_krw(p.pnl_krw),
                pct(p.pnl_pct),
                Text(price(p.stop), style="red"),
                Text(price(p.target), style="green"),
                Text(price(p.trailing)),
                key=p.market,
            )


class OrdersTable(DataTable[object]):
    DEFAULT_CSS = "OrdersTable { height: auto; max-height: 6; }"

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for label in ("market", "side", "type", "price/amount", "volume", "filled", "age", "why"):
            self.add_column(label, key=label)

    def show(self, rows: tuple[OrderView, ...]) -> None:
        self.clear()
        for o in rows:
            side = Text(o.side, style="green" if o.side == "bid" else "red")
            self.add_row(
                o.market,
                side,
                o.ord_type,
                Text(price(o.price), justify="right"),
                Text(volume(o.volume), justify="right"),
                f"{o.filled_pct:.0f}%",
                age(o.age_s),
                o.purpose,
                key=o.identifier,
            )
