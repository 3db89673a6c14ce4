"""Starting a paper or sandbox session with the exchange out of reach gives one clear line that
names the URL and says to run `tradetui doctor --config FILE`: no traceback, no bare
``ConnectError``. The exchange is a loopback port nobody listens on (a sandbox not running)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(tmp_path: Path, mode: str, port: int) -> Path:
    path = tmp_path / f"{mode}.toml"
    path.write_text(
        f'mode = "{mode}"\n'
        'exchange = "upbit"\n'
        "[exchange_api]\n"
        f'rest_url = "http://127.0.0.1:{port}"\n'
        f'ws_url = "ws://127.0.0.1:{port}"\n'
        "[feed]\n"
        'source = "exchange"\n'
        'markets = ["KRW-BTC"]\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("mode", ["paper", "live"])
@pytest.mark.parametrize("ui", [False, True], ids=["headless", "tui"])
def test_unreachable_exchange_is_one_line_with_the_doctor_hint(tmp_path: Path, mode: str, ui: bool) -> None:
    port = _closed_port()
    config = _config(tmp_path, mode, port)
    args = [sys.executable, "-m", "tradetui", "--config", str(config), "--data-dir", str(tmp_path / "data")]
    if not ui:
        args.append("--no-ui")
    out = subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", "TRADETUI_UPBIT_ACCESS_KEY": "", "TRADETUI_UPBIT_SECRET_KEY": ""},
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, out.stderr
    message = errors[0]
    assert f"http://127.0.0.1:{port}" in message
    assert f"tradetui doctor --config {config}" in message
    assert "tradetui sandbox" in message  # a loopback exchange is the sandbox: say how to start it
