"""Order book ladder: asks above, bids below, with size bars."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive

from tradetui.core.market import OrderBook
from tradetui.ui.containment import SafeStatic
from tradetui.ui.formatting import price, volume
from tradetui.ui.tones import Tones


class OrderBookLadder(SafeStatic):
    DEFAULT_CSS = "OrderBookLadder { width: 26; height: 1fr; }"

    data: reactive[OrderBook | None] = reactive(None)

    def render_safely(self) -> Text:
        book = self.data
        if book is None:
            return Text("no order book yet", style="dim")
        rows = max(2, (self.size.height - 2) // 2)
        asks = list(book.asks[:rows])[::-1]
        bids = list(book.bids[:rows])
        largest = max((float(level.size) for level in asks + bids), default=1.0) or 1.0
        bar_width = max(2, self.size.width - 22)
        out = Text(f" {book.market} book\n", style="bold")
        tones = Tones(self)
        for side, levels, style in (("ask", asks, tones.side("ask")), ("bid", bids, tones.side("bid"))):
            for level in levels:
                filled = round(float(level.size) / largest * bar_width)
                out.append(f"{price(level.price):>11} ", style=style)
                out.append(f"{volume(level.size)[:7]:>7} ", style="dim")
                out.append("▇" * filled, style=style)
                out.append("\n")
            if side == "ask" and book.best_ask is not None and book.best_bid is not None:
                spread = book.best_ask - book.best_bid
                out.append(f"   spread {price(spread)}\n", style="italic dim")
        return out
