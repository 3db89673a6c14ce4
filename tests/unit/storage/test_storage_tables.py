"""Row classes and ``DecimalText``: every row type goes into SQLite and comes back equal."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import URL, Connection, Engine, create_engine, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.schema import CreateTable
from sqlmodel import SQLModel

from tradetui.storage.schema import prepare_schema
from tradetui.storage.sqlite_file import install_sqlite_hooks
from tradetui.storage.tables import (
    ALL_ROWS,
    AccountSnapshotRow,
    AdvisorCallRow,
    BacktestEquityRow,
    BacktestRunRow,
    BacktestTradeRow,
    CandleRow,
    ClosedTradeRow,
    ConfigHistoryRow,
    DailyPerformanceRow,
    DecimalText,
    FillRow,
    MarketRow,
    OrderRow,
    PositionRow,
    RiskEventRow,
    SchemaMetaRow,
    SignalRow,
    StrategyStateRow,
    decimal_to_text,
    table_of,
    text_to_decimal,
)
from tradetui.storage.upsert import row_values

D = Decimal

SAMPLE_ROWS: list[SQLModel] = [
    CandleRow(exchange="upbit", market="KRW-BTC", timeframe="1m", ts_s=1_700_000_040,
              open=D("50000000"), high=D("50100000.0"), low=D("49990000"), close=D("50050000"), volume=D("1.23456789")),
    MarketRow(exchange="upbit", market="KRW-ETH", korean_name="이더리움", english_name="Ethereum", is_warning=True,
              is_active=False, updated_ms=5),
    SignalRow(id=3, ts_ms=10, market="KRW-BTC", strategy="ema_cross", action="enter", price=D("123.4500"),
              note="cross", mode="paper", run_id=None),
    OrderRow(identifier="tt-1-a", exchange_id="uuid-1", market="KRW-BTC", side="bid", ord_type="limit",
             price=D("50000000"), volume=D("0.00010000"), state="wait", executed_volume=D("0.00005"),
             executed_funds=D("2500.0"), paid_fee=D("1.25"), purpose="entry", strategy="s", reason="r",
             created_ms=1, updated_ms=2, mode="live", run_id=7),
    FillRow(identifier="tt-1-a", trade_id="t-9", market="KRW-BTC", side="bid", price=D("50000000"),
            volume=D("0.00005"), fee=D("1.25"), ts_ms=2, is_maker=True),
    PositionRow(market="KRW-BTC", volume=D("0.5"), avg_price=D("49000000.5"), strategy="s",
                stop_json='{"stop": "48000000"}', opened_ms=1, updated_ms=2),
    AccountSnapshotRow(id=1, ts_ms=4, exchange="upbit", mode="live", currency="KRW", free=D("1000000.0000"),
                       locked=D("0")),
    StrategyStateRow(strategy="s", market="KRW-BTC", state_json='{"n": 1}', enabled=False, updated_ms=9),
    RiskEventRow(id=2, ts_ms=5, kind="risk", rule="daily_loss", market="", severity=40, message="stop for today"),
    ConfigHistoryRow(id=1, ts_ms=6, config_text='mode = "paper"\n', changed_by="cli", note="start", diff=""),
    BacktestRunRow(id=1, created_ms=1, strategy="s", markets_json='["KRW-BTC"]', timeframe="60m", start_ms=0,
                   end_ms=99, params_json="{}", metrics_json='{"sharpe": 1.5}', config_text="x"),
    BacktestTradeRow(id=1, run_id=1, seq=0, market="KRW-BTC", strategy="s", entry_ms=1, exit_ms=2, volume=D("1"),
                     entry_price=D("100"), exit_price=D("110"), pnl=D("-9.95"), fees=D("0.05"), exit_reason="stop"),
    BacktestEquityRow(run_id=1, ts_s=60, equity=1_000_000.5, drawdown=-0.25),
    DailyPerformanceRow(day="2024-03-01", mode="paper", start_equity=D("1000000"), end_equity=D("1010000.5"),
                        pnl=D("10000.5"), trades=3, wins=2, updated_ms=8),
    AdvisorCallRow(id=1, ts_ms=7, provider="none", model="m", market="KRW-BTC", prompt="p", response="r",
                   decision="hold", input_tokens=1, output_tokens=2, latency_ms=3, error=""),
    ClosedTradeRow(id=4, market="KRW-BTC", strategy="s", entry_ms=1, exit_ms=2, volume=D("0.12345678"),
                   entry_price=D("100"), exit_price=D("110.5"), pnl=D("-0.10"), fees=D("0.05"), exit_reason="trailing"),
]  # fmt: skip


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = create_engine(URL.create("sqlite", database=str(tmp_path / "t.sqlite")))
    install_sqlite_hooks(eng)
    with eng.begin() as conn:
        prepare_schema(conn)
    yield eng
    eng.dispose()


def _dump(row: SQLModel) -> dict[str, Any]:
    return row.model_dump()


def test_every_table_has_a_sample_row() -> None:
    covered = {type(row) for row in SAMPLE_ROWS} | {SchemaMetaRow}
    assert covered == set(ALL_ROWS)


@pytest.mark.parametrize("row", SAMPLE_ROWS, ids=lambda r: type(r).__name__)
def test_row_round_trips_through_sqlite(engine: Engine, row: SQLModel) -> None:
    table = table_of(type(row))
    with engine.begin() as conn:
        if isinstance(row, BacktestTradeRow | BacktestEquityRow):
            conn.execute(table_of(BacktestRunRow).insert(), row_values(SAMPLE_ROWS[10]))
        conn.execute(table.insert(), row_values(row))
    with engine.connect() as conn:
        (mapping,) = conn.execute(select(table)).mappings().all()
        loaded = type(row)(**mapping)
    assert _dump(loaded) == _dump(row)
    for name, value in _dump(row).items():
        if isinstance(value, Decimal):
            assert str(getattr(loaded, name)) == str(value), name  # same digits and exponent


def test_decimal_columns_are_text_in_the_schema() -> None:
    ddl = str(CreateTable(table_of(OrderRow)).compile(dialect=sqlite.dialect()))
    assert "price TEXT" in ddl and "executed_funds TEXT NOT NULL" in ddl


@pytest.mark.parametrize("text", ["0", "-0", "1.10", "1E+3", "0.00000001", "-123456789.123456789", "5e-10"])
def test_decimal_text_keeps_digits_and_exponent(text: str) -> None:
    stored = decimal_to_text(Decimal(text))
    back = text_to_decimal(stored)
    assert str(back) == str(Decimal(text))
    assert back.as_tuple() == Decimal(text).as_tuple()


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_text_round_trip_is_exact(value: Decimal) -> None:
    back = text_to_decimal(decimal_to_text(value))
    assert back.as_tuple() == value.as_tuple()


def test_decimal_text_accepts_str_and_int() -> None:
    kind = DecimalText()
    dialect = sqlite.dialect()
    assert kind.process_bind_param("1.50", dialect) == "1.50"
    assert kind.process_bind_param(7, dialect) == "7"
    assert kind.process_bind_param(None, dialect) is None
    assert kind.process_result_value("2.500", dialect) == Decimal("2.500")
    assert kind.process_literal_param(Decimal("3.0"), dialect) == "'3.0'"


@pytest.mark.parametrize("bad", [1.5, float("nan"), True])
def test_decimal_text_refuses_floats_and_bools(bad: object) -> None:
    with pytest.raises(TypeError):
        decimal_to_text(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "abc", ""])
def test_decimal_text_refuses_non_numbers(bad: str) -> None:
    with pytest.raises(ValueError):
        decimal_to_text(bad)
    with pytest.raises(ValueError):
        text_to_decimal(bad)


def test_a_float_never_reaches_the_database(engine: Engine) -> None:
    row = row_values(SAMPLE_ROWS[0]) | {"open": 1.1}
    with pytest.raises(StatementError), engine.begin() as conn:
        conn.execute(table_of(CandleRow).insert(), row)


def test_corrupt_stored_decimal_is_reported(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(table_of(PositionRow).insert(), row_values(SAMPLE_ROWS[5]))
        conn.exec_driver_sql("UPDATE positions SET volume = 'not a number'")
    with pytest.raises(ValueError, match="not a number"), engine.connect() as conn:
        conn.execute(select(table_of(PositionRow))).all()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(table_of(BacktestEquityRow).insert(), row_values(SAMPLE_ROWS[12]))


def _connection_pragma(conn: Connection, name: str) -> object:
    return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_every_connection_gets_wal_full_sync_and_foreign_keys(engine: Engine) -> None:
    with engine.connect() as conn:
        assert _connection_pragma(conn, "journal_mode") == "wal"
        assert _connection_pragma(conn, "synchronous") == 2  # FULL
        assert _connection_pragma(conn, "foreign_keys") == 1
