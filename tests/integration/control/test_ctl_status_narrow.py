"""`tradetui ctl status` is readable at 80 columns and into a pipe: positions and orders are
stacked rather than cut, so every key number appears in full (no "…")."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tradetui.commands.ctl import _print_status
from tradetui.core.notation import krw, price, volume
from tradetui.engine.read_model import EngineSnapshot, OrderView, PositionView

if TYPE_CHECKING:
    from tests.integration.control.conftest import EngineUntil  # the fixture's type


@pytest.fixture
async def snapshot(tmp_path: Path, engine_until: EngineUntil) -> EngineSnapshot:
    session = await engine_until(tmp_path, lambda h: bool(h.snapshot().positions), "opened no position")
    session.journal.close()
    snap = session.handle.snapshot()
    [held] = snap.positions
    wide = PositionView(
        "KRW-BTC", "breakout", Decimal("0.01483868"), Decimal("173865000"), Decimal("173220000"),
        Decimal("-1234567.8"), -0.42, 171_257_025.0, 179_080_950.0, None,
    )  # fmt: skip
    order = OrderView(
        "live-1a2368d0cb2-54fc74a780", "KRW-BTC", "ask", "limit", Decimal("179080950"), Decimal("0.00741934"),
        37.5, "wait", 12.0, "take_profit",
    )  # fmt: skip
    return replace(snap, positions=(held, wide), orders=(order,))


def _numbers(snap: EngineSnapshot) -> list[str]:
    numbers = [
        krw(snap.equity, unit=False),
        krw(snap.cash, unit=False),
        krw(snap.risk.day_pnl, signed=True, unit=False),
    ]
    for p in snap.positions:
        numbers += [volume(p.volume), price(p.avg_price), krw(p.pnl_krw, signed=True, unit=False), f"{p.pnl_pct:+.2f}"]
        if p.last_price is not None:
            numbers.append(price(p.last_price))
        if p.stop is not None:
            numbers.append(price(Decimal(repr(p.stop)).quantize(Decimal(1))))
    for o in snap.orders:
        numbers += [o.identifier, price(o.price) if o.price is not None else "", volume(o.volume or Decimal(0))]
    return numbers


@pytest.mark.parametrize("width", [60, 80, 120])
def test_status_shows_every_number_in_full(snapshot: EngineSnapshot, width: int) -> None:
    out = io.StringIO()
    _print_status(snapshot, out, width=width)
    text = out.getvalue()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    missing = [n for n in _numbers(snapshot) if n not in text]
    assert not missing, (missing, text)
    assert "take_profit" in text and "breakout" in text
