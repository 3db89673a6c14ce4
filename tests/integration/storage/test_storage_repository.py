"""SqliteRepository against real SQLite files in tmp_path."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from tradetui.core.events import EngineState, EngineStateChanged, RiskEvent, SignalRaised
from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.ports import Balance
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side
from tradetui.storage import (
    SCHEMA_VERSION,
    CandleRange,
    CandleSet,
    DailyPerformance,
    MemoryRepository,
    SqliteRepository,
)
from tradetui.storage.tables import AdvisorCallRow, MarketRow

D = Decimal


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _order(ident: str, created_ms: int, market: str = "KRW-BTC") -> Order:
    return Order(ident, market, Side.BID, OrdType.LIMIT, D("50000000.0"), D("0.00020000"), created_ms)


@pytest.fixture
async def repo(tmp_path: Path) -> AsyncIterator[SqliteRepository]:
    repository = await SqliteRepository.open(tmp_path / "data" / "tradetui.sqlite")
    yield repository
    await repository.close()


# --- the file ---------------------------------------------------------------------------------


async def test_new_file_is_private_including_wal(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "db.sqlite"
    repo = await SqliteRepository.open(path)
    await repo.save_order(_order("a", 1), mode="live")
    assert _mode(path) == 0o600
    wal = path.with_name(path.name + "-wal")
    assert wal.exists() and _mode(wal) == 0o600
    assert await repo.schema_version() == SCHEMA_VERSION
    await repo.close()


async def test_existing_loose_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    repo = await SqliteRepository.open(path)
    assert _mode(path) == 0o600
    await repo.close()


async def test_a_directory_in_the_way_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "db.sqlite").mkdir()
    with pytest.raises(ValueError, match="not a regular file"):
        await SqliteRepository.open(tmp_path / "db.sqlite")


async def test_wal_is_on(repo: SqliteRepository) -> None:
    assert repo.path is not None
    with sqlite3.connect(repo.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


# --- orders and fills (same behaviour as MemoryRepository) -------------------------------------


@pytest.fixture(params=["sqlite", "memory"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqliteRepository | MemoryRepository]:
    repository = await SqliteRepository.open(tmp_path / "x.sqlite") if request.param == "sqlite" else MemoryRepository()
    yield repository
    await repository.close()


async def test_save_order_overwrites_by_identifier(store: SqliteRepository | MemoryRepository) -> None:
    order = _order("tt-1", 10)
    await store.save_order(order, mode="live")
    accepted = order.to_state(OrderState.WAIT, 11)
    await store.save_order(accepted, mode="live")
    fill = Fill("tt-1", "t1", "KRW-BTC", Side.BID, D("50000000.0"), D("0.0002"), D("5.0"), 12)
    done = accepted.with_fill(fill).to_state(OrderState.DONE, 12)
    await store.save_order(done, mode="live")
    assert await store.load_orders() == [done]
    assert await store.load_order("tt-1") == done
    assert await store.load_open_orders() == []


async def test_open_orders_and_filters(store: SqliteRepository | MemoryRepository) -> None:
    states = [OrderState.INTENT, OrderState.UNKNOWN, OrderState.WAIT, OrderState.WATCH]
    for i, state in enumerate(states):
        await store.save_order(_order(f"open-{i}", i).to_state(state, i) if state is not OrderState.INTENT
                               else _order(f"open-{i}", i), mode="live")  # fmt: skip
    await store.save_order(_order("bt", 0).to_state(OrderState.WAIT, 1), mode="backtest", run_id=5)
    await store.save_order(_order("gone", 0).to_state(OrderState.CANCEL, 1), mode="live")
    await store.save_order(_order("eth", 9, "KRW-ETH").to_state(OrderState.REJECTED, 9), mode="paper")
    assert [o.identifier for o in await store.load_open_orders(mode="live")] == [f"open-{i}" for i in range(4)]
    assert {o.identifier for o in await store.load_open_orders()} == {f"open-{i}" for i in range(4)} | {"bt"}
    assert [o.identifier for o in await store.load_orders(run_id=5)] == ["bt"]
    assert [o.identifier for o in await store.load_orders(market="KRW-ETH")] == ["eth"]
    assert [o.identifier for o in await store.load_orders(mode="live", states=["cancel"])] == ["gone"]
    assert len(await store.load_orders(since_ms=3, limit=10)) == 2
    with pytest.raises(ValueError):
        await store.save_order(_order("bad", 1), mode="demo")


async def test_fills_are_idempotent(store: SqliteRepository | MemoryRepository) -> None:
    f1 = Fill("o1", "t1", "KRW-BTC", Side.BID, D("100.5"), D("0.25"), D("0.0125"), 20, is_maker=True)
    f2 = Fill("o1", "t2", "KRW-BTC", Side.BID, D("100.4"), D("0.75"), D("0.0376"), 21)
    f3 = Fill("o2", "t1", "KRW-BTC", Side.ASK, D("101"), D("1"), D("0.05"), 5)
    assert await store.save_fill(f1) is True
    assert await store.save_fill(f1) is False
    changed_copy = Fill("o1", "t1", "KRW-BTC", Side.BID, D("999"), D("9"), D("9"), 20)
    assert await store.save_fill(changed_copy) is False
    await store.save_fills([f2, f1, f3])
    assert await store.load_fills() == [f3, f1, f2]
    assert await store.load_fills("o1") == [f1, f2]


# --- candles ----------------------------------------------------------------------------------


async def test_candle_upsert_and_ranges(repo: SqliteRepository) -> None:
    rows = [(60 * i, D("100.10"), "101", "99.5", D("100.2"), "0.00012345") for i in range(10)]
    assert await repo.save_candles("upbit", "KRW-BTC", "1m", rows) == 10
    assert await repo.save_candles("upbit", "KRW-BTC", "1m", [(120, "1", "2", "0.5", "1.5", "7.000")]) == 1
    assert await repo.save_candles("upbit", "KRW-ETH", "1h", [(3600, "5", "5", "5", "5", "0")]) == 1
    loaded = await repo.load_candles("upbit", "KRW-BTC", "1m")
    assert len(loaded) == 10 and [c[0] for c in loaded] == [60 * i for i in range(10)]
    assert loaded[0] == (0, D("100.10"), D("101"), D("99.5"), D("100.2"), D("0.00012345"))
    assert str(loaded[0][1]) == "100.10"
    assert loaded[2] == (120, D("1"), D("2"), D("0.5"), D("1.5"), D("7.000"))  # replaced, not duplicated
    assert [c[0] for c in await repo.load_candles("upbit", "KRW-BTC", "1m", start_s=120, end_s=240)] == [120, 180, 240]
    assert [c[0] for c in await repo.load_candles("upbit", "KRW-BTC", "1m", end_s=60)] == [0, 60]
    assert await repo.load_candles("bithumb", "KRW-BTC", "1m") == []
    assert await repo.candle_range("upbit", "KRW-BTC", "1m") == CandleRange(0, 540, 10)
    assert await repo.candle_range("upbit", "KRW-ETH", "60m") == CandleRange(3600, 3600, 1)  # "1h" == "60m"
    assert await repo.candle_range("upbit", "KRW-XRP", "1m") is None
    assert await repo.list_candle_sets() == [
        CandleSet("upbit", "KRW-BTC", "1m", 10, 0, 540),
        CandleSet("upbit", "KRW-ETH", "60m", 1, 3600, 3600),
    ]


async def test_bad_candle_values_write_nothing(repo: SqliteRepository) -> None:
    good = [(60 * i, "1", "1", "1", "1", "1") for i in range(5)]
    with pytest.raises(TypeError):
        await repo.save_candles("upbit", "KRW-BTC", "1m", [*good, (300, 1.5, "1", "1", "1", "1")])  # type: ignore[list-item]
    with pytest.raises(ValueError):
        await repo.save_candles("upbit", "KRW-BTC", "1m", [*good, (300, "NaN", "1", "1", "1", "1")])
    with pytest.raises(ValueError):
        await repo.save_candles("upbit", "KRW-BTC", "7m", good)
    assert await repo.candle_range("upbit", "KRW-BTC", "1m") is None


async def test_bulk_candle_upsert(repo: SqliteRepository) -> None:
    """Bulk write in chunks (its speed is a benchmark figure, not a test assertion)."""
    count = 60_000
    rows = [(60 * i, "50000000", "50010000", "49990000.5", D("50005000"), "0.12345678") for i in range(count)]
    assert await repo.save_candles("upbit", "KRW-BTC", "1m", rows) == count
    assert (await repo.candle_range("upbit", "KRW-BTC", "1m")) == CandleRange(0, 60 * (count - 1), count)


# --- the rest of the tables -------------------------------------------------------------------


async def test_strategy_state(repo: SqliteRepository) -> None:
    await repo.save_strategy_state("ema", "KRW-BTC", {"armed": True, "level": "101.5"}, enabled=True, updated_ms=1)
    await repo.save_strategy_state("ema", "KRW-BTC", {"armed": False}, enabled=False, updated_ms=2)
    await repo.save_strategy_state("rsi", "KRW-ETH", {}, enabled=True, updated_ms=3)
    (ema,) = await repo.load_strategy_state("ema")
    assert (ema.state, ema.enabled, ema.updated_ms) == ({"armed": False}, False, 2)
    assert [s.strategy for s in await repo.load_strategy_state()] == ["ema", "rsi"]


async def test_risk_events_and_signals(repo: SqliteRepository) -> None:
    await repo.save_risk_event(RiskEvent(10, "daily_loss", "limit hit", "KRW-BTC"))
    await repo.save_risk_event(EngineStateChanged(11, EngineState.RUNNING, EngineState.PAUSED, "user"))
    newest, oldest = await repo.load_risk_events()
    assert (newest.kind, newest.rule, newest.ts_ms) == ("engine_state", "PAUSED", 11)
    assert (oldest.kind, oldest.rule, oldest.message) == ("risk", "daily_loss", "limit hit")
    assert len(await repo.load_risk_events(since_ms=11)) == 1
    signal = SignalRaised(5, "KRW-BTC", "ema", "enter", D("100.50"), "x")
    await repo.save_signal(signal, mode="paper")
    assert await repo.load_signals(market="KRW-BTC") == [signal]


async def test_config_history_keeps_text_and_diff(repo: SqliteRepository) -> None:
    first = await repo.save_config_history('mode = "paper"\n', "first run", ts_ms=1, changed_by="cli")
    second = await repo.save_config_history('mode = "live"\n', "go live", ts_ms=2)
    assert second > first
    latest, earliest = await repo.load_config_history()
    assert latest.config_text == 'mode = "live"\n' and latest.note == "go live"
    assert '-mode = "paper"' in latest.diff and '+mode = "live"' in latest.diff
    assert earliest.changed_by == "cli" and '+mode = "paper"' in earliest.diff


async def test_backtest_run_round_trip_and_cascade(repo: SqliteRepository) -> None:
    trades = [
        ClosedTrade(
            "KRW-BTC", "ema", 1000, 5000, D("0.01"), D("50000000"), D("51000000"), D("9900.5"), D("99"), "tp", 2
        ),
        ClosedTrade("KRW-ETH", "ema", 2000, 6000, D("1.5"), D("3000000"), D("2900000"), D("-150300"), D("30"), "stop"),
    ]
    equity = [(60, 1_000_000.0, 0.0), (120, 1_009_900.5, 0.0), (180, 990_000.25, -0.0197)]
    summary = {"created_ms": 7, "strategy": "ema", "markets": ["KRW-BTC", "KRW-ETH"], "timeframe": "1m",
               "start_ms": 0, "end_ms": 180_000, "params": {"fast": 12}, "metrics": {"sharpe": 0.5},
               "config_text": "[strategy]\n"}  # fmt: skip
    run_id = await repo.save_backtest_run(summary, trades, equity)
    other = await repo.save_backtest_run({"created_ms": 8, "strategy": "rsi"}, [], [])
    run = await repo.load_backtest_run(run_id)
    assert run is not None
    assert run.trades == tuple(trades) and run.equity == tuple(equity)
    assert run.summary.markets == ("KRW-BTC", "KRW-ETH") and run.summary.metrics == {"sharpe": 0.5}
    assert [s.id for s in await repo.list_backtest_runs()] == [other, run_id]
    await repo.delete_backtest_run(run_id)
    assert await repo.load_backtest_run(run_id) is None
    assert repo.path is not None
    with sqlite3.connect(repo.path) as conn:
        assert conn.execute("SELECT count(*) FROM backtest_trades").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM backtest_equity").fetchone() == (0,)


async def test_backtest_run_is_all_or_nothing(repo: SqliteRepository) -> None:
    with pytest.raises(IntegrityError):
        await repo.save_backtest_run({"created_ms": 1, "strategy": "s"}, [], [(60, 1.0, 0.0), (60, 2.0, 0.0)])
    assert await repo.list_backtest_runs() == []  # the duplicate point rolled back the run row too


async def test_daily_performance_upsert(repo: SqliteRepository) -> None:
    day = DailyPerformance(date(2024, 3, 1), "live", D("1000000"), D("1005000"), D("5000"), 2, 1, 1)
    await repo.save_daily_performance(day)
    later = DailyPerformance(date(2024, 3, 1), "live", D("1000000"), D("1010000.5"), D("10000.5"), 3, 2, 2)
    await repo.save_daily_performance(later)
    await repo.save_daily_performance(DailyPerformance(date(2024, 3, 2), "paper", D("1"), D("1"), D("0"), 0, 0))
    assert await repo.load_daily_performance(mode="live") == [later]
    assert len(await repo.load_daily_performance(start=date(2024, 3, 2))) == 1
    assert len(await repo.load_daily_performance(end=date(2024, 3, 1))) == 1


async def test_markets_balances_and_advisor_calls(repo: SqliteRepository) -> None:
    await repo.save_markets([MarketRow(exchange="upbit", market="KRW-BTC", korean_name="비트코인", updated_ms=1)])
    await repo.save_markets([MarketRow(exchange="upbit", market="KRW-BTC", is_warning=True, updated_ms=2)])
    (market,) = await repo.load_markets("upbit")
    assert market.is_warning is True and market.updated_ms == 2
    await repo.save_account_snapshot("upbit", [Balance("KRW", D("100"), D("0"))], ts_ms=1, mode="live")
    latest = [Balance("KRW", D("50.5"), D("49.5")), Balance("BTC", D("0.001"), D("0"))]
    await repo.save_account_snapshot("upbit", latest, ts_ms=2, mode="live")
    assert await repo.load_account_snapshot("upbit") == (2, sorted(latest, key=lambda b: b.currency))
    assert await repo.load_account_snapshot("bithumb") is None
    call_id = await repo.save_advisor_call(AdvisorCallRow(ts_ms=1, provider="none", prompt="p"))
    assert call_id == 1


async def test_open_url_takes_any_async_url(tmp_path: Path) -> None:
    repo = await SqliteRepository.open_url(f"sqlite+aiosqlite:///{tmp_path / 'url.sqlite'}")
    assert repo.path is None and await repo.schema_version() == SCHEMA_VERSION
    await repo.save_order(_order("u", 1), mode="paper")
    assert [o.identifier for o in await repo.load_open_orders()] == ["u"]
    await repo.close()
