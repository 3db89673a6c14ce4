"""SVG snapshots of the dashboard and every screen over frozen data, at 120×35 and 80×24.

The handle never moves (see ``conftest.py``), the engine is not started and no cursor blinks,
so each picture depends only on the code. Regenerate after a deliberate UI change with
``python -m pytest tests/snapshots --snapshot-update`` and look at the diff report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tradetui.ui.app import TradeTuiApp

SIZES = [pytest.param((120, 35), id="120x35"), pytest.param((80, 24), id="80x24")]

SCREENS = [
    pytest.param((), id="dashboard"),
    pytest.param(("s",), id="strategies"),
    pytest.param(("b",), id="backtest"),
    pytest.param(("e",), id="settings"),
    pytest.param(("l",), id="logs"),
    pytest.param(("h",), id="history"),
    pytest.param(("k",), id="kill_dialog"),
    pytest.param(("question_mark",), id="help"),
    pytest.param(("q",), id="quit_confirm"),
]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("keys", SCREENS)
def test_screen(
    snap_compare: Callable[..., bool],
    frozen_app: Callable[[], TradeTuiApp],
    open_with: Callable[..., Callable[[Pilot[Any]], Awaitable[None]]],
    keys: tuple[str, ...],
    size: tuple[int, int],
) -> None:
    assert snap_compare(frozen_app(), terminal_size=size, run_before=open_with(*keys))
