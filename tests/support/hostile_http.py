"""The hostile-HTTP corpus of ``tests/fixtures/hostile_http`` and a raw socket client for it.

Shared by the control API and sandbox tests (``pythonpath`` puts this directory on ``sys.path``).
"""

from __future__ import annotations

import asyncio
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
        body = Body(row["file"], row["content_type"], dict(row.get("headers", {})), row["why"])
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
        try:
            await asyncio.wait_for(writer.wait_closed(), 5)
        except (OSError, TimeoutError):
            pass


def assert_no_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing at ERROR or above, and no traceback at any level: hostile input is not our bug."""
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [f"{r.levelname} {r.name}: {r.getMessage()}" for r in bad]
