"""Storage: SQLModel tables, the async repository, the synchronous order journal, an in-memory store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tradetui.storage.journal import SqliteOrderJournal
from tradetui.storage.records import (
    BacktestRun,
    BacktestRunSummary,
    CandleRange,
    CandleSet,
    DailyPerformance,
    StoredPosition,
    StoredStrategyState,
)
from tradetui.storage.schema import SCHEMA_VERSION, SchemaVersionError
from tradetui.storage.tables import RunMode

if TYPE_CHECKING:
    from tradetui.storage.memory import MemoryRepository
    from tradetui.storage.repository import SqliteRepository

__all__ = [
    "SCHEMA_VERSION",
    "BacktestRun",
    "BacktestRunSummary",
    "CandleRange",
    "CandleSet",
    "DailyPerformance",
    "MemoryRepository",
    "RunMode",
    "SchemaVersionError",
    "SqliteOrderJournal",
    "SqliteRepository",
    "StoredPosition",
    "StoredStrategyState",
]


def __getattr__(name: str) -> Any:
    # The async repository (aiosqlite, SQLAlchemy's asyncio layer) loads when first asked for:
    # a trading session writes through the journal and should not pay for it at start-up
    if name == "SqliteRepository":
        from tradetui.storage.repository import SqliteRepository

        return SqliteRepository
    if name == "MemoryRepository":
        from tradetui.storage.memory import MemoryRepository

        return MemoryRepository
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
