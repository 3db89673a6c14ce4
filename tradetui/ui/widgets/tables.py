"""The positions and open-orders tables (updated in place: a refresh keeps the cursor)."""

from __future__ import annotations

from rich.text import Text

from tradetui.engine.read_model import OrderView, PositionView
from tradetui.ui.formatting import age, pct, price, signed_krw, volume
from tradetui.ui.tones import Tones
from tradetui.ui.widgets.synced_table import SyncedTable


class PositionsTable(SyncedTable):
    # PnL first: on a narrow terminal the columns on the right are the ones cropped
    COLUMN_KEYS = ("market", "PnL", "%", "last", "avg", "volume", "stop", "target", "trail")
    DEFAULT_CSS = "PositionsTable { height: auto; max-height: 8; }"

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for label in self.COLUMN_KEYS:
            self.add_column(label, key=label)

    def show(self, rows: tuple[PositionView, ...]) -> None:
        tones = Tones(self)
        self.sync(
            [
                (
                    p.market,
                    (
                        p.market,
                        signed_krw(p.pnl_krw, tones),
                        pct(p.pnl_pct, tones),
                        Text(price(p.last_price), justify="right"),
                        Text(price(p.avg_price), justify="right"),
                        Text(volume(p.volume), justify="right"),
                        Text(price(p.stop), style=tones.loss),
                        Text(price(p.target), style=tones.gain),
                        Text(price(p.trailing)),
                    ),
                )
                for p in rows
            ]
        )


class OrdersTable(SyncedTable):
    COLUMN_KEYS = ("market", "side", "type", "price/amount", "filled", "age", "volume", "why")
    DEFAULT_CSS = "OrdersTable { height: auto; max-height: 6; }"

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for label in self.COLUMN_KEYS:
            self.add_column(label, key=label)

    def show(self, rows: tuple[OrderView, ...]) -> None:
        tones = Tones(self)
        self.sync(
            [
                (
                    o.identifier,
                    (
                        o.market,
                        Text(o.side, style=tones.side(o.side)),
                        o.ord_type,
                        Text(price(o.price), justify="right"),
                        Text(f"{o.filled_pct:.0f}%", justify="right"),
                        age(o.age_s),
                        Text(volume(o.volume), justify="right"),
                        o.purpose,
                    ),
                )
                for o in rows
            ]
        )
