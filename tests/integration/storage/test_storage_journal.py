"""SqliteOrderJournal: the synchronous intent log."""

from __future__ import annotations

import os
import sqlite3
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.ports import OrderJournal
from tradetui.core.types import Side
from tradetui.storage import SqliteOrderJournal, SqliteRepository

D = Decimal


def _order(ident: str = "tt-18c-0001") -> Order:
    return Order(ident, "KRW-BTC", Side.ASK, OrdType.MARKET, None, D("0.00050000"), 1000, purpose="stop")


def test_each_record_is_committed_and_visible_to_another_connection(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    journal: OrderJournal = SqliteOrderJournal(path, mode="live")
    order = _order()
    journal.record(order)
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT state, volume, mode FROM orders").fetchall() == [("intent", "0.00050000", "live")]
    journal.record(order.to_state(OrderState.UNKNOWN, 1001, reason="timeout"))
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT state, reason FROM orders").fetchall() == [("unknown", "timeout")]
    fill = Fill(order.identifier, "t-1", "KRW-BTC", Side.ASK, D("50000000"), D("0.0005"), D("12.5"), 1002)
    journal.record_fill(fill)
    journal.record_fill(fill)
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT trade_id, price, fee, is_maker FROM trades").fetchall() == [
            ("t-1", "50000000", "12.5", 0)
        ]
    assert isinstance(journal, SqliteOrderJournal)
    journal.close()


async def test_repository_reads_what_the_journal_wrote(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    order = _order().to_state(OrderState.WAIT, 1500)
    with SqliteOrderJournal(path, mode="paper", run_id=None) as journal:
        journal.record(order)
        assert journal.load_open_orders() == [order]
    repo = await SqliteRepository.open(path)
    assert await repo.load_open_orders(mode="paper") == [order]
    assert await repo.load_open_orders(mode="live") == []
    await repo.close()


def test_file_rules_match_the_repository(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "j.sqlite"
    with SqliteOrderJournal(path) as journal:
        journal.record(_order())
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.with_name("j.sqlite-wal").stat().st_mode) == 0o600
        with sqlite3.connect(path) as other:
            assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    loose = tmp_path / "loose.sqlite"
    loose.touch()
    os.chmod(loose, 0o666)
    SqliteOrderJournal(loose).close()
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600


def test_a_failed_write_raises_and_leaves_no_transaction_open(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    journal = SqliteOrderJournal(path)
    journal.record(_order("a"))
    with sqlite3.connect(path) as other:
        other.execute("CREATE TRIGGER no_more BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'full'); END")
    with pytest.raises(sqlite3.IntegrityError, match="full"):
        journal.record(_order("b"))
    with sqlite3.connect(path) as other:
        other.execute("DROP TRIGGER no_more")  # needs the write lock: the journal must not hold it
    journal.record(_order("a").to_state(OrderState.CANCEL, 5))  # the connection is still usable
    assert journal.load_open_orders() == []
    journal.close()
    with pytest.raises(RuntimeError, match="closed"):
        journal.record(_order("c"))


def test_an_invalid_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        SqliteOrderJournal(tmp_path / "j.sqlite", mode="demo")


def test_durability_chooses_the_fsync_policy(tmp_path: Path) -> None:
    from tradetui.config import StorageConfig

    with SqliteOrderJournal(tmp_path / "p.sqlite", durability="process") as journal:
        assert journal._connection().execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    with SqliteOrderJournal(tmp_path / "f.sqlite", durability="power") as journal:
        assert journal._connection().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    with pytest.raises(ValueError, match="durability"):
        SqliteOrderJournal(tmp_path / "x.sqlite", durability="sometimes")
    auto = StorageConfig()
    assert auto.journal_durability(live=True) == "power" and auto.journal_durability(live=False) == "process"
    assert StorageConfig(durability="power").journal_durability(live=False) == "power"


def test_positions_are_replaced_whole_and_read_back_exactly(tmp_path: Path) -> None:
    """The one position store: what save_positions wrote last is what load_positions reads, with
    exact decimals and the exit state as JSON (Decimals as text); a market no longer held goes."""
    from tradetui.storage.records import StoredPosition

    path = tmp_path / "j.sqlite"
    btc = StoredPosition("KRW-BTC", D("0.00100000"), D("49000000.5"), 10, "breakout", 5, {"stop_level": 47000000.0})
    eth = StoredPosition("KRW-ETH", D("1"), D("3000000"), 11, "breakout", 6, {"stop": D("2900000")})
    with SqliteOrderJournal(path, mode="live") as journal:
        assert journal.load_positions() == []
        journal.save_positions([eth, btc])
        loaded = journal.load_positions()
    assert [p.market for p in loaded] == ["KRW-BTC", "KRW-ETH"]
    assert loaded[0] == btc
    assert str(loaded[0].volume) == "0.00100000"
    assert loaded[1].stop_state == {"stop": "2900000"}
    moved = StoredPosition("KRW-BTC", D("0.0005"), D("49000000.5"), 12, "breakout", 5, {"stop_level": 48000000.0})
    with SqliteOrderJournal(path, mode="live") as journal:
        journal.save_positions([moved])
        assert journal.load_positions() == [moved]
