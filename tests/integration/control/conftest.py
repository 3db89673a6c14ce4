"""Fixtures of the control API tests: a demo engine with a position, served in this process,
and a headless engine in a subprocess (``python -m tradetui --no-ui``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tradetui.commands.run import RunningSession, build_session
from tradetui.config import demo_config
from tradetui.control.server import ControlServer
from tradetui.engine.handle import EngineHandle

REPO = Path(__file__).resolve().parents[3]


async def demo_engine_until(
    tmp_path: Path, done: Callable[[EngineHandle], bool], what: str, *, name: str = "c.db"
) -> RunningSession:
    """A demo engine run (fast) until ``done(handle)``, then stopped between two bars."""
    session = build_session(demo_config(), database=tmp_path / name, speed=2000.0, max_bars=3000, now_s=1_800_000_000)
    handle = session.handle
    task = asyncio.create_task(handle.run())
    try:
        deadline = time.monotonic() + 20
        while not done(handle) and time.monotonic() < deadline and not task.done():
            await asyncio.sleep(0.01)
    finally:
        handle.request_stop()
        async with asyncio.timeout(10):
            await task
    assert done(handle), f"the demo {what}"
    return session


EngineUntil = Callable[..., Awaitable[RunningSession]]


@pytest.fixture
def engine_until() -> EngineUntil:
    """:func:`demo_engine_until`, for test modules (they cannot import this conftest)."""
    return demo_engine_until


async def engine_with_position(tmp_path: Path) -> RunningSession:
    return await demo_engine_until(tmp_path, lambda h: bool(h.snapshot().positions), "opened no position")


@dataclass
class Served:
    handle: EngineHandle
    server: ControlServer
    http: httpx.AsyncClient
    token_file: Path


@pytest.fixture
async def position_session(tmp_path: Path) -> AsyncIterator[RunningSession]:
    session = await engine_with_position(tmp_path)
    try:
        yield session
    finally:
        session.journal.close()


@contextlib.asynccontextmanager
async def serve_handle(handle: EngineHandle, tmp_path: Path) -> AsyncIterator[Served]:
    """The control API on 127.0.0.1 around ``handle``, with an HTTP client that sends the token."""
    token_file = tmp_path / "run" / "control.json"
    server = ControlServer(handle, token_file=token_file)
    await server.start()
    http = httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {server.token}"}, timeout=10, trust_env=False
    )
    try:
        yield Served(handle, server, http, token_file)
    finally:
        await http.aclose()
        await server.stop()


ServeHandle = Callable[[EngineHandle, Path], contextlib.AbstractAsyncContextManager[Served]]


@pytest.fixture
def serve() -> ServeHandle:
    """:func:`serve_handle`, for test modules (they cannot import this conftest)."""
    return serve_handle


@pytest.fixture
async def served(position_session: RunningSession, tmp_path: Path) -> AsyncIterator[Served]:
    async with serve_handle(position_session.handle, tmp_path) as running:
        yield running


@dataclass
class Headless:
    proc: subprocess.Popen[str]
    data_dir: Path

    @property
    def token_file(self) -> Path:
        return self.data_dir / "control.json"


class Cli:
    """``python -m tradetui ...`` in a subprocess, with a bounded wait."""

    @staticmethod
    def run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tradetui", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,
            env={**os.environ, "COLUMNS": "120"},
        )

    def ctl_json(self, data_dir: Path, *args: str) -> dict[str, Any]:
        out = self.run("ctl", "--data-dir", str(data_dir), "--json", *args)
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert isinstance(data, dict)
        return data


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def headless(tmp_path: Path) -> Iterator[Headless]:
    """``tradetui --no-ui --speed 50`` in a subprocess, its control API up; SIGINT-ed (then killed) at the end."""
    data_dir = tmp_path / "engine"
    stderr_log = (tmp_path / "engine.err").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tradetui", "--no-ui", "--speed", "50", "--data-dir", str(data_dir)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=stderr_log,
        text=True,
    )
    running = Headless(proc, data_dir)
    try:
        deadline = time.monotonic() + 30
        while not running.token_file.exists():
            assert proc.poll() is None, (tmp_path / "engine.err").read_text()
            assert time.monotonic() < deadline, "the control API did not come up in 30 s"
            time.sleep(0.05)
        yield running
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        stderr_log.close()
