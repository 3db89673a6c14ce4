"""Stored backtest runs (`backtest list`, `backtest show N`), backtests on the candle store, and
where a session's records go (one database per kind of run)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from candle_csv import write_candles_csv  # tests/support/candle_csv.py

from tradetui.candles.synthetic import generate_market
from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.types import Side
from tradetui.storage.journal import SqliteOrderJournal

REPO = Path(__file__).resolve().parents[3]
START_S = 1_735_689_600  # 2025-01-01 00:00 UTC


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradetui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "120"},
    )


def _one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    return lines[0]


@pytest.fixture
def candles(tmp_path: Path) -> Path:
    """Four days of synthetic KRW-BTC minutes (the breakout trades on them)."""
    series = generate_market("KRW-BTC", bars=4 * 1440, start_s=START_S, seed=3)
    path = tmp_path / "upbit_KRW-BTC_1m_20250101_20250105.csv"
    write_candles_csv(series, path)
    return path


def test_stored_runs_are_listed_and_shown(candles: Path, tmp_path: Path) -> None:
    d = str(tmp_path / "data")
    first = _run("backtest", "--data", str(candles), "--json", "--data-dir", d)
    assert first.returncode == 0, first.stderr
    run = json.loads(first.stdout)
    second = _run("backtest", "--data", str(candles), "--param", "lookback=30", "--json", "--data-dir", d)
    assert second.returncode == 0, second.stderr

    listed = _run("backtest", "list", "--json", "--data-dir", d)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)["runs"]
    assert [r["id"] for r in rows] == [2, 1]  # newest first
    one = rows[1]
    assert one["strategy"] == "breakout" and one["markets"] == ["KRW-BTC"] and one["timeframe"] == "1m"
    assert one["trades"] == run["metrics"]["n_trades"] > 0
    assert one["return_pct"] == run["metrics"]["total_return_pct"]
    assert one["max_drawdown_pct"] == run["metrics"]["max_drawdown_pct"]
    assert one["start"].startswith("2025-01-01") and one["created_kst"]

    text = _run("backtest", "list", "--data-dir", d)
    assert text.returncode == 0, text.stderr
    for word in ("id", "created (KST)", "strategy", "markets", "period", "return", "drawdown", "trades", "KRW-BTC"):
        assert word in text.stdout, (word, text.stdout)

    shown = _run("backtest", "show", "1", "--data-dir", d)
    assert shown.returncode == 0, shown.stderr
    for label in ("Backtest run #1", "Total return", "Max drawdown", "Sharpe", "Win rate", "Equity", "KRW-BTC"):
        assert label in shown.stdout, (label, shown.stdout[:2000])
    as_json = json.loads(_run("backtest", "show", "1", "--json", "--data-dir", d).stdout)
    assert as_json["run"]["id"] == 1 and as_json["metrics"] == run["metrics"]
    assert len(as_json["trades"]) == run["metrics"]["n_trades"]


def test_an_unknown_run_is_one_line(candles: Path, tmp_path: Path) -> None:
    d = str(tmp_path / "data")
    line = _one_line_error(_run("backtest", "show", "7", "--data-dir", d))
    assert "no stored backtest run #7" in line and "backtest list" in line
    line = _one_line_error(_run("backtest", "show", "--data-dir", d))
    assert "show" in line and "id" in line
    line = _one_line_error(_run("backtest", "show", "seven", "--data-dir", d))
    assert "seven" in line
    empty = _run("backtest", "list", "--data-dir", d)
    assert empty.returncode == 0 and "no stored backtest runs" in empty.stdout


def test_the_help_names_list_and_show() -> None:
    out = _run("backtest", "--help")
    assert out.returncode == 0
    assert "list" in out.stdout and "show" in out.stdout and "--data" in out.stdout and "candle store" in out.stdout


def test_backtest_without_data_runs_on_the_candle_store(candles: Path, tmp_path: Path) -> None:
    d = str(tmp_path / "data")
    imported = _run("data", "import", str(candles), "--data-dir", d)
    assert imported.returncode == 0, imported.stderr
    from_file = json.loads(_run("backtest", "--data", str(candles), "--json", "--no-store").stdout)

    out = _run("backtest", "--market", "KRW-BTC", "--json", "--data-dir", d)
    assert out.returncode == 0, out.stderr
    stored = json.loads(out.stdout)
    assert stored["run"]["markets"] == ["KRW-BTC"] and stored["run"]["bars"] == from_file["run"]["bars"]
    assert stored["metrics"] == from_file["metrics"]  # the same candles, the same run

    window = _run(
        "backtest", "--market", "KRW-BTC", "--timeframe", "1m", "--from", "2025-01-02", "--to", "2025-01-03",
        "--json", "--no-store", "--data-dir", d,
    )  # fmt: skip
    assert window.returncode == 0, window.stderr
    assert json.loads(window.stdout)["run"]["bars"] == 1440


def test_a_series_missing_from_the_store_is_one_line_listing_what_it_holds(candles: Path, tmp_path: Path) -> None:
    d = str(tmp_path / "data")
    line = _one_line_error(_run("backtest", "--market", "KRW-ETH", "--no-store", "--data-dir", d))
    assert "KRW-ETH" in line and "empty" in line and "data import" in line and "data fetch" in line
    assert _run("data", "import", str(candles), "--data-dir", d).returncode == 0
    line = _one_line_error(_run("backtest", "--market", "KRW-ETH", "--no-store", "--data-dir", d))
    assert "KRW-ETH" in line and "upbit KRW-BTC 1m" in line and "data fetch" in line
    line = _one_line_error(_run("backtest", "--market", "KRW-BTC", "--timeframe", "5m", "--no-store", "--data-dir", d))
    assert "5m" in line and "KRW-BTC 1m" in line
    line = _one_line_error(
        _run("backtest", "--market", "KRW-BTC", "--from", "2024-01-01", "--to", "2024-02-01", "--no-store",
             "--data-dir", d)
    )  # fmt: skip
    assert "2025-01-01" in line  # what the store covers


def _tables(database: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: conn.execute(f"SELECT COUNT(*) FROM {n}").fetchone()[0] for n in names}
    finally:
        conn.close()


def test_the_demo_keeps_its_records_in_its_own_database(tmp_path: Path, candles: Path) -> None:
    out = _run("--no-ui", "--speed", "500", "--max-bars", "240", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    session = tmp_path / "sessions" / "demo.db"
    assert session.exists() and session.stat().st_mode & 0o777 == 0o600
    assert _tables(session)["orders"] > 0
    research = tmp_path / "tradetui.db"
    assert not research.exists() or _tables(research).get("orders", 0) == 0

    config = tmp_path / "replay.toml"
    config.write_text(f'[feed]\nsource = "file"\nfile = "{candles}"\nmarkets = ["KRW-BTC"]\n', encoding="utf-8")
    out = _run("--no-ui", "--config", str(config), "--speed", "2000", "--max-bars", "900", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    replay = _tables(tmp_path / "sessions" / "replay.db")
    assert replay["orders"] > 0
    demo = sqlite3.connect(session)
    try:
        markets = {m for (m,) in demo.execute("SELECT DISTINCT market FROM orders")}
    finally:
        demo.close()
    assert markets == {"KRW-DEMO"}  # the replay's KRW-BTC orders went to the replay's database


def test_open_orders_in_an_old_shared_database_are_warned_about_once(tmp_path: Path) -> None:
    legacy = tmp_path / "tradetui.db"
    order = Order(
        "live-old-1", "KRW-BTC", Side.BID, OrdType.LIMIT, Decimal("100000000"), Decimal("0.001"), 1_700_000_000_000
    )
    with SqliteOrderJournal(legacy, mode="live") as journal:
        journal.record(order.to_state(OrderState.WAIT, 1_700_000_000_100))
    out = _run("--no-ui", "--speed", "500", "--max-bars", "30", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    said = " ".join(out.stderr.split())  # log lines wrap at the terminal width
    assert said.count(f"{legacy} holds 1 open live order") == 1, out.stderr
    clean = tmp_path / "clean"
    out = _run("--no-ui", "--speed", "500", "--max-bars", "30", "--data-dir", str(clean))
    assert out.returncode == 0 and "tradetui.db" not in out.stderr
