"""Logging: libraries quiet by default (httpx logs a line per poll), `-v` turns them up, and log
files rotate by size so a bot left alone cannot fill a disk."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tradetui.cli import build_parser
from tradetui.errors import ConfigError
from tradetui.logging_setup import (
    LIBRARY_LOGGERS,
    LogRotation,
    configure_file_logging,
    configure_logging,
    levels_for,
)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    libraries = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in libraries.items():
        logging.getLogger(name).setLevel(old)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_library_request_lines_are_quiet_by_default(tmp_path: Path) -> None:
    log_file = tmp_path / "bot.log"
    configure_logging(fmt="json", log_file=log_file)
    logging.getLogger("httpx").info('HTTP Request: GET https://api.upbit.com/v1/candles/minutes/1 "HTTP/1.1 200 OK"')
    logging.getLogger("websockets.client").info("connection open")
    logging.getLogger("tradetui.events").info("market buy 2,500,000 KRW")
    logging.getLogger("httpx").warning("retrying")
    text = log_file.read_text(encoding="utf-8")
    assert "HTTP Request" not in text
    assert "connection open" not in text
    assert "market buy 2,500,000 KRW" in text
    assert "retrying" in text


def test_verbose_turns_the_libraries_up(tmp_path: Path) -> None:
    log_file = tmp_path / "bot.log"
    level, library_level = levels_for(1)
    configure_logging(fmt="json", level=level, library_level=library_level, log_file=log_file)
    logging.getLogger("httpx").info("HTTP Request: GET /v1/ticker")
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    logging.getLogger("tradetui.engine").debug("bar closed")
    text = log_file.read_text(encoding="utf-8")
    assert "HTTP Request" in text
    assert "send_request_headers" not in text  # -vv for the libraries' debug lines
    assert "bar closed" in text
    assert levels_for(2) == (logging.DEBUG, logging.DEBUG)
    assert levels_for(0) == (logging.INFO, logging.WARNING)


def test_verbose_flag_counts() -> None:
    assert build_parser().parse_args(["-vv", "--no-ui"]).verbose == 2
    assert build_parser().parse_args(["--no-ui"]).verbose == 0


def test_log_file_rotates_at_its_size_and_keeps_the_count(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "tradetui.log"
    configure_file_logging(path, rotation=LogRotation(max_bytes=4096, backups=2))
    log = logging.getLogger("tradetui.test")
    for k in range(400):
        log.info("line %04d %s", k, "x" * 60)
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["tradetui.log", "tradetui.log.1", "tradetui.log.2"]
    for name in files:
        file = path.parent / name
        assert file.stat().st_size <= 4096
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert _lines(path)[-1].endswith("line 0399 " + "x" * 60)


def test_rotation_defaults_and_flags() -> None:
    args = build_parser().parse_args(["--no-ui"])
    rotation = LogRotation.from_megabytes(args.log_max_mb, args.log_backups)
    assert rotation == LogRotation(max_bytes=10 * 1024 * 1024, backups=5)
    args = build_parser().parse_args(["--log-max-mb", "2", "--log-backups", "3", "--no-ui"])
    assert LogRotation.from_megabytes(args.log_max_mb, args.log_backups) == LogRotation(2 * 1024 * 1024, 3)
    with pytest.raises(ConfigError, match="--log-max-mb"):
        LogRotation.from_megabytes(0.0001, 5)
