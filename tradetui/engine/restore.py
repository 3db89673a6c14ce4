"""What a journal's fills add up to, for a restart: the open positions, the closed round trips
and the chart's marks, booked through the engine's own :class:`Portfolio` (so the PnL is the
engine's). :meth:`Engine.recall_fills` uses it; :mod:`tradetui.execution.recovery` drives it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from tradetui.core.orders import Fill, Order
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import ZERO, Side
from tradetui.engine.portfolio import Portfolio, Position
from tradetui.engine.trade_marks import TradeMark

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FillReplay:
    positions: list[Position]
    """Open at the end of the fills; ``entry_ms`` is the creation of the episode's first order."""
    closed: list[ClosedTrade]
    """Round trips the fills closed; a trip's exit reason is the purpose of the order that closed it."""
    marks: list[TradeMark]


def replay_fills(fills: Iterable[tuple[Fill, Order]]) -> FillReplay:
    """Book ``(fill, its order)`` pairs in the order they were recorded. A sell beyond what was
    bought is logged and that market's position dropped: flagged, never guessed."""
    book = Portfolio(cash=ZERO)
    marks: list[TradeMark] = []
    for fill, order in fills:
        fresh = fill.market not in book.positions
        held = book.positions.get(fill.market)
        if held is not None and order.side is Side.ASK:
            held.exit_reason = order.purpose
        try:
            pos, closed = book.apply_fill(fill, strategy=order.strategy)
        except ValueError as exc:
            log.warning("journal fills do not add up on %s: %s", fill.market, exc)
            book.positions.pop(fill.market, None)
            continue
        marks.append(TradeMark.of_fill(fill, order.purpose, closed_position=closed is not None))
        if fresh:
            pos.entry_ms = order.created_ms
    return FillReplay(list(book.positions.values()), book.closed, marks)
