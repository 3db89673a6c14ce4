"""Output piped into a reader that stops early (`tradetui backtest --json ... | head`) ends
quietly: no BrokenPipeError traceback or "Exception ignored" on stderr (seen before)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from candle_csv import write_candles_csv  # tests/support/candle_csv.py

from tradetui.candles.synthetic import generate_market


@pytest.fixture
def candles(tmp_path: Path) -> Path:
    series = generate_market("KRW-BTC", bars=1_500, start_s=1_735_689_600, seed=3)
    path = tmp_path / "upbit_KRW-BTC_1m_20250101_20250102.csv"
    write_candles_csv(series, path)
    return path


def _into_a_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        return subprocess.run(
            [sys.executable, "-m", "tradetui", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={**os.environ, "COLUMNS": "100"},
        )
    finally:
        os.close(write_end)


def test_a_json_report_into_a_reader_that_went_away_ends_quietly(candles: Path) -> None:
    proc = _into_a_closed_pipe("backtest", "--data", str(candles), "--json", "--no-store")
    assert proc.stderr == "", proc.stderr
    assert proc.returncode == 141  # what a shell reports for a writer stopped by SIGPIPE


@pytest.mark.parametrize("args", [["strategies"], ["--help"]], ids=["strategies", "help"])
def test_tables_and_help_into_a_reader_that_went_away_end_quietly(args: list[str]) -> None:
    proc = _into_a_closed_pipe(*args)
    assert proc.stderr == "", proc.stderr
    assert proc.returncode in (0, 1, 141), proc.returncode  # rich ends a broken pipe with 1
