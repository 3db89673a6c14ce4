"""Risk events and strategy state are written when they happen: a ``kill -9`` right after them
loses nothing, and the next start of the same profile restores the strategy toggle."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tradetui.control.client import ControlClient

if TYPE_CHECKING:
    from tests.integration.control.conftest import Cli

REPO = Path(__file__).resolve().parents[3]


@contextmanager
def _headless(data_dir: Path, log: Path) -> Iterator[subprocess.Popen[str]]:
    token_file = data_dir / "control.json"
    token_file.unlink(missing_ok=True)
    with log.open("a") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tradetui", "--no-ui", "--speed", "20", "--data-dir", str(data_dir)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
    try:
        deadline = time.monotonic() + 60
        while not token_file.exists():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the control API did not come up in 60 s"
            time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=20)


def _rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


def test_risk_events_and_strategy_state_survive_kill_9_and_the_toggle_is_restored(tmp_path: Path, cli: Cli) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "engine.err"
    with _headless(data_dir, log) as proc:
        with ControlClient(data_dir / "control.json") as client:
            assert client.set_strategy_enabled("breakout", False).strategies[0].enabled is False
            assert client.pause("lunch").state.value == "PAUSED"
        proc.send_signal(signal.SIGKILL)  # no stop path: nothing is stored at the end
        proc.wait(timeout=20)

    found = sorted(data_dir.rglob("*.db"))
    assert len(found) == 1, found
    database = found[0]
    events = _rows(database, "SELECT kind, rule, message FROM risk_events")
    assert ("engine_state", "PAUSED") in [(k, r) for k, r, _ in events], events
    assert any("lunch" in str(m) for _, _, m in events)
    states = _rows(database, "SELECT strategy, enabled FROM strategy_state")
    assert states == [("breakout", 0)]

    with _headless(data_dir, log) as proc:
        status = cli.ctl_json(data_dir, "status")
        assert status["strategies"][0]["enabled"] is False, status["strategies"]
        assert any("breakout" in e["text"] and "restored" in e["text"] for e in status["events"]), status["events"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log.read_text()
    assert database == data_dir / "sessions" / "demo.db"
