"""End to end: the real app in a real terminal (tmux on a private socket), driven by keys.

Nothing waits a fixed time: every step polls ``capture-pane`` until the screen shows what it
should or a deadline passes (then the test fails with the last screen). Run with
``python -m pytest -m e2e tests/e2e -q``."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

WIDTH, HEIGHT = 120, 35
POLL_S = 0.1
FILL_LINE = re.compile(r"\d\d:\d\d:\d\d fill ")


class Tmux:
    """One tmux server on its own socket, with one session running one command."""

    def __init__(self, socket: str) -> None:
        self.socket = socket
        self.env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=15, env=self.env, check=False
        )

    def start(self, command: str) -> None:
        done = self("new-session", "-d", "-s", "main", "-x", str(WIDTH), "-y", str(HEIGHT), command)
        assert done.returncode == 0, done.stderr

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "main").stdout

    def keys(self, *keys: str) -> None:
        done = self("send-keys", "-t", "main", *keys)
        assert done.returncode == 0, done.stderr

    def wait_for(self, what: str, ready: Callable[[str], bool], timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if ready(text):
                return text
            time.sleep(POLL_S)
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; the screen:\n{text}")

    def kill(self) -> None:
        self("kill-server")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    server = Tmux(f"tradetui-test-{os.getpid()}")
    try:
        yield server
    finally:
        server.kill()


def _wait_for_file(path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(POLL_S)
    pytest.fail(f"the app did not exit within {timeout:.0f} s")


def test_demo_dashboard_kill_switch_and_quit(tmux: Tmux, tmp_path: Path) -> None:
    rc_file = tmp_path / "exit-code"
    app = shlex.join([sys.executable, "-m", "tradetui", "--speed", "50", "--data-dir", str(tmp_path / "data")])
    tmux.start(f"{app}; echo $? > {shlex.quote(str(rc_file))}")

    tmux.wait_for("the dashboard (DEMO, RUNNING)", lambda s: "DEMO" in s and "RUNNING" in s, timeout=60)
    tmux.wait_for("a fill in the timeline", lambda s: FILL_LINE.search(s) is not None, timeout=60)

    tmux.keys("k")
    tmux.wait_for("the kill dialog", lambda s: "KILL SWITCH" in s)
    tmux.keys("c")
    tmux.wait_for("HALTED in the status bar", lambda s: "HALTED" in s and "KILL SWITCH" not in s)

    tmux.keys("q")
    screen = tmux.wait_for(
        "the quit confirmation or the exit",
        lambda s: "Quit anyway?" in s or rc_file.exists(),
    )
    if "Quit anyway?" in screen and not rc_file.exists():
        tmux.keys("y")
    assert _wait_for_file(rc_file, timeout=30) == "0"


def test_headless_run_exits_cleanly(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tradetui",
            "--no-ui",
            "--max-bars",
            "30",
            "--speed",
            "100",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
