"""Test-side WebSocket peer of the sandbox, written from the reference (A8, B7, B8) with plain
``websockets`` — not our ``ExchangeStream``. Loaded by file path from the test modules."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

from sibling import load_sibling  # tests/support/sibling.py
from websockets.asyncio.client import ClientConnection, connect

TIMEOUT_S = 30.0
"""How long a wait for a frame may take: a hang guard (frames arrive in milliseconds when quiet)."""


def load(name: str) -> ModuleType:
    """A sibling helper module (``peer``) loaded by path, shared between test modules."""
    return load_sibling(__file__, name)


def ws_base(sandbox: Any) -> str:
    return str(sandbox.client.base_url).rstrip("/").replace("http://", "ws://")


def open_ws(url: str, authorization: str | None = None) -> Any:
    headers = {"Authorization": authorization} if authorization else None
    return connect(url, additional_headers=headers, ping_interval=None, open_timeout=5, close_timeout=2)


async def recv(ws: ClientConnection, timeout: float = TIMEOUT_S) -> Any:
    """The next frame: must be binary UTF-8 JSON (A8)."""
    frame = await asyncio.wait_for(ws.recv(), timeout)
    assert isinstance(frame, bytes), f"the server sent a text frame: {frame!r}"
    return json.loads(frame.decode("utf-8"))


async def recv_until(
    ws: ClientConnection, accept: Callable[[Any], bool], timeout: float = TIMEOUT_S, limit: int = 500
) -> Any:
    """Skip frames (status messages, other types) until one is accepted."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    for _ in range(limit):
        message = await recv(ws, max(0.01, deadline - loop.time()))
        if accept(message):
            return message
    raise AssertionError(f"no accepted message within {limit} frames")


async def drain(ws: ClientConnection, quiet_s: float = 0.3, limit: int = 500) -> list[Any]:
    """Every frame until the socket has been quiet for ``quiet_s``."""
    out: list[Any] = []
    for _ in range(limit):
        try:
            out.append(await recv(ws, quiet_s))
        except TimeoutError:
            return out
    return out


def is_data(message: Any) -> bool:
    return isinstance(message, dict) and "status" not in message


def request(*types: dict[str, Any], fmt: str | None = None, ticket: str = "test-ticket") -> str:
    body: list[dict[str, Any]] = [{"ticket": ticket}, *types]
    if fmt is not None:
        body.append({"format": fmt})
    return json.dumps(body)
