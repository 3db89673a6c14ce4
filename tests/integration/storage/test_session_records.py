"""The session's records on the journal's synchronous connection: closed trades newest first
and bounded, risk events, strategy state, config history with its diff, recent orders."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tradetui.core.events import EngineState, EngineStateChanged, RiskEvent
from tradetui.core.orders import Order, OrdType
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side
from tradetui.storage.journal import SqliteOrderJournal
from tradetui.storage.records import StoredStrategyState
from tradetui.storage.repository import SqliteRepository


def _trade(exit_ms: int, pnl: str = "1.5") -> ClosedTrade:
    return ClosedTrade(
        "KRW-BTC", "breakout", exit_ms - 10, exit_ms, Decimal("0.10000000"), Decimal("100"), Decimal("101.5"),
        Decimal(pnl), Decimal("0.05"), "stop", exit_fills=exit_ms // 100,
    )  # fmt: skip


async def test_records_written_synchronously_read_back_by_the_repository_too(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with SqliteOrderJournal(db, mode="paper", durability="process") as journal:
        for ms in (300, 100, 200):
            journal.record_closed_trade(_trade(ms))
        assert [t.exit_ms for t in journal.load_closed_trades(10)] == [300, 200, 100]
        assert journal.load_closed_trades(1) == [_trade(300)]
        assert [t.exit_fills for t in journal.load_closed_trades(10)] == [3, 2, 1]  # partial exits kept
        assert str(journal.load_closed_trades(1)[0].volume) == "0.10000000"  # exact digits
        assert journal.closed_trade_keys() == {("KRW-BTC", 100), ("KRW-BTC", 200), ("KRW-BTC", 300)}

        journal.record_risk_event(RiskEvent(5, "daily_loss", "stop for today", "KRW-BTC"))
        journal.record_risk_event(EngineStateChanged(6, EngineState.RUNNING, EngineState.PAUSED, "lunch"))

        state = StoredStrategyState("breakout", "*", {"params": {"lookback": 30}}, False, 7)
        journal.save_strategy_state(state)
        journal.save_strategy_state(state)  # overwritten, not doubled
        assert journal.load_strategy_states() == [state]
        journal.delete_strategy_state("breakout")
        assert journal.load_strategy_states() == []

        journal.save_config_history("a = 1\n", "first", ts_ms=8, changed_by="tui")
        journal.save_config_history("a = 2\n", "second", ts_ms=9, changed_by="tui")

        for k in range(3):
            journal.record(Order(f"o-{k}", "KRW-BTC", Side.BID, OrdType.PRICE, Decimal("5000"), None, 10 + k))
        assert [o.identifier for o in journal.load_recent_orders(2)] == ["o-2", "o-1"]

    repo = await SqliteRepository.open(db)
    try:
        assert await repo.load_closed_trades(limit=2) == [_trade(300), _trade(200)]
        events = await repo.load_risk_events()
        assert [(e.kind, e.rule) for e in events] == [("engine_state", "PAUSED"), ("risk", "daily_loss")]
        history = await repo.load_config_history()
        assert [h.note for h in history] == ["second", "first"]
        assert "-a = 1" in history[0].diff and "+a = 2" in history[0].diff
    finally:
        await repo.close()
