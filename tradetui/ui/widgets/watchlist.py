"""The watchlist: a marker (● position, ▲ entry signal), coin, price, change, the strategy's
score and the 24h turnover.
Selecting a row posts ``Watchlist.MarketSelected``."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from tradetui.engine.read_model import MarketView
from tradetui.ui.formatting import compact_krw, pct, price
from tradetui.ui.tones import Tones
from tradetui.ui.widgets.synced_table import Cells, SyncedTable


def _score(value: float | None, tones: Tones) -> Text:
    """The strategy's score (breakout: % above its breakout level; > 0 is an entry zone)."""
    if value is None or value != value:
        return Text("—", style="dim", justify="right")
    return Text(f"{value:+.2f}", style=tones.gain + Style(bold=True) if value > 0 else "dim", justify="right")


class Watchlist(SyncedTable):
    COLUMN_KEYS = ("mark", "market", "price", "chg", "score", "turnover")
    DEFAULT_CSS = "Watchlist { height: auto; max-height: 14; }"

    class MarketSelected(Message):
        def __init__(self, market: str) -> None:
            super().__init__()
            self.market = market

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for label, key in zip(("", "coin", "price", "chg", "score", "24h"), self.COLUMN_KEYS, strict=True):
            self.add_column(label, key=key)

    def show(self, rows: tuple[MarketView, ...]) -> None:
        """Show ``rows``; only the cells that changed since the last call are written."""
        tones = Tones(self)
        self.sync([(row.market, self._cells(row, tones)) for row in rows])

    @staticmethod
    def _cells(row: MarketView, tones: Tones) -> Cells:
        bold = Style(bold=True)
        mark = (
            Text("●", style=tones.accent + bold)
            if row.has_position
            else Text("▲", style=tones.gain + bold)
            if row.signal
            else Text(" ")
        )
        return (
            mark,
            row.market.split("-", 1)[-1],
            Text(price(row.last), justify="right"),
            pct(row.change_pct, tones),
            _score(row.score, tones),
            Text(compact_krw(row.turnover_24h), justify="right"),
        )

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.post_message(self.MarketSelected(str(event.row_key.value)))
