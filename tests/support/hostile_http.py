"""The hostile-HTTP corpus of ``tests/fixtures/hostile_http`` and a raw socket client for it.

Shared by the control API and sandbox tests (``pythonpath`` puts this directory on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "hostile_http"
_REPEAT = re.compile(r"<(.) x (\d+)>")


def expand(text: str) -> str:
    """``<c x N>`` → the character ``c`` N times."""
    return _REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), text)


def short(text: object) -> str:
    """A readable test id for a long value."""
    text = str(text)
    return text if len(text) <= 40 else f"{text[:30]}...({len(text)} chars)"


@dataclass(frozen=True)
class Body:
    file: str
    content_type: str
    headers: dict[str, str]
    why: str
    parameters: bool = False
    """A well-formed parameter body (a form, or a JSON object): endpoints that ignore unknown
    parameters may accept it."""

    @property
    def data(self) -> bytes:
        return (CORPUS / "bodies" / self.file).read_bytes()

    @property
    def id(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.headers.items())
        return f"{self.file}[{self.content_type}{',' + extra if extra else ''}]"

    def request_headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, **self.headers}


def bodies() -> list[Any]:
    data = tomllib.loads((CORPUS / "bodies.toml").read_text())
    out = []
    for row in data["body"]:
        body = Body(
            row["file"], row["content_type"], dict(row.get("headers", {})), row["why"], row.get("parameters", False)
        )
        out.append(pytest.param(body, id=body.id))
    return out


def queries() -> dict[str, Any]:
    return tomllib.loads((CORPUS / "queries.toml").read_text())


def orders() -> list[dict[str, Any]]:
    return list(tomllib.loads((CORPUS / "orders.toml").read_text())["order"])


def raw_requests() -> list[Any]:
    return [pytest.param(path, id=path.stem) for path in sorted((CORPUS / "raw").glob("*.http"))]


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def is_json(self) -> bool:
        return self.headers.get("content-type", "").startswith("application/json")


async def send_raw(port: int, data: bytes, *, timeout_s: float = 15.0) -> RawAnswer:
    """Send ``data`` as is on a fresh connection to 127.0.0.1:``port``; read one answer (bounded)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout_s)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(timeout_s):
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    key, _, value = line.partition(":")
                    headers[key.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            body = await reader.readexactly(length) if length else b""
        return RawAnswer(status, headers, body)
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 5)


def assert_no_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing at ERROR or above, and no traceback at any level: hostile input is not our bug."""
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [f"{r.levelname} {r.name}: {r.getMessage()}" for r in bad]


@dataclass(frozen=True)
class Cut:
    """What a server did to a connection that stopped mid-request: what it sent, and when it closed."""

    data: bytes
    after_s: float

    @property
    def status(self) -> int | None:
        if not self.data.startswith(b"HTTP/1.1 "):
            return None
        return int(self.data.split()[1])

    @property
    def body(self) -> bytes:
        return self.data.partition(b"\r\n\r\n")[2]


async def stall(port: int, sent: bytes, *, limit_s: float = 30.0) -> Cut:
    """Connect, send ``sent`` (possibly nothing), then send no more: wait (at most ``limit_s``) for
    the server to close the connection. Fails if it is still open after ``limit_s``."""
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    started = loop.time()
    try:
        if sent:
            writer.write(sent)
            await writer.drain()
        chunks = []
        async with asyncio.timeout(limit_s):
            while chunk := await reader.read(65536):
                chunks.append(chunk)
        return Cut(b"".join(chunks), loop.time() - started)
    except TimeoutError:
        raise AssertionError(f"the server kept a stalled connection open for {limit_s} s") from None
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), 5)
