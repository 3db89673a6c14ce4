"""Hostile and broken files through the real command line: one clear line, never a traceback.

The corpus is data: ``tests/fixtures/hostile/candles/*/`` (one candle file a folder) and
``tests/fixtures/hostile/configs/*.toml``, each with a ``cases.toml`` that says what every
command must answer. Each (file, command) pair is one test case, run through
``tradetui.cli.main`` (the console script's entry), so an uncaught exception fails the case.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tradetui.cli import main

HOSTILE = Path(__file__).resolve().parents[2] / "fixtures" / "hostile"
CANDLES = HOSTILE / "candles"
CONFIGS = HOSTILE / "configs"
VALID_CSV = CANDLES / "valid" / "upbit_KRW-BTC_1m_20250901_20250901.csv"


@dataclass(frozen=True, slots=True)
class Case:
    kind: str  # "candles" or "configs"
    name: str
    command: str
    expect: dict[str, Any]
    source: str | None


def _cases(kind: str) -> list[Case]:
    table = tomllib.loads((HOSTILE / kind / "cases.toml").read_text(encoding="utf-8"))
    return [
        Case(kind, name, command, expect, entry.get("source"))
        for name, entry in table.items()
        for command, expect in entry.items()
        if command != "source"
    ]


ALL_CASES = _cases("candles") + _cases("configs")


def _corpus_file(case: Case, tmp_path: Path) -> Path:
    if case.source == "directory":
        return CANDLES / "valid"
    if case.source == "unreadable":
        if os.geteuid() == 0:  # root reads a mode-000 file; this one fails on read for everyone
            return Path("/proc/self/mem")
        blocked = tmp_path / ("blocked.toml" if case.kind == "configs" else VALID_CSV.name)
        shutil.copy(VALID_CSV, blocked)
        blocked.chmod(0)
        return blocked
    if case.kind == "configs":
        return CONFIGS / f"{case.name}.toml"
    (path,) = [p for p in (CANDLES / case.name).iterdir()]
    return path


def _argv(case: Case, path: Path, tmp_path: Path) -> list[str]:
    command, *extra = case.command.split()
    if case.kind == "configs":
        if command == "run":
            return ["--no-ui", "--config", str(path), "--data-dir", str(tmp_path), "--max-bars", "1", *extra]
        return ["backtest", "--config", str(path), "--data", str(VALID_CSV), "--no-store", *extra]
    if command == "backtest":
        return ["backtest", "--data", str(path), "--no-store", *extra]
    if command == "check":
        return ["data", "check", str(path), *extra]
    return ["data", "import", str(path), "--data-dir", str(tmp_path), *extra]


def _run_main(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse refusing an argument
        return int(exc.code or 0)


def test_every_corpus_file_has_its_expectations() -> None:
    folders = {p.name for p in CANDLES.iterdir() if p.is_dir()}
    described = {c.name for c in ALL_CASES if c.kind == "candles" and c.source is None}
    assert folders == described
    configs = {p.stem for p in CONFIGS.glob("*.toml") if p.name != "cases.toml"}
    assert configs == {c.name for c in ALL_CASES if c.kind == "configs" and c.source is None}
    for folder in folders:
        assert len(list((CANDLES / folder).iterdir())) == 1, folder
    for case in ALL_CASES:
        assert case.command.split()[0] in ("backtest", "check", "import", "run"), case
        assert set(case.expect) <= {"exit", "says", "warns", "reports"}, case


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{c.kind}-{c.name}-{c.command}" for c in ALL_CASES])
def test_hostile_input_gets_a_clear_answer(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _corpus_file(case, tmp_path)
    code = _run_main(_argv(case, path, tmp_path))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == case.expect["exit"], (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    if code == 2:
        assert len(lines) == 1, err
        (line,) = lines
        assert line.startswith("error: "), line
        for word in case.expect.get("says", []):
            assert word in line, (word, line)
        if case.kind == "candles":
            assert path.name in line, line  # the message names the file
        return
    assert all(line.startswith("warning: ") for line in lines), err
    for word in case.expect.get("warns", []):
        assert any(word in line for line in lines), (word, err)
    if not case.expect.get("warns"):
        assert not lines, err
    for word in case.expect.get("reports", []):
        assert word in out, (word, out)


@pytest.mark.parametrize("name", ["truncated_gzip", "duplicate_ts", "mixed_timezone"], ids=lambda n: f"subprocess-{n}")
def test_the_console_script_prints_no_traceback(name: str) -> None:
    """The same answer from a real process (what a trader's shell sees), for the issue's own cases."""
    (path,) = list((CANDLES / name).iterdir())
    out = subprocess.run(
        [sys.executable, "-m", "tradetui", "backtest", "--data", str(path), "--no-store"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and path.name in out.stderr


def test_a_deeply_nested_param_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    deep = "[" * 5000 + "]" * 5000
    code = _run_main(["backtest", "--data", str(VALID_CSV), "--no-store", "--param", f"lookback={deep}"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert "--param" in line and "nested too deeply" in line


def test_absurd_cash_on_the_command_line_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = _run_main(["backtest", "--data", str(VALID_CSV), "--no-store", "--cash", "1e400"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert "--cash" in line and "at most" in line


def test_cash_below_the_minimum_order_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code = _run_main(["backtest", "--data", str(VALID_CSV), "--no-store", "--cash", "4000"])
    err = capsys.readouterr().err
    assert code == 2
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert "4,000 KRW" in line and "minimum order" in line and "--cash" in line


def test_a_market_code_that_is_not_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run_main(["data", "import", str(VALID_CSV), "--market", "bitcoin", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert "--market 'bitcoin'" in line and "KRW-BTC" in line


def test_a_replay_of_a_broken_file_is_refused_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`[feed] source = "file"` (the replay) loads its file like the backtest does."""
    (candles,) = list((CANDLES / "unsorted").iterdir())
    config = tmp_path / "replay.toml"
    config.write_text(
        f'[feed]\nsource = "file"\nfile = "{candles}"\nmarkets = ["KRW-BTC"]\nspeed = 1000\n', encoding="utf-8"
    )
    code = _run_main(["--no-ui", "--config", str(config), "--data-dir", str(tmp_path), "--max-bars", "5"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert candles.name in line and "line 23" in line and "earlier than line 22" in line


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "5000"])
def test_slippage_out_of_range_is_one_line(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """NaN slippage used to reach the tick rounding as decimal.InvalidOperation on the first fill."""
    code = _run_main(["backtest", "--data", str(VALID_CSV), "--no-store", "--slippage-bps", value])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.strip()]
    assert "--slippage-bps" in line and "0 to 1000 basis points" in line
