"""Storage: SQLModel tables, the async repository, the synchronous order journal, an in-memory store."""

from __future__ import annotations

from tradetui.storage.journal import SqliteOrderJournal
from tradetui.storage.memory import MemoryRepository
from tradetui.storage.records import (
    BacktestRun,
    BacktestRunSummary,
    CandleRange,
    CandleSet,
    DailyPerformance,
    StoredPosition,
    StoredStrategyState,
)
from tradetui.storage.repository import SqliteRepository
from tradetui.storage.schema import SCHEMA_VERSION, SchemaVersionError
from tradetui.storage.tables import RunMode

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
