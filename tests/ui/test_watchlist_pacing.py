"""A long watchlist redraws its prices once a second, not at every 4 Hz refresh: re-rendering a
100-row table was most of a dashboard frame under a busy stream, and a key pressed during a frame
waits for it. A short list, or a list whose markets changed, is shown at once."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from tradetui.engine.read_model import MarketView
from tradetui.ui.screens import dashboard
from tradetui.ui.screens.dashboard import BUSY_WATCHLIST_ROWS, Dashboard


class _Shown:
    def __init__(self) -> None:
        self.calls: list[tuple[str, ...]] = []

    def show(self, rows: tuple[MarketView, ...]) -> None:
        self.calls.append(tuple(r.market for r in rows))


def _rows(n: int, price: int = 100) -> tuple[MarketView, ...]:
    return tuple(MarketView(f"KRW-C{k:03d}", Decimal(price), 0.0, 1e9, None, "", False) for k in range(n))


@pytest.fixture
def board(monkeypatch: pytest.MonkeyPatch) -> tuple[Dashboard, _Shown, list[float]]:
    now = [1000.0]
    # the dashboard's own clock for its pacing (not the process's time.monotonic)
    monkeypatch.setattr(dashboard, "time", SimpleNamespace(monotonic=lambda: now[0]))
    screen = Dashboard(handle=None)  # type: ignore[arg-type]  # the pacing needs no engine
    shown = _Shown()
    monkeypatch.setattr(screen, "query_one", lambda *_: shown)
    return screen, shown, now


def test_a_long_list_is_redrawn_once_a_second(board: tuple[Dashboard, _Shown, list[float]]) -> None:
    screen, shown, now = board
    many = _rows(BUSY_WATCHLIST_ROWS + 1)
    screen._show_watchlist(many)
    for _ in range(3):  # three more 4 Hz refreshes within the second
        now[0] += 0.25
        screen._show_watchlist(_rows(BUSY_WATCHLIST_ROWS + 1, price=101))
    assert len(shown.calls) == 1
    now[0] += 0.25  # a second after the last redraw
    screen._show_watchlist(many)
    assert len(shown.calls) == 2


def test_a_changed_list_or_a_short_one_is_shown_at_once(board: tuple[Dashboard, _Shown, list[float]]) -> None:
    screen, shown, now = board
    screen._show_watchlist(_rows(BUSY_WATCHLIST_ROWS + 1))
    now[0] += 0.25
    screen._show_watchlist(_rows(BUSY_WATCHLIST_ROWS + 2))  # a market joined: shown now
    assert len(shown.calls) == 2
    for _ in range(4):
        now[0] += 0.25
        screen._show_watchlist(_rows(BUSY_WATCHLIST_ROWS))  # short enough: every refresh
    assert len(shown.calls) == 6
