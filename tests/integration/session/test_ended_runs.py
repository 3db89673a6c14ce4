"""Orders a simulated venue still had open when its run ended (stopped or killed) can never
fill: the next start closes them in the history instead of showing them as working forever."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tradetui.commands.run import build_session
from tradetui.config import demo_config
from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.types import Side
from tradetui.storage.journal import SqliteOrderJournal


async def test_a_restart_closes_the_orders_the_last_simulated_run_left_open(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    working = Order("demo-1-a", "KRW-DEMO", Side.ASK, OrdType.LIMIT, Decimal("51000000"), Decimal("0.01"), 1_000)
    with SqliteOrderJournal(db, mode="paper") as journal:
        journal.record(working.to_state(OrderState.WAIT, 1_001))
        journal.record(Order("demo-1-b", "KRW-DEMO", Side.BID, OrdType.PRICE, Decimal("100000"), None, 1_002))

    session = build_session(demo_config(), database=db, speed=1.0, max_bars=1, now_s=1_800_000_000)
    try:
        orders = {o.identifier: o for o in await session.handle.orders(10)}
        assert {orders[i].state for i in ("demo-1-a", "demo-1-b")} == {OrderState.CANCEL}
        assert "left open by the last run" in orders["demo-1-a"].reason
        assert session.journal.load_open_orders() == []
        texts = [e.text for e in session.handle.snapshot(max_events=50).events]
        assert any("2 orders left open by the last run" in t for t in texts), texts
    finally:
        session.journal.close()
