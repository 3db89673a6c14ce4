"""`tradetui doctor` checks that need no network: the config file, the API keys and the database."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from tradetui.commands.doctor_check import Check, Status
from tradetui.config import AppConfig, Mode, demo_config, load_config
from tradetui.core.market import Exchange
from tradetui.credentials import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, ApiKeys, env_names, load_keys, mask
from tradetui.errors import ConfigError
from tradetui.storage.schema import SCHEMA_VERSION
from tradetui.storage.sqlite_file import FILE_MODE
from tradetui.storage.tables import ALL_ROWS, SchemaMetaRow, table_of


def check_config(path: str | None) -> tuple[Check, AppConfig | None]:
    if path is None:
        config = demo_config()
        return Check("config", Status.OK, "none given: the built-in offline demo"), config
    try:
        config = load_config(path)
    except ConfigError as exc:
        return Check("config", Status.FAIL, str(exc), "fix the file; sample_configs/ has working examples"), None
    where = f", {config.exchange_api.rest_url} (local sandbox)" if config.exchange_api.is_local else ""
    return Check("config", Status.OK, f"{path}: mode {config.mode.value}, {config.exchange.value}{where}"), config


def check_keys(config: AppConfig, exchange: Exchange) -> tuple[Check, ApiKeys | None]:
    """Keys as a session would pick them: env, keyring, or the sandbox's demo pair for a loopback URL."""
    access_name, secret_name = env_names(exchange)
    how = f"run `tradetui keys set {exchange.value}` or set {access_name} and {secret_name}"
    try:
        keys = load_keys(exchange)
    except ConfigError as exc:
        return Check("keys", Status.FAIL, str(exc), how), None
    if keys is None and config.exchange_api.is_local:
        keys = ApiKeys(exchange, SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, "sandbox default")
    if keys is None:
        status = Status.FAIL if config.mode is Mode.LIVE else Status.WARN
        return Check("keys", status, f"no {exchange.value} API keys: only the public checks run", how), None
    detail = f"{exchange.value} access key {mask(keys.access_key)}, secret ****, from {keys.source}"
    return Check("keys", Status.OK, detail), keys


def check_database(path: Path) -> list[Check]:
    """Read-only look at the SQLite file: mode, WAL, schema version. Never creates or upgrades it."""
    if not path.exists():
        parent = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
        if parent is None or not os.access(parent, os.W_OK | os.X_OK):
            return [
                Check(
                    "database",
                    Status.FAIL,
                    f"{path} does not exist and {parent or path.parent} is not writable",
                    "pick a writable place with --data-dir or [storage] database",
                )
            ]
        return [Check("database", Status.OK, f"{path} not created yet; the first run creates it (0600, WAL)")]
    if not path.is_file():
        return [Check("database", Status.FAIL, f"{path} is not a regular file", "point [storage] database at a file")]
    checks = []
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        checks.append(
            Check(
                "db file",
                Status.WARN,
                f"{path} has mode {mode:04o}: others can read your orders and balances",
                f"chmod {FILE_MODE:o} {path} (tradetui also tightens it when it opens the file)",
            )
        )
    else:
        checks.append(Check("db file", Status.OK, f"{path} mode {mode:04o}"))
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=2.0)
    except sqlite3.Error as exc:
        return [*checks, Check("database", Status.FAIL, f"cannot open {path}: {exc}", "check its permissions")]
    try:
        (journal,) = conn.execute("PRAGMA journal_mode").fetchone()
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        meta = table_of(SchemaMetaRow).name
        version: int | None = None
        if meta in tables:
            row = conn.execute(f'SELECT version FROM "{meta}" WHERE id = 1').fetchone()
            version = int(row[0]) if row is not None else None
    except sqlite3.Error as exc:
        return [
            *checks,
            Check("database", Status.FAIL, f"{path} is unreadable: {exc}", "restore a backup or move it aside"),
        ]
    finally:
        conn.close()
    ours = tables & {table_of(row).name for row in ALL_ROWS}
    if version is None and ours:
        checks.append(
            Check(
                "database",
                Status.FAIL,
                f"{path} has tradetui tables but no schema version",
                "move it aside; tradetui refuses to guess its version",
            )
        )
    elif version is None:
        checks.append(Check("database", Status.OK, f"{path} is empty; the first run creates schema {SCHEMA_VERSION}"))
    elif version > SCHEMA_VERSION:
        checks.append(
            Check(
                "database",
                Status.FAIL,
                f"schema version {version} is newer than this tradetui ({SCHEMA_VERSION})",
                "upgrade tradetui",
            )
        )
    elif version < SCHEMA_VERSION:
        checks.append(
            Check(
                "database",
                Status.WARN,
                f"schema version {version}; the next run upgrades it to {SCHEMA_VERSION}",
                f"back up {path} first",
            )
        )
    else:
        checks.append(Check("database", Status.OK, f"opens; schema version {version} (current)"))
    if str(journal).lower() == "wal":
        checks.append(Check("db journal", Status.OK, "WAL"))
    else:
        checks.append(
            Check(
                "db journal",
                Status.WARN,
                f"journal mode {journal}, not WAL",
                "tradetui switches it to WAL when it opens the file; no action needed unless this persists",
            )
        )
    return checks
