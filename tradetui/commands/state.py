"""Storing a running engine's state (positions with their stops, strategies, risk events)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from tradetui.core.events import EngineStateChanged, Event, RiskEvent
from tradetui.core.orders import Order
from tradetui.engine.engine import Engine
from tradetui.storage.records import StoredPosition
from tradetui.storage.repository import SqliteRepository

log = logging.getLogger(__name__)


class StateStore:
    """Collects risk events as they happen and writes the engine's state on stop."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self._risk_events: list[RiskEvent | EngineStateChanged] = []

    def listen(self, events: Sequence[Event]) -> None:
        self._risk_events.extend(e for e in events if isinstance(e, (RiskEvent, EngineStateChanged)))

    async def order_history(self, limit: int) -> list[Order]:
        """Orders in the database, newest first (the TUI's history screen)."""
        if not self.database.exists():
            return []
        repo = await SqliteRepository.open(self.database)
        try:
            orders = await repo.load_orders()
        finally:
            await repo.close()
        return sorted(orders, key=lambda o: o.created_ms, reverse=True)[:limit]

    async def save_config(self, text: str, note: str) -> None:
        repo = await SqliteRepository.open(self.database)
        try:
            await repo.save_config_history(text, note, ts_ms=int(time.time() * 1000), changed_by="tui")
        finally:
            await repo.close()

    async def save_engine(self, engine: Engine) -> None:
        repo = await SqliteRepository.open(self.database)
        try:
            now = engine.clock.now_ms()
            stored = {p.market for p in await repo.load_positions()}
            for market, pos in engine.portfolio.positions.items():
                await repo.save_position(
                    StoredPosition(
                        market=market,
                        volume=pos.volume,
                        avg_price=pos.avg_price,
                        updated_ms=now,
                        strategy=pos.strategy,
                        opened_ms=pos.entry_ms,
                        stop_state=pos.tracker.snapshot() if pos.tracker is not None else {},
                    )
                )
            for market in stored - set(engine.portfolio.positions):
                await repo.delete_position(market)
            for name, enabled in engine.enabled.items():
                strategy = engine.strategies[name]
                await repo.save_strategy_state(
                    name, "*", {"params": strategy.params.model_dump(mode="json")}, enabled=enabled, updated_ms=now
                )
            for event in self._risk_events:
                await repo.save_risk_event(event)
            self._risk_events.clear()
        finally:
            await repo.close()
        log.info("state stored in %s", self.database)
