"""``SqliteOrderJournal``: the synchronous intent log for the live engine's decision step.

The decision step must have an order's intent row committed before the request goes out, and
it is synchronous, so this writes through the standard ``sqlite3`` module: one ``BEGIN
IMMEDIATE … COMMIT`` per call, WAL with ``synchronous=FULL``, so a row whose ``record`` returned
survives a crash of the process. It shares the ``orders``/``trades`` tables (and the file rules)
with :class:`tradetui.storage.repository.SqliteRepository`.

The session's other records that must survive a ``kill -9`` go through the same connection, as
they happen: positions with their exits, closed trades, risk events and strategy state. So do the
session's config history and the reads the front ends make of a running session (recent orders,
closed trades): in a process whose event loop writes through this connection, an async
repository transaction held across an ``await`` could leave the loop waiting on a lock only the
loop itself can release. Reads in WAL mode never wait for a writer.
"""

from __future__ import annotations

import difflib
import os
import sqlite3
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy import URL, Table, create_engine
from sqlmodel import SQLModel

from tradetui.core.events import EngineStateChanged, RiskEvent
from tradetui.core.orders import Fill, Order, OrderState
from tradetui.core.trades import ClosedTrade
from tradetui.storage import convert
from tradetui.storage.records import StoredPosition, StoredStrategyState
from tradetui.storage.schema import prepare_schema
from tradetui.storage.sqlite_file import (
    BEGIN_OPTION,
    configure_sqlite_connection,
    install_sqlite_hooks,
    secure_sqlite_file,
)
from tradetui.storage.tables import (
    ClosedTradeRow,
    ConfigHistoryRow,
    DecimalText,
    FillRow,
    OrderRow,
    PositionRow,
    RiskEventRow,
    RunMode,
    StrategyStateRow,
    decimal_to_text,
    table_of,
    text_to_decimal,
)

SqlValue = str | int | float | None


def _insert_sql(table: Table, keys: tuple[str, ...], *, update: bool) -> str:
    names = [c.name for c in table.columns]
    head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"
    if not update:
        return f"{head} ON CONFLICT ({', '.join(keys)}) DO NOTHING"
    sets = ", ".join(f"{n} = excluded.{n}" for n in names if n not in keys)
    return f"{head} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"


_ORDERS = table_of(OrderRow)
_FILLS = table_of(FillRow)
_POSITIONS = table_of(PositionRow)
_INSERT_POSITION = _insert_sql(_POSITIONS, ("market",), update=True)
_UPSERT_ORDER = _insert_sql(_ORDERS, ("identifier",), update=True)
_INSERT_FILL = _insert_sql(_FILLS, ("identifier", "trade_id"), update=False)
_CLOSED = table_of(ClosedTradeRow)
_RISK_EVENTS = table_of(RiskEventRow)
_STRATEGY_STATE = table_of(StrategyStateRow)
_UPSERT_STRATEGY_STATE = _insert_sql(_STRATEGY_STATE, ("strategy", "market"), update=True)


def _append_sql(table: Table) -> str:
    """INSERT of every column but the autoincrement ``id``."""
    names = [c.name for c in table.columns if c.name != "id"]
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})"


_CONFIG_HISTORY = table_of(ConfigHistoryRow)
_APPEND_CLOSED = _append_sql(_CLOSED)
_APPEND_RISK_EVENT = _append_sql(_RISK_EVENTS)
_APPEND_CONFIG = _append_sql(_CONFIG_HISTORY)


def _params(row: SQLModel, table: Table) -> dict[str, SqlValue]:
    params: dict[str, SqlValue] = {}
    for col in table.columns:
        if col.name == "id" and getattr(row, "id", None) is None:
            continue
        value = getattr(row, col.name)
        if isinstance(value, Decimal):
            params[col.name] = decimal_to_text(value)
        elif isinstance(value, bool):
            params[col.name] = int(value)
        else:
            params[col.name] = value
    return params


def prepare_file_schema(path: Path) -> None:
    """Create or upgrade the schema of the SQLite file at ``path`` (synchronously)."""
    engine = create_engine(URL.create("sqlite", database=str(path)))
    install_sqlite_hooks(engine)
    try:
        with engine.execution_options(**{BEGIN_OPTION: "BEGIN IMMEDIATE"}).begin() as conn:
            prepare_schema(conn)
    finally:
        engine.dispose()


class SqliteOrderJournal:
    """An :class:`tradetui.core.ports.OrderJournal` on a SQLite file; each call is its own committed transaction."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        mode: RunMode | str = RunMode.LIVE,
        run_id: int | None = None,
        durability: str = "power",
    ) -> None:
        """``durability``: "power" (fsync per commit: survives a power loss) or "process" (survives
        any crash or kill of the process, and is an order of magnitude faster)."""
        if durability not in ("power", "process"):
            raise ValueError('durability must be "power" or "process"')
        self.path = secure_sqlite_file(path)
        self._mode = convert.run_mode(mode)
        self._run_id = run_id
        prepare_file_schema(self.path)
        self._conn: sqlite3.Connection | None = sqlite3.connect(self.path, isolation_level=None)
        configure_sqlite_connection(self._conn, synchronous="FULL" if durability == "power" else "NORMAL")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError(f"order journal {self.path} is closed")
        return self._conn

    def _commit_one(self, sql: str, params: dict[str, SqlValue]) -> int:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            changed = conn.execute(sql, params).rowcount
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return changed

    def record(self, order: Order) -> None:
        """Write the order's current version (insert or overwrite by identifier) and commit."""
        row = convert.order_to_row(order, mode=self._mode, run_id=self._run_id)
        self._commit_one(_UPSERT_ORDER, _params(row, _ORDERS))

    def record_fill(self, fill: Fill) -> None:
        """Write a fill and commit; a fill already stored (same identifier and trade_id) is left as it is."""
        self._commit_one(_INSERT_FILL, _params(convert.fill_to_row(fill), _FILLS))

    def save_positions(self, positions: list[StoredPosition]) -> None:
        """Replace the stored positions (with their exit state) by ``positions`` in one committed transaction.

        The live engine calls this whenever a position or its stops change, so a kill -9 never
        leaves the stored exits behind the fills by more than the fill being applied.
        """
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(f"DELETE FROM {_POSITIONS.name}")
            for position in positions:
                conn.execute(_INSERT_POSITION, _params(convert.position_to_row(position), _POSITIONS))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def load_positions(self) -> list[StoredPosition]:
        """The positions :meth:`save_positions` stored last, by market."""
        rows = self._select(PositionRow, f"SELECT * FROM {_POSITIONS.name} ORDER BY market")
        return [convert.row_to_position(row) for row in rows]

    def record_closed_trade(self, trade: ClosedTrade) -> None:
        """Append a round trip the engine just closed, and commit."""
        self._commit_one(_APPEND_CLOSED, _params(convert.session_trade_to_row(trade), _CLOSED))

    def closed_trade_keys(self) -> set[tuple[str, int]]:
        """``(market, exit_ms)`` of every stored closed trade (what a restart need not add again)."""
        cursor = self._connection().execute(f"SELECT market, exit_ms FROM {_CLOSED.name}")
        keys = {(str(market), int(exit_ms)) for market, exit_ms in cursor}
        cursor.close()
        return keys

    def record_risk_event(self, event: RiskEvent | EngineStateChanged) -> None:
        """Append a risk rule's action or an engine state change, and commit."""
        self._commit_one(_APPEND_RISK_EVENT, _params(convert.risk_event_to_row(event), _RISK_EVENTS))

    def save_strategy_state(self, state: StoredStrategyState) -> None:
        """Write (insert or overwrite) one strategy's stored state, and commit."""
        row = convert.strategy_state_to_row(state)
        self._commit_one(_UPSERT_STRATEGY_STATE, _params(row, _STRATEGY_STATE))

    def delete_strategy_state(self, strategy: str) -> None:
        self._commit_one(f"DELETE FROM {_STRATEGY_STATE.name} WHERE strategy = :strategy", {"strategy": strategy})

    def load_strategy_states(self) -> list[StoredStrategyState]:
        rows = self._select(StrategyStateRow, f"SELECT * FROM {_STRATEGY_STATE.name} ORDER BY strategy, market")
        return [convert.row_to_strategy_state(row) for row in rows]

    def load_closed_trades(self, limit: int) -> list[ClosedTrade]:
        """The ``limit`` latest round trips, the newest (latest exit) first."""
        sql = f"SELECT * FROM {_CLOSED.name} ORDER BY exit_ms DESC, id DESC LIMIT ?"
        return [convert.row_to_session_trade(row) for row in self._select(ClosedTradeRow, sql, (limit,))]

    def load_recent_orders(self, limit: int) -> list[Order]:
        """The ``limit`` newest orders (every mode), newest first."""
        sql = f"SELECT * FROM {_ORDERS.name} ORDER BY created_ms DESC, identifier DESC LIMIT ?"
        return [convert.row_to_order(row) for row in self._select(OrderRow, sql, (limit,))]

    def save_config_history(self, text: str, note: str, *, ts_ms: int, changed_by: str = "") -> None:
        """Store a config version with a unified diff against the previous one, and commit."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(f"SELECT config_text FROM {_CONFIG_HISTORY.name} ORDER BY id DESC LIMIT 1").fetchone()
            previous = "" if row is None else str(row[0])
            diff = "".join(
                difflib.unified_diff(
                    previous.splitlines(keepends=True), text.splitlines(keepends=True), "previous", "current"
                )
            )
            record = ConfigHistoryRow(ts_ms=ts_ms, config_text=text, changed_by=changed_by, note=note, diff=diff)
            conn.execute(_APPEND_CONFIG, _params(record, _CONFIG_HISTORY))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def load_fills(self) -> list[tuple[Fill, Order]]:
        """Every fill of this journal's mode in the order it was recorded, each with its order."""
        conn = self._connection()
        fill_names = [c.name for c in _FILLS.columns]
        order_names = [c.name for c in _ORDERS.columns]
        select = ", ".join([*(f"t.{n}" for n in fill_names), *(f"o.{n}" for n in order_names)])
        cursor = conn.execute(
            f"SELECT {select} FROM {_FILLS.name} t JOIN {_ORDERS.name} o ON o.identifier = t.identifier "
            "WHERE o.mode = ? ORDER BY t.rowid",
            (self._mode,),
        )
        result: list[tuple[Fill, Order]] = []
        cut = len(fill_names)
        for values in cursor:
            fill = convert.row_to_fill(_row(FillRow, dict(zip(fill_names, values[:cut], strict=True))))
            order = convert.row_to_order(_row(OrderRow, dict(zip(order_names, values[cut:], strict=True))))
            result.append((fill, order))
        cursor.close()
        return result

    def load_open_orders(self) -> list[Order]:
        """Orders of this journal's mode that may still fill (for restart reconciliation)."""
        states = [s.value for s in OrderState if s.is_open]
        sql = (
            f"SELECT * FROM {_ORDERS.name} WHERE mode = ? AND state IN ({', '.join('?' * len(states))}) "
            "ORDER BY created_ms, identifier"
        )
        return [convert.row_to_order(row) for row in self._select(OrderRow, sql, (self._mode, *states))]

    def _select(self, model: type[RowT], sql: str, params: tuple[object, ...] = ()) -> list[RowT]:
        """The rows ``sql`` (a ``SELECT *`` of ``model``'s table) finds, as ``model`` rows."""
        cursor = self._connection().execute(sql, params)
        names = [d[0] for d in cursor.description]
        rows = [_row(model, dict(zip(names, values, strict=True))) for values in cursor]
        cursor.close()
        return rows

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> SqliteOrderJournal:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


RowT = TypeVar("RowT", OrderRow, FillRow, PositionRow, ClosedTradeRow, StrategyStateRow)
_DECIMAL_COLUMNS: dict[type[SQLModel], tuple[str, ...]] = {
    model: tuple(c.name for c in table_of(model).columns if isinstance(c.type, DecimalText))
    for model in (OrderRow, FillRow, PositionRow, ClosedTradeRow, StrategyStateRow)
}


def _row(model: type[RowT], values: dict[str, Any]) -> RowT:
    """A row read with the standard library's sqlite3: its decimal text back to ``Decimal``."""
    for name in _DECIMAL_COLUMNS[model]:
        raw = values[name]
        values[name] = None if raw is None else text_to_decimal(str(raw))
    return model(**values)
