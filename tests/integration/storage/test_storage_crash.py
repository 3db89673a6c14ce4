"""Crash safety: a writer killed with SIGKILL loses nothing it reported as committed.

The child (``crash_writer.py``) prints a line only after a write returned; the test kills it
after a short random delay, reopens the file and checks every reported write is there, intact,
and that SQLite's integrity check passes. Several cycles reuse one file, so each reopen also
recovers the previous crash's WAL.
"""

from __future__ import annotations

import importlib.util
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

from tradetui.storage import SqliteRepository

HERE = Path(__file__).parent
WRITER = HERE / "crash_writer.py"
ROWS_PER_CYCLE = 400  # the child stops by itself after this many orders
READY_TIMEOUT_S = 20.0


def _load_writer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tradetui_storage_crash_writer", WRITER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


writer = _load_writer()


def _crash_once(kind: str, path: Path, first: int, delay_s: float) -> list[tuple[str, int]]:
    """Run the child, SIGKILL it ``delay_s`` after its first write; return the writes it reported."""
    child = subprocess.Popen(
        [sys.executable, str(WRITER), kind, str(path), str(first), str(ROWS_PER_CYCLE)],
        stdout=subprocess.PIPE,
        cwd=HERE,
    )
    assert child.stdout is not None
    try:
        readable, _, _ = select.select([child.stdout], [], [], READY_TIMEOUT_S)
        assert readable, "crash writer did not start"
        assert child.stdout.readline() == b"ready\n"
        # the delay counts from the first committed write: on a busy machine the child can take
        # longer than the whole delay to get there, and a kill before it proves nothing
        readable, _, _ = select.select([child.stdout], [], [], READY_TIMEOUT_S)
        assert readable, "crash writer did not write"
        first_write = child.stdout.readline()
        time.sleep(delay_s)
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        rest, _ = child.communicate(timeout=READY_TIMEOUT_S)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode in (0, -signal.SIGKILL)
    lines = (first_write + rest).decode().split("\n")[:-1]  # a line cut short by the kill has no newline: ignore it
    return [(step, int(index)) for step, index in (line.split() for line in lines)]


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


async def _check_journal_writes(path: Path, reported: list[tuple[str, int]], first: int) -> None:
    last_step: dict[int, str] = {}
    for step, index in reported:
        last_step[index] = step
    steps = writer.JOURNAL_STEPS
    repo = await SqliteRepository.open(path)
    try:
        for index, step in last_step.items():
            stored = await repo.load_order(writer.identifier(index))
            # The row holds the reported version or a later one (committed just before the kill).
            allowed = [writer.order_after(s, index) for s in steps[steps.index(step) :]]
            assert stored in allowed, f"row {index}: reported {step}, stored {stored}"
            if steps.index(step) >= steps.index("fill"):
                assert await repo.load_fills(writer.identifier(index)) == [writer.fill(index)]
        stored_ids = {o.identifier for o in await repo.load_orders(since_ms=writer.intent(first).created_ms)}
        unreported = stored_ids - {writer.identifier(i) for i in last_step}
        assert len(unreported) <= 1, f"more than the one in-flight write is unaccounted for: {unreported}"
    finally:
        await repo.close()


async def test_journal_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite"
    rng = random.Random(20240601)
    total = 0
    for cycle in range(4):
        first = cycle * ROWS_PER_CYCLE
        reported = _crash_once("journal", path, first, rng.uniform(0.02, 0.25))
        total += len(reported)
        assert _integrity(path) == "ok"
        await _check_journal_writes(path, reported, first)
    assert total > 0, "the child never got to write anything"


async def test_repository_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite"
    reported = _crash_once("repository", path, 0, random.Random(7).uniform(0.05, 0.2))
    assert reported, "the child never got to write anything"
    assert _integrity(path) == "ok"
    repo = await SqliteRepository.open(path)
    try:
        for _, index in reported:
            assert await repo.load_order(writer.identifier(index)) == writer.intent(index)
        stored = await repo.load_orders(mode="paper")
        assert len(stored) - len(reported) in (0, 1)
    finally:
        await repo.close()
