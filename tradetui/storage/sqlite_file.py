"""The SQLite database file: private permissions, and the settings every connection gets.

The file holds orders, balances and fills, so it is created ``0600`` by us (``os.open`` with
``O_EXCL``) before SQLite ever opens it, and an existing file that is readable by others is
tightened. SQLite gives its ``-wal``/``-shm`` side files the main file's permissions.

Every connection (SQLAlchemy sync or async, or a plain ``sqlite3`` one) gets WAL journaling,
``synchronous=FULL`` (a committed order survives a crash), ``foreign_keys=ON`` and a busy
timeout. Python's ``sqlite3`` module is put in autocommit mode and we emit ``BEGIN`` ourselves,
so DDL takes part in transactions (schema upgrades are all-or-nothing).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event

FILE_MODE = 0o600
DIR_MODE = 0o700
SIDE_FILE_SUFFIXES = ("-wal", "-shm", "-journal")
BUSY_TIMEOUT_MS = 5_000

BEGIN_OPTION = "tradetui_sqlite_begin"
"""Execution option naming the statement that opens a transaction (``BEGIN IMMEDIATE`` for writers)."""


def secure_sqlite_file(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and its folder) with mode 0600 if missing; tighten it if looser. Returns the path."""
    target = Path(path).expanduser()
    if not target.parent.exists():
        target.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    for candidate in (target, *(target.with_name(target.name + suffix) for suffix in SIDE_FILE_SUFFIXES)):
        _restrict(candidate)
    return target


def _restrict(path: Path) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        raise ValueError(f"{path} is not a regular file")
    if stat.S_IMODE(info.st_mode) != FILE_MODE:
        os.chmod(path, FILE_MODE)


def configure_sqlite_connection(dbapi_connection: Any, *, synchronous: str = "FULL") -> None:
    """Apply tradetui's settings to a fresh DB-API SQLite connection (sqlite3 or SQLAlchemy's aiosqlite adapter).

    In WAL mode ``synchronous=NORMAL`` keeps every committed transaction through a crash or kill
    of the process (the WAL is in the OS's hands at commit); ``FULL`` also survives a power loss
    or an OS crash, at the price of an fsync per commit."""
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError("synchronous must be FULL or NORMAL")
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        (journal_mode,) = cursor.fetchone()
        if str(journal_mode).lower() not in ("wal", "memory"):
            raise RuntimeError(f"SQLite refused WAL journaling (got {journal_mode!r})")
        cursor.execute(f"PRAGMA synchronous = {synchronous}")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _on_connect(dbapi_connection: Any, _connection_record: Any) -> None:
    configure_sqlite_connection(dbapi_connection)


def _on_begin(connection: Connection) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get(BEGIN_OPTION, "BEGIN"))


def install_sqlite_hooks(engine: Engine) -> None:
    """Configure every connection of ``engine`` (for an ``AsyncEngine`` pass its ``sync_engine``)."""
    if engine.dialect.name != "sqlite":
        return
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
