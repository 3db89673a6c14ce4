"""Logging for the headless mode and the CLI: readable (rich) or JSON lines, always on stderr.

A filter masks anything that looks like a key or token before a record is written.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

_SECRET_PATTERNS = [
    re.compile(r"(Bearer\s+)[A-Za-z0-9._\-]+"),
    re.compile(r"((?:secret|access)[_-]?key\s*[=:]\s*)\S+", re.IGNORECASE),
    re.compile(r"(https://hooks\.slack\.com/services/)\S+"),
    re.compile(r"(bot)\d+:[A-Za-z0-9_\-]+"),
]


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


def configure_logging(*, fmt: str = "text", level: int = logging.INFO) -> None:
    """Send every log record to stderr, masked; stdout stays free for machine output."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
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
    handler.addFilter(SecretMaskFilter())
    root.addHandler(handler)
    root.setLevel(level)


def configure_file_logging(path: str | os.PathLike[str], *, level: int = logging.INFO) -> None:
    """TUI mode: the screen belongs to the app, so log records go to a file (mode 0600)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.close(fd)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = logging.FileHandler(target, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretMaskFilter())
    root.addHandler(handler)
    root.setLevel(level)
