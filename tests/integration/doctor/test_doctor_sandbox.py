"""`tradetui doctor` against the sandbox exchange on 127.0.0.1: in process for both profiles, and
the command end to end in a subprocess against a `tradetui sandbox` subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tradetui.commands.doctor_check import Status, exit_code
from tradetui.commands.doctor_run import run_checks
from tradetui.config import parse_config
from tradetui.core.clock import LiveClock, ScaledClock
from tradetui.core.market import Exchange
from tradetui.credentials import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from tradetui.sandbox.app import serve
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.state import SandboxState


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for exchange in ("UPBIT", "BITHUMB"):
        for kind in ("ACCESS", "SECRET"):
            monkeypatch.delenv(f"TRADETUI_{exchange}_{kind}_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def _config_toml(profile: str, port: int) -> str:
    return (
        f'mode = "live"\nexchange = "{profile}"\n[exchange_api]\n'
        f'rest_url = "http://127.0.0.1:{port}"\nws_url = "ws://127.0.0.1:{port}"\n'
        '[feed]\nsource = "exchange"\nmarkets = ["KRW-ETH"]\n'
    )


def _sandbox(profile: str) -> SandboxState:
    state = SandboxState(
        SandboxConfig(profile=profile, speed=1 / 60, history_minutes=60), clock=ScaledClock(60), wall_clock=LiveClock()
    )
    state.add_account(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, {"KRW": "1000000"})
    return state


@pytest.mark.parametrize("profile", ["upbit", "bithumb"])
async def test_every_check_passes_on_the_sandbox(profile: str, tmp_path: Path) -> None:
    runner, port = await serve(_sandbox(profile))
    try:
        config = parse_config(
            {
                "mode": "live",
                "exchange": profile,
                "exchange_api": {"rest_url": f"http://127.0.0.1:{port}", "ws_url": f"ws://127.0.0.1:{port}"},
                "feed": {"source": "exchange", "markets": ["KRW-ETH"]},
            }
        )
        checks = await run_checks(config, database=tmp_path / "t.db", timeout_s=5, probes=3)
    finally:
        await runner.cleanup()
    lines = [c.line() for c in checks]
    assert [c.name for c in checks] == [
        "keys",
        "REST",
        "clock",
        "WebSocket",
        "permissions",
        "rate limits",
        "database",
    ], lines
    assert all(c.status is Status.OK for c in checks), lines
    assert exit_code(checks) == 0
    assert "sandbox default" in checks[0].detail
    assert "KRW-ETH" in checks[3].detail
    assert re.search(r"\d+/\d+", checks[5].detail), lines  # the sandbox sends budget headers in both profiles


async def test_wrong_keys_and_no_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner, port = await serve(_sandbox("upbit"))
    try:
        config = parse_config(
            {
                "mode": "paper",
                "exchange_api": {"rest_url": f"http://127.0.0.1:{port}", "ws_url": f"ws://127.0.0.1:{port}"},
                "feed": {"source": "exchange", "markets": ["KRW-BTC"]},
            }
        )
        monkeypatch.setenv("TRADETUI_UPBIT_ACCESS_KEY", "not-the-sandbox-key")
        monkeypatch.setenv("TRADETUI_UPBIT_SECRET_KEY", "not-the-sandbox-secret")
        wrong = await run_checks(config, database=tmp_path / "t.db", timeout_s=5, probes=1, check_ws=False)
    finally:
        await runner.cleanup()
    by_name = {c.name: c for c in wrong}
    assert by_name["permissions"].status is Status.FAIL
    assert "tradetui keys set upbit" in by_name["permissions"].fix
    assert by_name["REST"].status is Status.OK  # the public checks still ran
    assert exit_code(wrong) == 1


async def test_unreachable_sandbox_fails_the_network_checks(tmp_path: Path) -> None:
    runner, port = await serve(_sandbox("upbit"))
    await runner.cleanup()  # nothing listens on the port any more
    config = parse_config(
        {
            "mode": "live",
            "exchange_api": {"rest_url": f"http://127.0.0.1:{port}", "ws_url": f"ws://127.0.0.1:{port}"},
            "feed": {"source": "exchange", "markets": ["KRW-BTC"]},
        }
    )
    checks = await run_checks(config, database=tmp_path / "t.db", exchange=Exchange.UPBIT, timeout_s=3, probes=1)
    by_name = {c.name: c for c in checks}
    assert by_name["REST"].status is Status.FAIL
    assert by_name["WebSocket"].status is Status.FAIL
    assert by_name["permissions"].status is Status.SKIP
    assert exit_code(checks) == 1


def test_doctor_command_against_a_sandbox_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADETUI_")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    server = subprocess.Popen(
        [sys.executable, "-m", "tradetui", "sandbox", "--port", "0", "--exchange", "bithumb"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()  # blocks until ready (or the process died: "")
        match = re.search(r"REST http://127\.0\.0\.1:(\d+)", banner)
        assert match, banner
        config = tmp_path / "sandbox.toml"
        config.write_text(_config_toml("bithumb", int(match.group(1))))
        code = (
            "import sys\n"
            "from tradetui.cli import build_parser\n"
            "from tradetui.commands.doctor import run\n"
            "sys.exit(run(build_parser(sys.argv[1:]).parse_args(sys.argv[1:])))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, "doctor", "--config", str(config), "--data-dir", str(tmp_path / "d")],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,  # a hang guard: doctor bounds each check by its own timeouts
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        if server.stdout is not None:
            server.stdout.close()
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 8 and all(line.startswith("✓") for line in lines), done.stdout
