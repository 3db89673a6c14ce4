"""`tradetui ctl` against a headless engine in a subprocess, and with no engine at all."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.integration.control.conftest import Cli, Headless  # the fixtures' types


def test_ctl_steers_a_headless_engine(headless: Headless, cli: Cli) -> None:
    d = str(headless.data_dir)
    assert stat.S_IMODE(headless.token_file.stat().st_mode) == 0o600
    out = cli.run("ctl", "status", "--data-dir", d)
    assert out.returncode == 0, out.stderr
    assert "DEMO on upbit: RUNNING" in out.stdout and "equity" in out.stdout and "strategy breakout: on" in out.stdout

    status = cli.ctl_json(headless.data_dir, "status")
    assert status["state"] == "RUNNING" and status["mode"] == "DEMO" and isinstance(status["equity"], str)

    out = cli.run("ctl", "--data-dir", d, "pause", "--reason", "coffee")
    assert out.returncode == 0 and out.stdout.strip() == "engine PAUSED: coffee", out.stdout + out.stderr
    assert cli.ctl_json(headless.data_dir, "status")["state"] == "PAUSED"
    assert cli.ctl_json(headless.data_dir, "resume")["state"] == "RUNNING"

    out = cli.run("ctl", "--data-dir", d, "strategy", "breakout", "off")
    assert out.returncode == 0 and out.stdout.startswith("strategy breakout disabled"), out.stdout + out.stderr
    assert cli.ctl_json(headless.data_dir, "status")["strategies"][0]["enabled"] is False
    assert cli.ctl_json(headless.data_dir, "strategy", "breakout", "on")["strategies"][0]["enabled"] is True

    out = cli.run("ctl", "--data-dir", d, "strategy", "nope", "on")
    assert out.returncode == 2 and out.stderr.strip() == "error: unknown strategy 'nope'; running: breakout"

    out = cli.run("ctl", "--data-dir", d, "metrics")
    assert out.returncode == 0
    assert "# TYPE tradetui_equity_krw gauge" in out.stdout and 'tradetui_engine_state{state="RUNNING"} 1' in out.stdout

    halted = cli.ctl_json(headless.data_dir, "kill", "--flatten")
    assert halted["state"] == "HALTED"
    assert all(o["purpose"] == "flatten" for o in halted["orders"])
    out = cli.run("ctl", "--data-dir", d, "kill")
    assert out.returncode == 0 and out.stdout.startswith("engine HALTED")

    out = cli.run("ctl", "--data-dir", d, "status", "--json")  # options after the action work too
    assert json.loads(out.stdout)["state"] == "HALTED"
    assert headless.proc.poll() is None


def test_the_token_file_goes_when_the_engine_stops(headless: Headless, cli: Cli) -> None:
    import signal

    headless.proc.send_signal(signal.SIGINT)
    assert headless.proc.wait(timeout=30) == 0
    assert not headless.token_file.exists()
    out = cli.run("ctl", "--data-dir", str(headless.data_dir), "status")
    assert out.returncode == 2 and "does not exist" in out.stderr


def _one_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stdout == "" and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    return out.stderr


def test_no_engine_is_one_line_and_exit_2(tmp_path: Path, cli: Cli) -> None:
    assert "no running engine" in _one_line(cli.run("ctl", "--data-dir", str(tmp_path), "status"))
    assert "no running engine" in _one_line(cli.run("--data-dir", str(tmp_path), "ctl", "pause"))


def test_a_stale_token_file_is_exit_2(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "control.json").write_text(
        json.dumps({"pid": 2**22 + 4321, "url": "http://127.0.0.1:9", "host": "127.0.0.1", "port": 9, "token": "t"})
    )
    assert "stale" in _one_line(cli.run("ctl", "--data-dir", str(tmp_path), "kill"))


def test_connection_refused_is_exit_2(tmp_path: Path, cli: Cli) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "control.json").write_text(
        json.dumps(
            {"pid": os.getpid(), "url": f"http://127.0.0.1:{port}", "host": "127.0.0.1", "port": port, "token": "t"}
        )
    )
    assert "nothing answers" in _one_line(cli.run("ctl", "--data-dir", str(tmp_path), "status"))
