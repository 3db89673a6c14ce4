"""The token file: where a running engine's control API listens and the token it wants.

One JSON object, written with mode 0600 when the server starts and removed when it stops::

    {"version": 1, "pid": 4242, "url": "http://127.0.0.1:53124", "host": "127.0.0.1",
     "port": 53124, "unix_socket": null, "token": "…", "started_ms": 1760000000000}

With a Unix socket ``host``/``port`` are null, ``unix_socket`` is the socket's path and ``url``
is ``http://localhost`` (the socket carries the request).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tradetui.errors import TradetuiError

TOKEN_FILE_NAME = "control.json"
FORMAT_VERSION = 1


class ControlError(TradetuiError):
    """The control API refused a request or answered something unexpected."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EngineNotRunning(ControlError):
    """No engine answers: the token file is missing or stale, or the server is gone."""


def token_file_path(data_dir: Path) -> Path:
    return data_dir / TOKEN_FILE_NAME


@dataclass(frozen=True, slots=True)
class Endpoint:
    pid: int
    url: str
    host: str | None
    port: int | None
    unix_socket: str | None
    token: str
    started_ms: int
    version: int = FORMAT_VERSION

    def describe(self) -> str:
        return self.unix_socket if self.unix_socket is not None else f"{self.host}:{self.port}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Endpoint:
        try:
            return cls(
                pid=int(data["pid"]),
                url=str(data["url"]),
                host=None if data.get("host") is None else str(data["host"]),
                port=None if data.get("port") is None else int(data["port"]),
                unix_socket=None if data.get("unix_socket") is None else str(data["unix_socket"]),
                token=str(data["token"]),
                started_ms=int(data.get("started_ms", 0)),
                version=int(data.get("version", FORMAT_VERSION)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ControlError(f"malformed token file ({exc})") from None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def read_endpoint(token_file: Path) -> Endpoint:
    """The endpoint of the engine named by ``token_file``; :class:`EngineNotRunning` when none."""
    try:
        text = token_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EngineNotRunning(f"no running engine: {token_file} does not exist") from None
    except OSError as exc:
        raise EngineNotRunning(f"no running engine: cannot read {token_file} ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise EngineNotRunning(f"no running engine: {token_file} is not a token file") from None
    if not isinstance(data, dict):
        raise EngineNotRunning(f"no running engine: {token_file} is not a token file")
    endpoint = Endpoint.from_dict(data)
    if not pid_alive(endpoint.pid):
        raise EngineNotRunning(f"no running engine: process {endpoint.pid} named in {token_file} is gone (stale file)")
    return endpoint


def write_endpoint(token_file: Path, endpoint: Endpoint) -> None:
    """Write atomically with mode 0600 (created so, never chmod-ed after the fact)."""
    token_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = token_file.with_name(f".{token_file.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(endpoint.to_dict(), out)
            out.write("\n")
        os.replace(tmp, token_file)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def remove_endpoint(token_file: Path, token: str) -> None:
    """Remove the token file if it is still ours (another engine may have replaced a stale one)."""
    try:
        data = json.loads(token_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return
    if isinstance(data, dict) and data.get("token") == token:
        with contextlib.suppress(FileNotFoundError):
            token_file.unlink()
