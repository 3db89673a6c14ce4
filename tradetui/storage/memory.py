"""``MemoryRepository``: orders and fills kept in dicts (tests and backtests).

It behaves like :class:`tradetui.storage.repository.SqliteRepository` for these methods (same
ordering, same idempotence) and is also a synchronous :class:`tradetui.core.ports.OrderJournal`.
"""

from __future__ import annotations

from collections.abc import Iterable

from tradetui.core.orders import Fill, Order, OrderState
from tradetui.storage import convert
from tradetui.storage.tables import RunMode


class MemoryRepository:
    def __init__(self, *, journal_mode: RunMode | str = RunMode.BACKTEST, journal_run_id: int | None = None) -> None:
        self._orders: dict[str, tuple[Order, str, int | None]] = {}
        self._fills: dict[tuple[str, str], Fill] = {}
        self._journal_mode = convert.run_mode(journal_mode)
        self._journal_run_id = journal_run_id

    # --- OrderJournal (synchronous) -----------------------------------------------------------

    def record(self, order: Order) -> None:
        self._orders[order.identifier] = (order, self._journal_mode, self._journal_run_id)

    def record_fill(self, fill: Fill) -> None:
        self._fills.setdefault((fill.identifier, fill.trade_id), fill)

    # --- orders and fills ---------------------------------------------------------------------

    async def save_order(self, order: Order, *, mode: RunMode | str, run_id: int | None = None) -> None:
        self._orders[order.identifier] = (order, convert.run_mode(mode), run_id)

    async def save_orders(
        self, orders: Iterable[Order], *, mode: RunMode | str = RunMode.LIVE, run_id: int | None = None
    ) -> None:
        for order in orders:
            await self.save_order(order, mode=mode, run_id=run_id)

    async def save_fill(self, fill: Fill) -> bool:
        key = (fill.identifier, fill.trade_id)
        if key in self._fills:
            return False
        self._fills[key] = fill
        return True

    async def save_fills(self, fills: Iterable[Fill]) -> None:
        for fill in fills:
            await self.save_fill(fill)

    async def load_order(self, identifier: str) -> Order | None:
        entry = self._orders.get(identifier)
        return entry[0] if entry else None

    async def load_orders(
        self,
        *,
        market: str | None = None,
        mode: RunMode | str | None = None,
        run_id: int | None = None,
        states: Iterable[OrderState | str] | None = None,
        since_ms: int | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        wanted_mode = None if mode is None else convert.run_mode(mode)
        wanted_states = None if states is None else {OrderState(s) for s in states}
        found = [
            order
            for order, order_mode, order_run in self._orders.values()
            if (market is None or order.market == market)
            and (wanted_mode is None or order_mode == wanted_mode)
            and (run_id is None or order_run == run_id)
            and (wanted_states is None or order.state in wanted_states)
            and (since_ms is None or order.created_ms >= since_ms)
        ]
        found.sort(key=lambda o: (o.created_ms, o.identifier))
        return found if limit is None else found[:limit]

    async def load_open_orders(self, *, mode: RunMode | str | None = None) -> list[Order]:
        return await self.load_orders(mode=mode, states=[s for s in OrderState if s.is_open])

    async def load_fills(self, identifier: str | None = None) -> list[Fill]:
        found = [f for f in self._fills.values() if identifier is None or f.identifier == identifier]
        found.sort(key=lambda f: (f.ts_ms, f.identifier, f.trade_id))
        return found

    async def close(self) -> None:
        return None
