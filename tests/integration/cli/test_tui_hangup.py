"""The TUI's terminal goes away (an SSH session drops: SIGHUP) or the process is told to stop
(SIGTERM): the engine is stopped the way Ctrl-C stops a headless one, never killed mid-way.

Seen before: closing the tmux window of a running TUI ended the process at once; the log had no
stop and no "state stored"."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest


def _drain(fd: int, stop: threading.Event) -> None:
    """Read the terminal's output so the app never blocks on a full pty."""
    while not stop.is_set():
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


@pytest.mark.parametrize(
    ("sig", "after_s"),
    [(signal.SIGHUP, 1.0), (signal.SIGTERM, 1.0), (signal.SIGHUP, 0.0)],
    ids=["SIGHUP", "SIGTERM", "SIGHUP-while-the-interface-loads"],
)
def test_the_tui_stops_the_engine_cleanly_on_a_hangup(tmp_path: Path, sig: signal.Signals, after_s: float) -> None:
    """``after_s`` after the control API is up: a second in, or at once, while the interface's
    modules still load (seconds on a busy machine: a hang-up then used to end the process)."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "35", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradetui", "--data-dir", str(tmp_path), "--speed", "20"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    stop = threading.Event()
    reader = threading.Thread(target=_drain, args=(master, stop), daemon=True)
    reader.start()
    log = tmp_path / "tradetui.log"
    try:
        deadline = time.monotonic() + 120  # a start under load; normally a second or two
        while time.monotonic() < deadline and proc.poll() is None:
            if (tmp_path / "control.json").exists() and log.exists() and "control API on" in log.read_text():
                break
            time.sleep(0.1)
        assert proc.poll() is None, f"the app ended before the test could signal it: {proc.returncode}"
        time.sleep(after_s)
        proc.send_signal(sig)
        code = proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stop.set()
        os.close(master)
    text = log.read_text()
    assert f"received {sig.name}" in text
    assert "state stored" in text, text[-2000:]
    assert "Traceback" not in text
    assert code == 128 + int(sig)
