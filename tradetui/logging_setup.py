"""Logging for the headless mode and the CLI: readable (rich) or JSON lines on stderr, and log
files that rotate.

A filter masks anything that looks like a key or token before a record is written. Libraries
(httpx logs a line per request, websockets, aiohttp, SQLAlchemy …) are held at WARNING so the
trading events stay readable; ``-v`` turns them up to INFO and ``-vv`` to DEBUG. Log files
rotate by size (10 MB × 5 by default), so a bot left alone for weeks cannot fill a disk.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from tradetui.errors import ConfigError

_SECRET_PATTERNS = [
    re.compile(r"(Bearer\s+)[A-Za-z0-9._\-]+"),
    re.compile(r"((?:secret|access)[_-]?key\s*[=:]\s*)\S+", re.IGNORECASE),
    re.compile(r"(https://hooks\.slack\.com/services/)\S+"),
    re.compile(r"(bot)\d+:[A-Za-z0-9_\-]+"),
]


LIBRARY_LOGGERS = (
    "httpx",
    "httpcore",
    "websockets",
    "aiohttp",
    "asyncio",
    "sqlalchemy",
    "aiosqlite",
    "keyring",
    "urllib3",
    "hpack",
    "markdown_it",
)
"""Loggers of the libraries tradetui uses: quiet (WARNING) unless ``-v`` is given."""

LOG_FILE_MODE = 0o600


@dataclass(frozen=True, slots=True)
class LogRotation:
    """How big a log file may grow before it is rotated, and how many old files are kept."""

    max_bytes: int = 10 * 1024 * 1024
    backups: int = 5

    def __post_init__(self) -> None:
        if self.max_bytes < 1024:
            raise ConfigError(f"a log file must be allowed at least 1 KiB (--log-max-mb), not {self.max_bytes} bytes")
        if self.backups < 1:
            raise ConfigError(f"at least one old log file must be kept (--log-backups), not {self.backups}")

    @classmethod
    def from_megabytes(cls, max_mb: float, backups: int) -> LogRotation:
        return cls(max_bytes=int(max_mb * 1024 * 1024), backups=backups)


def levels_for(verbosity: int, *, quiet_level: int = logging.INFO) -> tuple[int, int]:
    """``(tradetui's level, the libraries' level)`` for ``-v`` given ``verbosity`` times.

    ``quiet_level`` is tradetui's own level without ``-v`` (the research commands use WARNING)."""
    if verbosity <= 0:
        return quiet_level, logging.WARNING
    if verbosity == 1:
        return logging.DEBUG, logging.INFO
    return logging.DEBUG, logging.DEBUG


def mask_secrets(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "****", text)
    return text


class SecretMaskFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = mask_secrets(str(record.msg))
        return True


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("client_order_id", "market", "event"):
            value = getattr(record, key, None)
            if value is not None:
                payload[key] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A size-rotated log file whose every generation is created with mode 0600."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, LOG_FILE_MODE)
        os.close(fd)
        os.chmod(self.baseFilename, LOG_FILE_MODE)
        return super()._open()


def _file_handler(path: str | os.PathLike[str], rotation: LogRotation) -> logging.Handler:
    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    handler = PrivateRotatingFileHandler(
        target, maxBytes=rotation.max_bytes, backupCount=rotation.backups, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


def _install(handlers: list[logging.Handler], level: int, library_level: int) -> None:
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    for handler in handlers:
        handler.addFilter(SecretMaskFilter())
        root.addHandler(handler)
    root.setLevel(level)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(library_level)


def configure_logging(
    *,
    fmt: str = "text",
    level: int = logging.INFO,
    library_level: int = logging.WARNING,
    log_file: str | os.PathLike[str] | None = None,
    rotation: LogRotation | None = None,
) -> None:
    """Send every log record to stderr, masked; stdout stays free for machine output.

    With ``log_file`` the same records also go to that file, rotated per ``rotation``."""
    handler: logging.Handler
    if fmt == "json":
        handler = logging.StreamHandler(sys.stderr)
        formatter = JsonLineFormatter()
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
    else:
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(
            console=Console(stderr=True),
            show_path=False,
            markup=False,
            log_time_format="%H:%M:%S",
            rich_tracebacks=False,
        )
    handlers: list[logging.Handler] = [handler]
    if log_file is not None:
        handlers.append(_file_handler(log_file, rotation or LogRotation()))
    _install(handlers, level, library_level)


def configure_file_logging(
    path: str | os.PathLike[str],
    *,
    level: int = logging.INFO,
    library_level: int = logging.WARNING,
    rotation: LogRotation | None = None,
) -> None:
    """TUI mode: the screen belongs to the app, so log records go to a file (mode 0600), rotated
    per ``rotation`` (10 MB × 5 by default)."""
    _install([_file_handler(path, rotation or LogRotation())], level, library_level)
