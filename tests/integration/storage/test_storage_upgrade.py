"""In-place upgrade of a schema-version-1 file built by hand with the old DDL."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Connection

from tradetui.core.orders import OrderState
from tradetui.storage import SCHEMA_VERSION, SchemaVersionError, SqliteOrderJournal, SqliteRepository
from tradetui.storage import schema as schema_module
from tradetui.storage.schema import UpgradeStep

# The version-1 shape: orders had no ``mode``/``run_id``; many tables did not exist yet.
V1_DDL = """
CREATE TABLE schema_meta (id INTEGER NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (id));
INSERT INTO schema_meta (id, version) VALUES (1, 1);
CREATE TABLE orders (
    identifier VARCHAR NOT NULL, exchange_id VARCHAR, market VARCHAR NOT NULL, side VARCHAR NOT NULL,
    ord_type VARCHAR NOT NULL, price TEXT, volume TEXT, state VARCHAR NOT NULL,
    executed_volume TEXT NOT NULL, executed_funds TEXT NOT NULL, paid_fee TEXT NOT NULL,
    purpose VARCHAR NOT NULL, strategy VARCHAR NOT NULL, reason VARCHAR NOT NULL,
    created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, PRIMARY KEY (identifier)
);
CREATE INDEX ix_orders_state ON orders (state);
CREATE TABLE trades (
    identifier VARCHAR NOT NULL, trade_id VARCHAR NOT NULL, market VARCHAR NOT NULL, side VARCHAR NOT NULL,
    price TEXT NOT NULL, volume TEXT NOT NULL, fee TEXT NOT NULL, ts_ms INTEGER NOT NULL,
    is_maker BOOLEAN NOT NULL, PRIMARY KEY (identifier, trade_id)
);
CREATE INDEX ix_trades_market_ts ON trades (market, ts_ms);
CREATE TABLE candles (
    exchange VARCHAR NOT NULL, market VARCHAR NOT NULL, timeframe VARCHAR NOT NULL, ts_s INTEGER NOT NULL,
    open TEXT NOT NULL, high TEXT NOT NULL, low TEXT NOT NULL, close TEXT NOT NULL, volume TEXT NOT NULL,
    PRIMARY KEY (exchange, market, timeframe, ts_s)
);
INSERT INTO orders VALUES ('old-1', 'uuid-9', 'KRW-BTC', 'bid', 'limit', '50000000', '0.00100000', 'wait',
    '0.0005', '25000.0', '12.5', 'entry', 'ema', '', 100, 200);
INSERT INTO orders VALUES ('old-2', NULL, 'KRW-ETH', 'bid', 'price', '10000', NULL, 'done',
    '0.003', '9999.9', '5', 'entry', 'ema', '', 300, 400);
INSERT INTO trades VALUES ('old-1', 't-1', 'KRW-BTC', 'bid', '50000000', '0.0005', '12.5', 150, 0);
INSERT INTO candles VALUES ('upbit', 'KRW-BTC', '1m', 60, '1.10', '2', '1', '1.5', '10');
"""


def _build_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_DDL)
    conn.close()
    path.chmod(0o644)


def _shape(path: Path) -> dict[str, object]:
    """Tables with their columns (name, type, not null, pk) and index names."""
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        shape: dict[str, object] = {}
        for name in tables:
            columns = sorted((c[1], c[2], c[3], c[5]) for c in conn.execute(f"PRAGMA table_info({name})"))
            indexes = sorted(i[1] for i in conn.execute(f"PRAGMA index_list({name})") if not i[1].startswith("sqlite_"))
            shape[name] = (columns, indexes)
    return shape


async def test_v1_file_is_upgraded_in_place_with_data_kept(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    _build_v1(old)
    repo = await SqliteRepository.open(old)
    assert await repo.schema_version() == SCHEMA_VERSION
    (open_order,) = await repo.load_open_orders(mode="live")  # old rows were live orders
    assert open_order.identifier == "old-1" and open_order.state is OrderState.WAIT
    assert open_order.volume is not None and str(open_order.volume) == "0.00100000"
    assert [o.identifier for o in await repo.load_orders()] == ["old-1", "old-2"]
    assert [f.trade_id for f in await repo.load_fills("old-1")] == ["t-1"]
    assert await repo.load_candles("upbit", "KRW-BTC", "1m") == [
        (60, Decimal("1.10"), Decimal("2"), Decimal("1"), Decimal("1.5"), Decimal("10"))
    ]
    # new columns and tables work at once
    await repo.save_order(open_order, mode="backtest", run_id=3)
    assert [o.identifier for o in await repo.load_orders(run_id=3)] == ["old-1"]
    assert await repo.save_backtest_run({"created_ms": 1, "strategy": "s"}, [], [(60, 1.0, 0.0)]) == 1
    await repo.close()
    assert old.stat().st_mode & 0o777 == 0o600

    fresh = tmp_path / "fresh.sqlite"
    await (await SqliteRepository.open(fresh)).close()
    assert _shape(old) == _shape(fresh)


async def test_reopening_an_upgraded_file_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _build_v1(path)
    await (await SqliteRepository.open(path)).close()
    before = _shape(path)
    repo = await SqliteRepository.open(path)
    assert len(await repo.load_orders()) == 2
    await repo.close()
    assert _shape(path) == before


def test_the_order_journal_upgrades_too(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    _build_v1(path)
    with SqliteOrderJournal(path) as journal:
        assert [o.identifier for o in journal.load_open_orders()] == ["old-1"]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_meta").fetchone() == (SCHEMA_VERSION,)


async def test_a_failing_step_leaves_the_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.sqlite"
    _build_v1(path)
    before = _shape(path)

    def half_done(conn: Connection) -> None:
        conn.exec_driver_sql("ALTER TABLE orders ADD COLUMN run_id INTEGER")
        conn.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
        raise RuntimeError("disk on fire")

    steps = (UpgradeStep(1, "breaks halfway", half_done), *schema_module.UPGRADE_STEPS[1:])
    monkeypatch.setattr(schema_module, "UPGRADE_STEPS", steps)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await SqliteRepository.open(path)
    assert _shape(path) == before  # the ALTER TABLEs were rolled back with the rest
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_meta").fetchone() == (1,)


async def test_a_newer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    _build_v1(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_meta SET version = ?", (SCHEMA_VERSION + 5,))
    with pytest.raises(SchemaVersionError, match="newer"):
        await SqliteRepository.open(path)


def test_a_v3_file_gains_exit_fills_and_old_trades_read_as_one_fill(tmp_path: Path) -> None:
    """Version 4 stores how many sells closed a round trip; trades stored before read back as one."""
    fresh = tmp_path / "fresh.sqlite"
    SqliteOrderJournal(fresh).close()
    path = tmp_path / "v3.sqlite"
    SqliteOrderJournal(path).close()
    with sqlite3.connect(path) as conn:  # back to the version-3 shape, with a trade stored then
        for table in ("closed_trades", "backtest_trades"):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN exit_fills")
        conn.execute("UPDATE schema_meta SET version = 3")
        conn.execute(
            "INSERT INTO closed_trades (market, strategy, entry_ms, exit_ms, volume, entry_price, exit_price, pnl, "
            "fees, exit_reason) VALUES ('KRW-BTC', 'breakout', 1, 2, '0.1', '100', '101', '0.1', '0.01', 'stop')"
        )
    with SqliteOrderJournal(path) as journal:
        (trade,) = journal.load_closed_trades(5)
    assert trade.exit_fills == 1 and trade.exit_reason == "stop"
    assert _shape(path) == _shape(fresh)
