"""`tradetui sandbox` (``tradetui.commands.sandbox``): the parser, argument errors, and the command
run as a subprocess that prints its URL line and stops on SIGINT with exit 0."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tradetui.cli import build_parser
from tradetui.commands.sandbox import run
from tradetui.errors import ConfigError

LAUNCH = (
    "import sys\n"
    "from tradetui.cli import build_parser\n"
    "from tradetui.commands.sandbox import run\n"
    "sys.exit(run(build_parser(sys.argv[1:]).parse_args(sys.argv[1:])))\n"
)


def _parser() -> argparse.ArgumentParser:
    return build_parser(["sandbox"])  # the top-level --speed must not collide with the sandbox's


def test_parser_defaults() -> None:
    args = _parser().parse_args(["--speed", "3", "sandbox"])
    assert args.command == "sandbox" and args.speed == 3
    assert (args.sandbox_exchange, args.sandbox_port, args.sandbox_speed) == ("upbit", 8765, 1.0)
    assert (args.sandbox_access_key, args.sandbox_secret_key) == ("sandbox-access", "sandbox-secret")
    assert args.sandbox_data is None and args.sandbox_faults is None
    assert args.sandbox_request_timeout == 10.0
    assert _parser().parse_args(["sandbox", "--request-timeout", "2.5"]).sandbox_request_timeout == 2.5


def test_data_and_synthetic_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["sandbox", "--data", "x.csv", "--synthetic"])
    assert "not allowed with" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["sandbox", "--faults", "http_429=2"],
        ["sandbox", "--faults", "nonsense"],
        ["sandbox", "--markets", "btc"],
        ["sandbox", "--cash", "lots"],
        ["sandbox", "--data", "/nonexistent/upbit_KRW-BTC_1m.csv"],
        ["sandbox", "--request-timeout", "0"],
        ["sandbox", "--request-timeout", "nan"],
    ],
)
def test_bad_arguments_raise_config_errors_before_serving(argv: list[str]) -> None:
    with pytest.raises(ConfigError):
        run(_parser().parse_args(argv))


def test_command_prints_urls_serves_and_stops_on_sigint() -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    argv = ["sandbox", "--port", "0", "--exchange", "bithumb", "--markets", "KRW-BTC", "--cash", "5000000"]
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # blocks until the banner (or EOF if it died)
        assert line.startswith("sandbox bithumb ready: REST http://127.0.0.1:"), line
        for token in ("ws://127.0.0.1:", "/websocket/v1", "/websocket/v2/private"):
            assert token in line
        assert "TRADETUI_BITHUMB_ACCESS_KEY=sandbox-access" in line
        assert "TRADETUI_BITHUMB_SECRET_KEY=sandbox-secret" in line
        rest = line.split("REST ", 1)[1].split()[0]
        reply = httpx.get(f"{rest}/v1/market/all", timeout=5)
        assert [row["market"] for row in reply.json()] == ["KRW-BTC"]
        time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=15)
        assert process.returncode == 0, err
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=5)
