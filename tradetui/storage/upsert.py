"""``INSERT … ON CONFLICT`` for the dialects that have it (SQLite, PostgreSQL), and rows as statement values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql.expression import TableClause
from sqlmodel import SQLModel

DialectInsert = SqliteInsert | PostgresInsert


def dialect_insert(dialect: str, target: Table | TableClause) -> DialectInsert:
    if dialect == "sqlite":
        return sqlite.insert(target)
    if dialect == "postgresql":
        return postgresql.insert(target)
    raise NotImplementedError(f"upserts are implemented for sqlite and postgresql, not {dialect}")


def upsert(
    dialect: str, target: Table | TableClause, keys: Sequence[str], columns: Iterable[str] | None = None
) -> DialectInsert:
    """Insert, or overwrite every other column (or just ``columns``) of the row with the same ``keys``."""
    stmt = dialect_insert(dialect, target)
    names = [c.name for c in target.columns] if columns is None else list(columns)
    updates = {name: stmt.excluded[name] for name in names if name not in keys}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)


def insert_new(dialect: str, target: Table | TableClause, keys: Sequence[str]) -> DialectInsert:
    """Insert, or do nothing when a row with the same ``keys`` exists."""
    return dialect_insert(dialect, target).on_conflict_do_nothing(index_elements=list(keys))


def row_values(row: SQLModel) -> dict[str, Any]:
    """A row as statement parameters; an unset autoincrement ``id`` is left to the database."""
    values = row.model_dump()
    if "id" in values and values["id"] is None:
        del values["id"]
    return values


def new_id(result: CursorResult[Any]) -> int:
    """The primary key of the row a single-row INSERT created."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database did not report the new row's id")
    return int(key[0])
