"""The engine's bounded record of what it bought and sold: the chart's entry and exit markers.

Kept in every mode (backtest, demo, paper, live) by the engine itself, as fills are booked, so
a chart never depends on which journal a session happens to use. Bounded per market, so a bot
left running for months holds the latest ``capacity`` marks of each market and no more.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tradetui.core.orders import Fill
from tradetui.core.types import Side

MARKS_PER_MARKET = 500


class MarkKind(StrEnum):
    ENTRY = "entry"
    PARTIAL_EXIT = "partial_exit"
    """A sell that left part of the position open (a take-profit ladder step)."""
    EXIT = "exit"
    """The sell that made the position flat."""


@dataclass(frozen=True, slots=True)
class TradeMark:
    market: str
    ts_ms: int
    price: Decimal
    volume: Decimal
    kind: MarkKind
    purpose: str
    """Why the order was sent: entry, stop, take_profit, trailing_stop, signal_exit, flatten…"""

    @classmethod
    def of_fill(cls, fill: Fill, purpose: str, *, closed_position: bool) -> TradeMark:
        """The mark of a fill just booked: a buy is an entry, a sell an exit when it left the
        position flat and a partial exit otherwise."""
        kind = MarkKind.EXIT if closed_position else MarkKind.PARTIAL_EXIT
        return cls(
            fill.market, fill.ts_ms, fill.price, fill.volume, MarkKind.ENTRY if fill.side is Side.BID else kind, purpose
        )


class TradeMarks:
    def __init__(self, capacity_per_market: int = MARKS_PER_MARKET) -> None:
        if capacity_per_market < 1:
            raise ValueError("capacity_per_market must be at least 1")
        self.capacity_per_market = capacity_per_market
        self._by_market: dict[str, deque[TradeMark]] = {}

    def add(self, mark: TradeMark) -> None:
        marks = self._by_market.get(mark.market)
        if marks is None:
            marks = self._by_market[mark.market] = deque(maxlen=self.capacity_per_market)
        marks.append(mark)

    def extend(self, marks: Iterable[TradeMark]) -> None:
        for mark in marks:
            self.add(mark)

    def of(self, market: str, since_ms: int | None = None) -> tuple[TradeMark, ...]:
        """The marks of ``market`` (at or after ``since_ms``), oldest first."""
        marks = self._by_market.get(market, ())
        if since_ms is None:
            return tuple(marks)
        return tuple(m for m in marks if m.ts_ms >= since_ms)

    def __len__(self) -> int:
        return sum(len(m) for m in self._by_market.values())
