"""Wire conventions shared by the sandbox modules: the error envelope and number/time formats.

Private (exchange) numbers travel as strings ("NumberString"), public quotation numbers as JSON
numbers; order times carry an explicit ``+09:00`` offset; candle times are naive strings
(reference A3.2, A4, A5).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tradetui.core.clock import KST

EIGHT_PLACES = Decimal("0.00000001")
MAX_NUMBER_CHARS = 40
MAX_MESSAGE_CHARS = 300
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class ApiError(Exception):
    """An answer in the exchanges' envelope ``{"error": {"name", "message"}}`` with an HTTP status.

    ``name`` is a string for exchange errors and a number for quotation-style errors (A7).
    """

    def __init__(self, status: int, name: str | int, message: str, *, headers: dict[str, str] | None = None) -> None:
        if len(message) > MAX_MESSAGE_CHARS:  # never echo a whole hostile input back
            message = message[: MAX_MESSAGE_CHARS - 1] + "…"
        super().__init__(f"{status} {name}: {message}")
        self.status = status
        self.name = name
        self.message = message
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"error": {"name": self.name, "message": self.message}}


def num_text(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros: ``Decimal('1E+8')`` -> ``'100000000'``."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def opt_text(value: Decimal | None) -> str | None:
    return None if value is None else num_text(value)


def json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number (public quotation endpoints): int when integral."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def iso_kst(ts_ms: int) -> str:
    """``2025-09-01T09:00:00+09:00`` — the order ``created_at`` format."""
    return datetime.fromtimestamp(ts_ms / 1000, KST).isoformat(timespec="seconds")


def naive_utc(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def naive_kst(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, KST).strftime("%Y-%m-%dT%H:%M:%S")


def parse_decimal(value: object, field: str, *, error_name: str | int = "validation_error") -> Decimal:
    """A request number as a finite Decimal, else a 400 ``error_name`` naming the field.

    The text must be a plain decimal as the exchanges read one (``"0.01"``, ``"1e3"``): no
    underscores, spaces, non-ASCII digits, NaN or infinities, at most :data:`MAX_NUMBER_CHARS`.
    Its size is the order rules' business (:meth:`~tradetui.core.rules.MarketRules.limit_price_problem`).
    """
    if isinstance(value, bool) or value is None:
        raise ApiError(400, error_name, f"{field} must be a number")
    text = str(value)
    shown = text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"
    if len(text) > MAX_NUMBER_CHARS or not _DECIMAL.fullmatch(text):
        raise ApiError(
            400, error_name, f"{field} must be a decimal number of at most {MAX_NUMBER_CHARS} characters, got {shown!r}"
        )
    try:
        return Decimal(text)
    except ArithmeticError:  # an exponent beyond what a Decimal holds
        raise ApiError(400, error_name, f"{field} {shown} is out of range") from None
