"""Schema versioning: the version this code writes, and in-place upgrades from older files.

``schema_meta`` holds one row with the version a file is at. Opening a file runs
:func:`prepare_schema` inside one write transaction:

* a new (empty) file gets every table and ``SCHEMA_VERSION``;
* an older file gets each :data:`UPGRADE_STEPS` entry from its version up, in order, then any
  table added since (``create_all`` only adds missing tables), then its version bumped;
* a file from a newer tradetui, or with our tables but no ``schema_meta``, is refused.

A step alters tables that already exist (add a column, an index, move data). A table that is
new in a version needs no step. Steps get a SQLAlchemy ``Connection`` and should use SQL that
SQLite and PostgreSQL both accept. To change the schema: change ``tables.py``, append a step
that turns the previous version's shape into the new one, and bump ``SCHEMA_VERSION``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Table, inspect, select, update

from tradetui.storage.tables import ALL_ROWS, METADATA, SchemaMetaRow, table_of

SCHEMA_VERSION = 4


class SchemaVersionError(RuntimeError):
    """The file's schema cannot be used by this version of tradetui."""


@dataclass(frozen=True, slots=True)
class UpgradeStep:
    """Turns a file at ``from_version`` into ``from_version + 1``."""

    from_version: int
    description: str
    apply: Callable[[Connection], None]

    @property
    def to_version(self) -> int:
        return self.from_version + 1


def _orders_gain_mode_and_run_id(conn: Connection) -> None:
    # Version 1 kept only live orders; backtests and paper runs now share the table.
    conn.exec_driver_sql("ALTER TABLE orders ADD COLUMN mode VARCHAR DEFAULT 'live' NOT NULL")
    conn.exec_driver_sql("ALTER TABLE orders ADD COLUMN run_id INTEGER")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_orders_run_id ON orders (run_id)")


def _closed_trades_arrive(conn: Connection) -> None:
    # Version 3 adds the closed_trades table (made by create_all after the steps); nothing else changes.
    # The bump keeps an older tradetui, which would not write closed trades, off the file.
    return None


def _round_trips_count_their_exit_fills(conn: Connection) -> None:
    # Version 4 stores how many sell fills closed a round trip (partial exits), which read back
    # as one before. A file upgraded from version 1 or 2 gets closed_trades from create_all.
    present = set(inspect(conn).get_table_names())
    for table in ("closed_trades", "backtest_trades"):
        if table in present:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN exit_fills INTEGER DEFAULT 1 NOT NULL")


UPGRADE_STEPS: tuple[UpgradeStep, ...] = (
    UpgradeStep(1, "orders: add mode (backtest/paper/live) and run_id", _orders_gain_mode_and_run_id),
    UpgradeStep(2, "closed_trades: a session's round trips, stored as they close", _closed_trades_arrive),
    UpgradeStep(3, "closed and backtest trades: add exit_fills", _round_trips_count_their_exit_fills),
)


def steps_between(found: int, target: int = SCHEMA_VERSION) -> list[UpgradeStep]:
    """The steps that take a file from ``found`` to ``target``, in order; raises if one is missing."""
    by_version = {step.from_version: step for step in UPGRADE_STEPS}
    steps = []
    for version in range(found, target):
        step = by_version.get(version)
        if step is None:
            raise SchemaVersionError(f"no upgrade step from schema version {version} to {version + 1}")
        steps.append(step)
    return steps


def our_tables() -> list[Table]:
    return [table_of(row) for row in ALL_ROWS]


def stored_version(conn: Connection) -> int | None:
    """The version recorded in the file, or ``None`` when it has no ``schema_meta`` table."""
    meta = table_of(SchemaMetaRow)
    if not inspect(conn).has_table(meta.name):
        return None
    version = conn.execute(select(meta.c.version).where(meta.c.id == 1)).scalar_one_or_none()
    if version is None:
        raise SchemaVersionError("schema_meta exists but holds no version")
    return int(version)


def prepare_schema(conn: Connection) -> int | None:
    """Create or upgrade the schema on ``conn`` (inside the caller's transaction).

    Returns the version the file was at before (``None`` for a new file).
    """
    found = stored_version(conn)
    meta = table_of(SchemaMetaRow)
    tables = our_tables()
    if found is None:
        existing = set(inspect(conn).get_table_names())
        ours = existing & {table.name for table in tables}
        if ours:
            raise SchemaVersionError(
                f"database has tradetui tables ({', '.join(sorted(ours))}) but no schema_meta; "
                "refusing to guess its version"
            )
        METADATA.create_all(conn, tables=tables)
        conn.execute(meta.insert().values(id=1, version=SCHEMA_VERSION))
        return None
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"database schema version {found} is newer than this tradetui supports ({SCHEMA_VERSION}); upgrade tradetui"
        )
    if found < 1:
        raise SchemaVersionError(f"invalid schema version {found}")
    for step in steps_between(found):
        step.apply(conn)
    METADATA.create_all(conn, tables=tables, checkfirst=True)
    if found != SCHEMA_VERSION:
        conn.execute(update(meta).where(meta.c.id == 1).values(version=SCHEMA_VERSION))
    return found
