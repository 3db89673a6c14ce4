"""Subscription requests of the sandbox WebSocket streams: parsing, validation and the refusals.

A request is one JSON array of ``{"ticket"}``, ``{"type", "codes", ...}`` and ``{"format"}``
objects (see :mod:`tradetui.sandbox.websocket` for the whole protocol); :func:`parse_subscription`
turns it into a :class:`Subscription` or raises the :class:`StreamError` the exchange would send.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tradetui.sandbox.candles import MINUTE_MS

CANDLE_PERIODS_MS = {
    "candle.1s": 1000,
    **{f"candle.{unit}m": unit * MINUTE_MS for unit in (1, 3, 5, 10, 15, 30, 60, 240)},
}
MARKET_TYPES = ("ticker", "trade", "orderbook")
PRIVATE_TYPES = ("myOrder", "myAsset")
FORMATS = {"upbit": ("DEFAULT", "SIMPLE", "JSON_LIST", "SIMPLE_LIST"), "bithumb": ("DEFAULT", "SIMPLE")}
SNAPSHOT_FLAGS = {"upbit": ("is_only_snapshot", "is_only_realtime"), "bithumb": ("isOnlySnapshot", "isOnlyRealtime")}


class StreamError(Exception):
    """A request the exchange refuses: sent as ``{"error": {"name", "message"}}``, then the close."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"name": self.name, "message": self.message}}


@dataclass(frozen=True, slots=True)
class TypeSubscription:
    type: str
    codes: tuple[str, ...]
    """Known codes only; for ``myOrder`` an empty tuple means every market."""
    depths: tuple[int, ...]
    """Orderbook levels per code (parallel to ``codes``)."""
    is_snapshot: bool
    is_realtime: bool
    level: int = 0

    def wants(self, code: str) -> bool:
        return code in self.codes or (self.type == "myOrder" and not self.codes)


@dataclass(frozen=True, slots=True)
class Subscription:
    ticket: str
    types: tuple[TypeSubscription, ...]
    format: str = "DEFAULT"

    @property
    def is_simple(self) -> bool:
        return self.format.startswith("SIMPLE")

    @property
    def is_list(self) -> bool:
        return self.format.endswith("_LIST")

    def listing(self) -> list[dict[str, Any]]:
        """The ``LIST_SUBSCRIPTIONS`` view of the set."""
        rows: list[dict[str, Any]] = []
        for item in self.types:
            codes = [
                f"{code}.{depth}" if item.type == "orderbook" else code
                for code, depth in zip(item.codes, item.depths, strict=True)
            ]
            rows.append({"type": item.type, "codes": codes})
        return rows


def parse_subscription(
    text: str, *, profile: str, is_private: bool, markets: Iterable[str], max_depth: int
) -> Subscription:
    """Validate one subscription request; raises :class:`StreamError` as the exchange would answer."""
    try:
        data = json.loads(text)
    except ValueError:
        raise StreamError("WRONG_FORMAT", "the request must be a JSON array") from None
    if not isinstance(data, list) or not data or not all(isinstance(item, dict) for item in data):
        raise StreamError("WRONG_FORMAT", "the request must be a JSON array of objects")
    tickets = [item["ticket"] for item in data if "ticket" in item]
    if not tickets or not isinstance(tickets[0], str) or not tickets[0].strip():
        raise StreamError("NO_TICKET", 'the request needs a {"ticket": ...} object')
    fmt = "DEFAULT"
    for item in data:
        if "format" in item:
            fmt = item["format"]
            if fmt not in FORMATS[profile]:
                raise StreamError("INVALID_PARAM", f"format must be one of {', '.join(FORMATS[profile])}")
    known = set(markets)
    types = [item for item in data if "type" in item]
    if not types:
        raise StreamError("NO_TYPE", 'the request needs at least one {"type": ...} object')
    allowed = (
        PRIVATE_TYPES if is_private else (*MARKET_TYPES, *(tuple(CANDLE_PERIODS_MS) if profile == "upbit" else ()))
    )
    snapshot_flag, realtime_flag = SNAPSHOT_FLAGS[profile]
    parsed = [_parse_type(item, allowed, known, snapshot_flag, realtime_flag, profile, max_depth) for item in types]
    return Subscription(tickets[0], tuple(parsed), fmt)


def _parse_type(
    item: dict[str, Any],
    allowed: tuple[str, ...],
    known: set[str],
    snapshot_flag: str,
    realtime_flag: str,
    profile: str,
    max_depth: int,
) -> TypeSubscription:
    kind = item["type"]
    if not isinstance(kind, str) or kind not in allowed:
        raise StreamError("INVALID_PARAM", f"type {kind!r} is not one of {', '.join(allowed)} on this endpoint")
    raw_codes = item.get("codes")
    if kind == "myAsset":
        raw_codes = []
    elif kind == "myOrder":
        raw_codes = raw_codes or []
    elif not raw_codes:
        raise StreamError("NO_CODES", f"type {kind} needs a non-empty codes list")
    if not isinstance(raw_codes, list) or not all(isinstance(code, str) for code in raw_codes):
        raise StreamError("WRONG_FORMAT", "codes must be a list of strings")
    flags = []
    for name in (snapshot_flag, realtime_flag):
        value = item.get(name, False)
        if not isinstance(value, bool):
            raise StreamError("INVALID_PARAM", f"{name} must be true or false")
        flags.append(value)
    only_snapshot, only_realtime = flags
    level = item.get("level", 0)
    levels = (0, 1) if profile == "bithumb" else (0,)
    if kind == "orderbook" and (isinstance(level, bool) or level not in levels):
        raise StreamError("INVALID_PARAM", f"level must be one of {levels} in the sandbox")
    codes: list[str] = []
    depths: list[int] = []
    for raw in raw_codes:
        code, depth = raw, max_depth
        if kind == "orderbook" and "." in raw:
            code, _, suffix = raw.partition(".")
            if not suffix.isdigit() or int(suffix) < 1:
                continue  # an unreadable depth makes an unknown code
            depth = min(int(suffix), max_depth)
        if code in known and code not in codes:  # lower-case or unknown codes are ignored
            codes.append(code)
            depths.append(depth)
    is_private = kind in PRIVATE_TYPES
    return TypeSubscription(
        kind,
        tuple(codes),
        tuple(depths),
        is_snapshot=not is_private and not only_realtime,
        is_realtime=is_private or not only_snapshot,
        level=int(level) if kind == "orderbook" else 0,
    )
