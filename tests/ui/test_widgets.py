"""Widget-level checks that need an app but no engine."""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text
from textual.app import App, ComposeResult
from textual.cache import LRUCache

from tradetui.engine.read_model import MarketView
from tradetui.ui.widgets.synced_table import CELL_CACHE
from tradetui.ui.widgets.watchlist import Watchlist


class _Board(App[None]):
    def compose(self) -> ComposeResult:
        yield Watchlist()


def _rows(step: int) -> tuple[MarketView, ...]:
    return tuple(
        MarketView(f"KRW-C{k:03d}", Decimal(1000 + step * 7 + k), 0.1 * step, 1e9, None, "", k % 7 == 0)
        for k in range(100)
    )


async def test_watchlist_render_caches_stay_small_under_constant_updates() -> None:
    """A refreshed table fills its render caches with stale entries; ours are capped so the
    collector has little to walk (DataTable's own caps are 10,000 cells and 1,000 rows)."""
    app = _Board()
    async with app.run_test(size=(60, 30)) as pilot:
        table = app.query_one(Watchlist)
        for step in range(120):
            table.show(_rows(step))
            await pilot.pause()
        caches = {name: c for name, c in vars(table).items() if isinstance(c, LRUCache)}
        assert caches, "DataTable's render caches moved: check synced_table.py"
        for name, cache in caches.items():  # also any cache a newer Textual adds under a new name
            assert len(cache) <= CELL_CACHE, name
        assert len(table._cell_render_cache) > 0  # ours is the cache in use
        cell = table.get_row("KRW-C005")[2]
        assert isinstance(cell, Text) and cell.plain == f"{1000 + 119 * 7 + 5:,}"
