"""Keeping webhook URLs and bot tokens out of every log line.

Channels register their secrets here; a filter on our loggers and on the HTTP libraries' loggers
(httpx logs each request's URL at INFO, and a Telegram URL carries the bot token) replaces them
with ``****`` before any handler sees the record.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

_PATTERNS = (
    re.compile(r"(hooks\.slack\.com/(?:services|workflows|triggers)/)\S+"),
    re.compile(r"(bot)\d+:[A-Za-z0-9_\-]+"),
)

_secrets: set[str] = set()

THIRD_PARTY_LOGGERS = ("httpx", "slack_sdk", "slack_sdk.webhook.async_client", "aiohttp.client")


def mask_text(text: str) -> str:
    """``text`` with every registered secret and anything shaped like a webhook or bot token masked."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, "****")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "****", text)
    return text


class SecretFilter(logging.Filter):
    """Masks secrets in a record's message, arguments and exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            try:
                record.msg = record.getMessage()
            except (TypeError, ValueError):  # a malformed record: mask what is there
                record.msg = f"{record.msg} {record.args!r}"
            record.args = None
        record.msg = mask_text(str(record.msg))
        if record.exc_info and record.exc_info[1] is not None:
            # the formatted traceback would quote the exception: keep the type, mask the text
            exc = record.exc_info[1]
            record.msg = f"{record.msg} ({type(exc).__name__}: {mask_text(str(exc))})"
            record.exc_info = None
            record.exc_text = None
        return True


_FILTER = SecretFilter()


def protect(*secrets: str) -> None:
    """Register secrets (and a URL's path, which is where a webhook's secret lives) for masking,
    and make sure the loggers that could print them carry the filter."""
    for secret in secrets:
        if not secret:
            continue
        _secrets.add(secret)
        parts = urlsplit(secret)
        if parts.scheme and parts.path.strip("/"):
            _secrets.add(parts.path)
    for name in THIRD_PARTY_LOGGERS:
        guarded(logging.getLogger(name))


def guarded(logger: logging.Logger) -> logging.Logger:
    """``logger`` with the masking filter (filters are not inherited, so each logger needs it)."""
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def masked_logger(name: str) -> logging.Logger:
    """A logger for a third-party client (slack-sdk): INFO and up only (its DEBUG lines quote the
    URL), masked, propagating into ``tradetui.notify``."""
    parent = logging.getLogger("tradetui.notify")
    logger = logging.Logger(f"tradetui.notify.{name}", logging.INFO)
    logger.parent = parent
    logger.addFilter(_FILTER)
    return logger
