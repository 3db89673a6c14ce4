"""MemoryRepository: the in-memory order/fill/position store (also an OrderJournal)."""

from __future__ import annotations

from decimal import Decimal

from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.ports import OrderJournal
from tradetui.core.types import Side
from tradetui.storage import MemoryRepository

D = Decimal


def _order(ident: str, created_ms: int, market: str = "KRW-BTC") -> Order:
    return Order(ident, market, Side.BID, OrdType.LIMIT, D("100"), D("1"), created_ms)


def test_it_satisfies_the_journal_port() -> None:
    repo = MemoryRepository()
    journal: OrderJournal = repo
    assert isinstance(journal, MemoryRepository)


async def test_journal_records_with_its_mode() -> None:
    repo = MemoryRepository(journal_mode="paper", journal_run_id=3)
    order = _order("a", 1)
    repo.record(order)
    repo.record(order.to_state(OrderState.WAIT, 2))
    assert await repo.load_orders(mode="paper", run_id=3) == [order.to_state(OrderState.WAIT, 2)]
    assert await repo.load_orders(mode="live") == []
    fill = Fill("a", "t", "KRW-BTC", Side.BID, D("100"), D("0.5"), D("0.05"), 3)
    repo.record_fill(fill)
    repo.record_fill(fill)
    assert await repo.load_fills() == [fill]


async def test_filters_and_ordering() -> None:
    repo = MemoryRepository()
    b, a, c = _order("b", 2), _order("a", 2), _order("c", 1, "KRW-ETH")
    await repo.save_orders([b, a], mode="live")
    await repo.save_order(c.to_state(OrderState.CANCEL, 5), mode="backtest", run_id=1)
    assert [o.identifier for o in await repo.load_orders()] == ["c", "a", "b"]
    assert [o.identifier for o in await repo.load_open_orders()] == ["a", "b"]
    assert [o.identifier for o in await repo.load_orders(market="KRW-ETH")] == ["c"]
    assert [o.identifier for o in await repo.load_orders(states=["cancel"])] == ["c"]
    assert [o.identifier for o in await repo.load_orders(since_ms=2, limit=1)] == ["a"]
    assert await repo.load_order("zz") is None
