"""Schema versioning rules (the upgrade of a real v1 file is in tests/integration/storage)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import URL, Engine, create_engine

from tradetui.storage import schema
from tradetui.storage.schema import SCHEMA_VERSION, UPGRADE_STEPS, SchemaVersionError, prepare_schema, stored_version
from tradetui.storage.sqlite_file import install_sqlite_hooks


def _engine(path: Path) -> Engine:
    engine = create_engine(URL.create("sqlite", database=str(path)))
    install_sqlite_hooks(engine)
    return engine


def test_steps_are_contiguous_and_reach_the_current_version() -> None:
    versions = [step.from_version for step in UPGRADE_STEPS]
    assert versions == list(range(1, SCHEMA_VERSION))
    assert all(step.to_version == step.from_version + 1 for step in UPGRADE_STEPS)
    assert [s.from_version for s in schema.steps_between(1)] == versions


def test_a_missing_step_is_an_error() -> None:
    with pytest.raises(SchemaVersionError, match="no upgrade step"):
        schema.steps_between(SCHEMA_VERSION, SCHEMA_VERSION + 1)


def test_new_file_gets_current_version_and_reopening_is_a_no_op(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "a.sqlite")
    with engine.begin() as conn:
        assert prepare_schema(conn) is None
    with engine.begin() as conn:
        assert prepare_schema(conn) == SCHEMA_VERSION
        assert stored_version(conn) == SCHEMA_VERSION
    engine.dispose()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "a.sqlite")
    with engine.begin() as conn:
        prepare_schema(conn)
        conn.exec_driver_sql("UPDATE schema_meta SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaVersionError, match="newer"), engine.begin() as conn:
        prepare_schema(conn)
    engine.dispose()


def test_unversioned_file_with_our_tables_is_refused(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "a.sqlite")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE orders (identifier VARCHAR PRIMARY KEY)")
    with pytest.raises(SchemaVersionError, match="no schema_meta"), engine.begin() as conn:
        prepare_schema(conn)
    engine.dispose()


def test_foreign_tables_do_not_block_a_new_schema(tmp_path: Path) -> None:
    engine = _engine(tmp_path / "a.sqlite")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (x INTEGER)")
        assert prepare_schema(conn) is None
    engine.dispose()
