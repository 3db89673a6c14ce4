"""Slow-loris clients against the control API (issue 8): a request that does not arrive whole
within the request timeout is cut (408 when something was sent), while idle keep-alive
connections and slow-but-complete requests are served. Raw sockets on 127.0.0.1, bounded."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hostile_http import stall

from tradetui.commands.run import RunningSession
from tradetui.control.server import ControlServer, start_control_server
from tradetui.core.events import EngineState
from tradetui.http_guard import DEFAULT_REQUEST_TIMEOUT_S

TIMEOUT_S = 0.5


@pytest.fixture
async def server(position_session: RunningSession, tmp_path: Path) -> AsyncIterator[ControlServer]:
    control = ControlServer(position_session.handle, token_file=tmp_path / "c.json", request_timeout_s=TIMEOUT_S)
    await control.start()
    try:
        yield control
    finally:
        await control.stop()


def _head(server: ControlServer, method: str, path: str, extra: str = "") -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {server.token}\r\n{extra}\r\n"
    ).encode()


def test_the_default_timeout_is_a_few_seconds() -> None:
    assert 2 <= DEFAULT_REQUEST_TIMEOUT_S <= 30


async def test_half_sent_headers_are_cut_with_408(server: ControlServer) -> None:
    cut = await stall(server.port, b"POST /kill HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthoriz")
    assert cut.after_s >= TIMEOUT_S * 0.9
    assert cut.status == 408
    assert "not complete" in json.loads(cut.body)["error"]
    assert server.handle.snapshot().state is EngineState.RUNNING


async def test_a_body_that_never_arrives_is_cut_with_408(server: ControlServer) -> None:
    head = _head(server, "POST", "/kill", "Content-Type: application/json\r\nContent-Length: 100\r\n")
    cut = await stall(server.port, head + b'{"flatten":')
    assert cut.after_s >= TIMEOUT_S * 0.9
    assert cut.status == 408 and "body" in json.loads(cut.body)["error"]
    assert server.handle.snapshot().state is EngineState.RUNNING


async def test_a_connection_that_sends_nothing_is_closed(server: ControlServer) -> None:
    cut = await stall(server.port, b"")
    assert cut.data == b"" and cut.after_s >= TIMEOUT_S * 0.9


async def test_the_cut_connections_are_gone_from_the_guard(server: ControlServer) -> None:
    await asyncio.gather(*(stall(server.port, b"GET /health HTTP/1.1\r\n") for _ in range(20)))
    deadline = asyncio.get_running_loop().time() + 10
    while server._guard.connections and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    assert not server._guard.connections


async def test_an_idle_keep_alive_connection_outlives_the_request_timeout(server: ControlServer) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        for _ in range(2):
            writer.write(_head(server, "GET", "/health"))
            await writer.drain()
            async with asyncio.timeout(10):
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(
                    next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")).split(b":")[1]
                )
                body = await reader.readexactly(length)
            assert head.startswith(b"HTTP/1.1 200") and json.loads(body)["status"] == "ok"
            await asyncio.sleep(TIMEOUT_S * 3)  # idle between requests: not a stalled request
    finally:
        writer.close()


async def test_a_slow_but_complete_request_is_served(position_session: RunningSession, tmp_path: Path) -> None:
    async with ControlServer(position_session.handle, token_file=tmp_path / "s.json", request_timeout_s=5) as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        try:
            body = b'{"reason": "slow"}'
            head = _head(server, "POST", "/pause", f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n")
            for part in (head[:20], head[20:], body[:5], body[5:]):
                writer.write(part)
                await writer.drain()
                await asyncio.sleep(0.1)
            async with asyncio.timeout(10):
                answer = await reader.readuntil(b"\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 200")
        finally:
            writer.close()
        assert server.handle.snapshot().state is EngineState.PAUSED


async def test_start_control_server_takes_the_configured_timeout(
    position_session: RunningSession, tmp_path: Path
) -> None:
    server = await start_control_server(position_session.handle, data_dir=tmp_path, request_timeout_s=TIMEOUT_S)
    assert server is not None
    try:
        cut = await stall(server.port, b"GET /health HTTP/1.1\r\n")
        assert cut.status == 408 and cut.after_s < 20
    finally:
        await server.stop()


async def test_a_complete_request_is_not_cut_when_the_loop_was_too_busy_to_read_it(server: ControlServer) -> None:
    """The deadline fires late on a blocked loop; the head already in the socket must still be served."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        await asyncio.sleep(0.1)  # the server has accepted: its deadline runs
        writer.write(_head(server, "GET", "/health"))
        time.sleep(TIMEOUT_S * 2)  # block the loop (server included) past the deadline
        async with asyncio.timeout(10):
            answer = await reader.readuntil(b"\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 200"), answer
    finally:
        writer.close()
