"""Start-up: a command line imports what its command needs and no more, and the options every
command shares (--config, --data-dir, -v) reach it from either side of the command name.

What is imported is read from ``python -X importtime -m tradetui ...`` (the console script's own
path), not timed: these tests fail when a module import creeps back in, on any machine.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tradetui.cli import COMMANDS, Command, build_parser, command_named, main

REPO = Path(__file__).resolve().parents[2]
SMALL_CSV = REPO / "tests" / "fixtures" / "hostile" / "candles" / "valid" / "upbit_KRW-BTC_1m_20250901_20250901.csv"

NEVER_AT_START = (
    "sqlalchemy",
    "sqlmodel",
    "pandas",
    "textual",
    "aiohttp",
    "httpx",
    "plotext",
    "tradetui.commands.live",
    "tradetui.sandbox",
)
"""Heavy, and needed by none of the quick commands (strategies, --help, --version)."""
NOT_FOR_HELP = (*NEVER_AT_START, "numpy", "pydantic", "rich", "tradetui.config")
"""Not needed to print the version or a help text."""

_IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| +(\S+)$")


def _imported(*argv: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -X importtime -m tradetui ARGV``; the process and every module it imported."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tradetui", *argv],
        capture_output=True,
        text=True,
        timeout=300,  # a hang guard on a busy machine, not a timing
        cwd=REPO,
        env={**os.environ, "COLUMNS": "120"},
    )
    modules = {m.group(1) for line in out.stderr.splitlines() if (m := _IMPORT_LINE.match(line))}
    assert "tradetui.cli" in modules, out.stderr[-2000:]  # the parse works: the entry itself is listed
    return out, modules


def _within(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def _commands(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith("tradetui.commands."))


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_no_command_and_nothing_heavy(flag: str) -> None:
    out, modules = _imported(flag)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "tradetui" in out.stdout
    assert _within(modules, NOT_FOR_HELP) == []
    assert _commands(modules) == []


def test_a_commands_help_imports_that_command_only() -> None:
    out, modules = _imported("backtest", "--help")
    assert out.returncode == 0 and "--no-store" in out.stdout, out.stderr[-2000:]
    assert _commands(modules) == ["tradetui.commands.backtest"]
    assert _within(modules, NOT_FOR_HELP) == []


def test_strategies_reads_the_registry_only() -> None:
    out, modules = _imported("strategies")
    assert out.returncode == 0 and "lookback" in out.stdout, out.stderr[-2000:]
    assert _within(modules, NEVER_AT_START) == []
    assert _commands(modules) == ["tradetui.commands.strategies"]


def test_backtest_json_without_storing_loads_no_database_and_no_report() -> None:
    out, modules = _imported("backtest", "--json", "--no-store", "--data", str(SMALL_CSV))
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout)["run"]["bars"] == 60
    unwanted = ("sqlalchemy", "sqlmodel", "plotext", "textual", "aiohttp", "httpx", "tradetui.backtest.report")
    assert _within(modules, unwanted) == []
    assert _commands(modules) == ["tradetui.commands.backtest", "tradetui.commands.backtest_run"]


# --- the table and the shape of a command module ---------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_every_command_module_has_the_same_shape(command: Command) -> None:
    module = importlib.import_module(command.module)
    assert module.__name__ == f"tradetui.commands.{command.name}"
    assert (module.__doc__ or "").strip(), f"{module.__name__} has no docstring"
    assert list(inspect.signature(module.add_arguments).parameters) == ["parser"]
    assert next(iter(inspect.signature(module.run).parameters)) == "args"


def test_the_command_is_found_past_the_values_of_global_options() -> None:
    parser = build_parser([])
    assert command_named(parser, ["--data-dir", "backtest", "data"]) == "data"  # `backtest` is a directory
    assert command_named(parser, ["--data-dir=D", "-vv", "--speed", "3", "ctl", "status"]) == "ctl"
    assert command_named(parser, ["--data", "D", "doctor"]) == "doctor"  # argparse's abbreviation of --data-dir
    assert command_named(parser, ["--no-ui", "--log-max-mb", "2"]) is None
    assert command_named(parser, ["--", "keys"]) == "keys"


# --- --config, --data-dir and -v on either side of the command name --------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["backtest"],
        ["backtest", "list"],
        ["data", "import", "F"],
        ["data", "check", "F"],
        ["doctor"],
        ["ctl", "status"],
        ["ctl", "kill", "--flatten"],
        ["attach"],
    ],
    ids=" ".join,
)
def test_data_dir_before_or_after_the_command_name(argv: list[str]) -> None:
    command, *rest = argv
    for line in (
        ["--data-dir", "D", *argv],
        [command, "--data-dir", "D", *rest],
        [*argv, "--data-dir", "D"],
    ):
        args = build_parser(line).parse_args(line)
        assert args.data_dir == "D", line
    assert build_parser(argv).parse_args(argv).data_dir is None


@pytest.mark.parametrize("command", ["backtest", "doctor"])
def test_config_and_verbose_before_or_after_the_command_name(command: str) -> None:
    for line in (["--config", "c.toml", "-vv", command], [command, "--config", "c.toml", "-vv"]):
        args = build_parser(line).parse_args(line)
        assert (args.config, args.verbose) == ("c.toml", 2), line
    args = build_parser([command]).parse_args([command])
    assert (args.config, args.verbose) == (None, 0)


def test_an_option_a_command_does_not_use_is_refused_after_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser(["sandbox", "--data-dir", "D"]).parse_args(["sandbox", "--data-dir", "D"])
    assert exc.value.code == 2
    assert "unrecognized arguments: --data-dir" in capsys.readouterr().err


def _both_sides(command: list[str], directory: Path, *tail: str) -> list[list[str]]:
    return [
        ["--data-dir", str(directory / "before"), *command, *tail],
        [*command, *tail, "--data-dir", str(directory / "after")],
    ]


def _main(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


def test_backtest_list_reads_the_data_dir_given_either_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in _both_sides(["backtest", "list"], tmp_path):
        assert _main(argv) == 0
        where = Path(argv[argv.index("--data-dir") + 1]) / "tradetui.db"
        assert f"no stored backtest runs in {where};" in capsys.readouterr().out


def test_data_import_writes_to_the_data_dir_given_either_side(tmp_path: Path) -> None:
    for argv in _both_sides(["data", "import"], tmp_path, str(SMALL_CSV)):
        assert _main(argv) == 0
    assert (tmp_path / "before" / "tradetui.db").is_file() and (tmp_path / "after" / "tradetui.db").is_file()


def test_ctl_looks_in_the_data_dir_given_either_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in _both_sides(["ctl", "status"], tmp_path):
        assert _main(argv) == 2
        where = Path(argv[argv.index("--data-dir") + 1]) / "control.json"
        assert f"no running engine: {where} does not exist" in capsys.readouterr().err


def test_doctor_checks_the_data_dir_given_either_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in _both_sides(["doctor"], tmp_path):
        _main(argv)  # the exit status depends on the keys this machine has; the database line does not
        where = Path(argv[argv.index("--data-dir") + 1]) / "sessions" / "demo.db"
        assert f"{where} not created yet" in capsys.readouterr().out


def test_the_parser_for_no_command_lists_every_command_without_their_arguments() -> None:
    parser = build_parser([])
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(sub.choices) == [c.name for c in COMMANDS]
    assert all(not [a for a in p._actions if a.dest == "json"] for p in sub.choices.values())
