"""Events the sandbox emits for its (later) WebSocket streams: myOrder, myAsset, trade, orderbook.

Subscribers get a bounded queue; a slow consumer loses the oldest events, never blocks the
exchange (STYLE 3.5). Publishing with no subscriber costs one empty-list check.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class OrderChanged:
    """myOrder: ``kind`` is ``wait`` (accepted), ``trade`` (one fill), ``done`` or ``cancel``."""

    access_key: str
    kind: str
    order: dict[str, Any]
    """The order's wire form (Upbit field names) after the change."""
    fill: dict[str, Any] | None
    ts_ms: int


@dataclass(frozen=True, slots=True)
class AssetChanged:
    """myAsset: only the currencies that changed, as ``(currency, balance, locked)``."""

    access_key: str
    assets: tuple[tuple[str, Decimal, Decimal], ...]
    ts_ms: int


@dataclass(frozen=True, slots=True)
class TradePrinted:
    market: str
    ts_ms: int
    price: Decimal
    volume: Decimal
    ask_bid: str
    sequential_id: int


@dataclass(frozen=True, slots=True)
class BookMoved:
    market: str
    ts_ms: int


SandboxEvent = OrderChanged | AssetChanged | TradePrinted | BookMoved


class EventHub:
    """Fan-out of sandbox events to bounded subscriber queues."""

    def __init__(self) -> None:
        self._queues: list[asyncio.Queue[SandboxEvent]] = []

    @property
    def has_subscribers(self) -> bool:
        return bool(self._queues)

    def subscribe(self, maxsize: int = 1000) -> asyncio.Queue[SandboxEvent]:
        queue: asyncio.Queue[SandboxEvent] = asyncio.Queue(maxsize)
        self._queues.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[SandboxEvent]) -> None:
        if queue in self._queues:
            self._queues.remove(queue)

    def publish(self, event: SandboxEvent) -> None:
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)
