"""A DataTable that is updated in place a few times a second.

Only the cells whose content changed are written. Column widths follow the widest cell (as
``update_cell(..., update_width=True)`` would) without asking Textual to re-measure on every
write: Textual re-measures a whole column each time one of its cells gets narrower, which is
rows x columns x rows cell measurements per refresh for a 100-market watchlist.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.cache import LRUCache
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tradetui.ui.tones import TONE_CLASSES

Cells = tuple[object, ...]


def _signature(value: object) -> Hashable:
    if isinstance(value, Text):
        return (value.plain, str(value.style), value.justify, tuple(value.spans))
    return value if isinstance(value, Hashable) else repr(value)


def _width(value: object) -> int:
    plain = value.plain if isinstance(value, Text) else str(value)
    return max((cell_len(line) for line in plain.split("\n")), default=0)


CELL_CACHE = 600
ROW_CACHE = 200
"""Render-cache sizes. DataTable keeps up to 10,000 rendered cells and 1,000 rows and lines;
a table refreshed four times a second fills them with stale renders that are never asked
for again (a changed cell gets a new key), and the collector then walks those ~100k objects
on every full pass: a 0.1-0.2 s freeze of the UI. A few screens' worth is all that is reused."""


class SyncedTable(DataTable[object]):
    """Rows keyed by a string; :meth:`sync` makes the table show exactly ``rows``. Its cells are
    coloured by the theme's tones (:class:`~tradetui.ui.tones.Tones`); a cell's style is part of
    what "changed" means, so after a change of theme the next :meth:`sync` rewrites the coloured
    cells in the new colours."""

    COLUMN_KEYS: tuple[str, ...] = ()
    COMPONENT_CLASSES = set(TONE_CLASSES)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._cell_render_cache = LRUCache(CELL_CACHE)
        self._row_render_cache = LRUCache(ROW_CACHE)
        self._row_renderable_cache = LRUCache(ROW_CACHE)
        self._line_cache = LRUCache(ROW_CACHE)
        self._keys: list[str] = []
        self._shown: dict[str, tuple[Hashable, ...]] = {}
        self._widths: dict[str, dict[str, int]] = {}

    def sync(self, rows: Sequence[tuple[str, Cells]]) -> None:
        keys = [key for key, _ in rows]
        if keys[: len(self._keys)] != self._keys:  # a row went away or moved: build again (rare)
            self.clear()
            self._keys, self._shown, self._widths = [], {}, {}
        touched: set[str] = set()
        for key, cells in rows:
            signature = tuple(_signature(c) for c in cells)
            widths = self._widths.setdefault(key, {})
            if key not in self._shown:
                self.add_row(*cells, key=key)  # measures its own cells
                self._keys.append(key)
                widths.update((column, _width(c)) for column, c in zip(self.COLUMN_KEYS, cells, strict=True))
            elif signature != self._shown[key]:
                for column, cell, new, old in zip(self.COLUMN_KEYS, cells, signature, self._shown[key], strict=True):
                    if new != old:
                        self.update_cell(key, column, cell)
                        widths[column] = _width(cell)
                        touched.add(column)
            self._shown[key] = signature
        for column in touched:
            self._fit(column)

    def _fit(self, column: str) -> None:
        """Give ``column`` the width of its widest cell (or its label), like ``update_width``."""
        spec = self.columns.get(ColumnKey(column))
        if spec is None or not self._widths:
            return
        key, widest = max(((k, w.get(column, 0)) for k, w in self._widths.items()), key=lambda kw: kw[1])
        if max(widest, _width(spec.label)) == spec.content_width:
            return
        # one re-measure: Textual grows the column to a wider cell at once, and re-measures the
        # column only when that cell is narrower than the current width
        self.update_cell(key, column, self.get_cell(key, column), update_width=True)
