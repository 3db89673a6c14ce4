"""The command line as a trader uses it: demo, backtest, data, and clear errors (exit code 2)."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tradetui.cli import main

REPO = Path(__file__).resolve().parents[3]


def _run(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradetui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )


def test_version() -> None:
    out = _run("--version")
    assert out.returncode == 0 and out.stdout.startswith("tradetui ")


def test_headless_demo_trades_and_stops_cleanly(tmp_path: Path) -> None:
    out = _run("--no-ui", "--speed", "500", "--max-bars", "240", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "fill " in out.stderr
    assert "engine stopped" in out.stderr
    assert (tmp_path / "sessions" / "demo.db").exists()
    assert (tmp_path / "sessions" / "demo.db").stat().st_mode & 0o777 == 0o600
    assert out.stdout == ""  # stdout is kept for machine output


def test_default_demo_fills_within_a_minute_of_candles(tmp_path: Path) -> None:
    """At the default speed of one candle a second, the first fill comes within 60 candles."""
    from tradetui.commands.run import build_session
    from tradetui.config import demo_config
    from tradetui.core.events import OrderFilled

    session = build_session(demo_config(), database=tmp_path / "t.db", speed=1000.0, max_bars=60, now_s=1_800_000_000)
    engine = session.handle.engine
    import asyncio

    asyncio.run(session.handle.run())
    session.journal.close()
    assert any(isinstance(e, OrderFilled) for e in engine.recent_events)


def test_sigint_cancels_orders_and_stores_state(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradetui", "--no-ui", "--speed", "20", "--data-dir", str(tmp_path)],
        cwd=REPO,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        seen = ""
        assert proc.stderr is not None
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            seen += line
            if "engine started" in line:
                break
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, seen + err
    assert "received SIGINT" in err and "state stored" in err and "engine stopped" in err


def test_backtest_twice_gives_identical_trades_and_stores_runs(btc_1m_file: Path, tmp_path: Path) -> None:
    runs = []
    for k in range(2):
        out = _run(
            "backtest",
            "--data",
            str(btc_1m_file),
            "--json",
            "--data-dir",
            str(tmp_path),
            "--export",
            str(tmp_path / f"exp{k}"),
        )
        assert out.returncode == 0, out.stderr
        runs.append(json.loads(out.stdout))
    assert runs[0]["metrics"] == runs[1]["metrics"]
    assert runs[0]["run"]["id"] == 1 and runs[1]["run"]["id"] == 2
    trades = [(tmp_path / f"exp{k}" / "trades.csv").read_text() for k in range(2)]
    assert trades[0] == trades[1] and trades[0].count("\n") > 2
    assert runs[0]["metrics"]["n_trades"] >= 1


def test_backtest_report_is_readable(btc_1m_file: Path, tmp_path: Path) -> None:
    out = _run(
        "backtest",
        "--data",
        str(btc_1m_file),
        "--data-dir",
        str(tmp_path),
        "--from",
        "2025-09-01",
        "--to",
        "2025-09-20",
        "--fee",
        "0.0005",
        "--slippage-bps",
        "3",
        "--cash",
        "5000000",
    )
    assert out.returncode == 0, out.stderr
    for label in ("Total return", "Max drawdown", "Sharpe", "Win rate", "Equity", "stored as run #1"):
        assert label in out.stdout


def test_backtest_with_the_sample_config(btc_1m_file: Path, tmp_path: Path) -> None:
    out = _run("backtest", "--config", "sample_configs/backtest.toml", "--json", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["run"]["markets"] == ["KRW-BTC"]


def _one_line_error(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, out.stderr
    return lines[0]


def test_invalid_config_is_one_clear_line(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[risk]\nmax_open_positons = 2\n", encoding="utf-8")
    line = _one_line_error(_run("--no-ui", "--config", str(cfg)))
    assert "unknown key 'risk.max_open_positons'" in line and "max_open_positions" in line


def test_unknown_strategy_is_one_clear_line(btc_1m_file: Path) -> None:
    line = _one_line_error(_run("backtest", "--data", str(btc_1m_file), "--strategy", "moonshot", "--no-store"))
    assert "unknown strategy 'moonshot'" in line and "breakout" in line


def test_missing_csv_is_one_clear_line(tmp_path: Path) -> None:
    line = _one_line_error(_run("backtest", "--data", str(tmp_path / "nope.csv"), "--no-store"))
    assert "nope.csv" in line


def test_malformed_csv_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "upbit_KRW-BTC_1m_20250101_20250102.csv.gz"
    with gzip.open(bad, "wt") as fh:
        fh.write("ts,open,high,low,close,volume\n2025-01-01T00:00:00Z,1,2,0.5,1.5,3\n2025-01-01T00:01:00Z,1,x,1,1,1\n")
    line = _one_line_error(_run("backtest", "--data", str(bad), "--no-store"))
    assert bad.name in line and "3" in line


def test_live_config_needs_the_live_flag() -> None:
    line = _one_line_error(_run("--no-ui", "--config", "sample_configs/upbit-live.toml"))
    assert "--live" in line


def test_bad_cli_values_exit_2() -> None:
    out = _run("--no-ui", "--speed", "-1")
    assert out.returncode == 2 and "must be greater than 0" in out.stderr
    line = _one_line_error(_run("backtest", "--data", "x.csv", "--fee", "abc", "--no-store"))
    assert "--fee" in line


def test_data_import_and_check(shared_data: Path, tmp_path: Path) -> None:
    f = shared_data / "upbit_KRW-STRK_5m_20210625_20210726.csv.gz"
    out = _run("data", "import", str(f), "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "imported 8,999 5m candles of KRW-STRK" in out.stdout
    out = _run("data", "check", "--market", "KRW-STRK", "--timeframe", "5m", "--json", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["rows"] == 8999 and report["gap_count"] == 48 and report["missing_bars"] == 96
    out = _run("data", "check", str(f))
    assert out.returncode == 0 and "48 gaps" in out.stdout


def test_strategies_listing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["strategies"]) == 0
    assert "lookback" in capsys.readouterr().out


def test_backtest_rolls_candles_up_to_the_strategy_timeframe(btc_1m_file: Path) -> None:
    out = _run("backtest", "--data", str(btc_1m_file), "--param", "timeframe=15m", "--json", "--no-store")
    assert out.returncode == 0, out.stderr
    run = json.loads(out.stdout)["run"]
    assert 3_100 < run["bars"] < 3_200  # 47,597 one-minute candles in 15-minute buckets


def test_backtest_refuses_a_strategy_finer_than_the_candles(shared_data: Path) -> None:
    hourly = shared_data / "upbit_KRW-ETH_60m_20220101_20250929.csv.gz"
    line = _one_line_error(_run("backtest", "--data", str(hourly), "--param", "timeframe=5m", "--no-store"))
    assert "finer than the 60m candles" in line


def test_backtest_portfolio_of_two_real_markets(shared_data: Path, tmp_path: Path) -> None:
    eth = shared_data / "upbit_KRW-ETH_1m_20250901_20251004.csv.gz"
    xrp = shared_data / "upbit_KRW-XRP_1m_20250901_20251004.csv.gz"
    out = _run("backtest", "--data", str(eth), "--data", str(xrp), "--json", "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["run"]["markets"] == ["KRW-ETH", "KRW-XRP"]
    assert result["run"]["bars"] == 47_598 + 47_599
    assert result["metrics"]["n_trades"] > 0


def test_live_without_keys_is_refused(tmp_path: Path) -> None:
    env = {
        "TRADETUI_UPBIT_ACCESS_KEY": "",
        "TRADETUI_UPBIT_SECRET_KEY": "",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    line = _one_line_error(_run("--no-ui", "--config", "sample_configs/upbit-live.toml", "--live", env=env))
    assert "live trading needs upbit API keys" in line and "tradetui keys set upbit" in line
