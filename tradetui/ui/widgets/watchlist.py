"""The watchlist: a marker (● position, ▲ entry signal), coin, price, change, 24h turnover.
Selecting a row posts ``Watchlist.MarketSelected``."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from tradetui.engine.read_model import MarketView
from tradetui.ui.formatting import compact_krw, pct, price


class Watchlist(DataTable[object]):
    DEFAULT_CSS = "Watchlist { height: auto; max-height: 14; }"

    class MarketSelected(Message):
        def __init__(self, market: str) -> None:
            super().__init__()
            self.market = market

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for label, key in (("", "mark"), ("coin", "market"), ("price", "price"), ("chg", "chg"), ("24h", "turnover")):
            self.add_column(label, key=key)

    def show(self, rows: tuple[MarketView, ...]) -> None:
        present = {str(k.value) for k in self.rows}
        for row in rows:
            mark = (
                Text("●", style="bold cyan")
                if row.has_position
                else Text("▲", style="bold green")
                if row.signal
                else Text(" ")
            )
            cells = (
                mark,
                row.market.split("-", 1)[-1],
                Text(price(row.last), justify="right"),
                pct(row.change_pct),
                Text(compact_krw(row.turnover_24h), justify="right"),
            )
            if row.market in present:
                for column, value in zip(("mark", "market", "price", "chg", "turnover"), cells, strict=True):
                    self.update_cell(row.market, column, value, update_width=True)
            else:
                self.add_row(*cells, key=row.market)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.post_message(self.MarketSelected(str(event.row_key.value)))
