"""The order manager: every order is written to the intent log before it is sent, carries an
identifier that is never reused, and only moves along the order state machine.

Venue reports are checked against what we know: an illegal transition is logged and the
report is kept (the exchange is the truth), never silently dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from tradetui.core.clock import Clock
from tradetui.core.events import Event, Notice, OrderFilled, OrderUpdated, Severity
from tradetui.core.ids import new_identifier
from tradetui.core.orders import ORDER_TRANSITIONS, Fill, Order, OrderState, OrdType
from tradetui.core.ports import OrderJournal, Venue, VenueReport
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side

log = logging.getLogger(__name__)


class MemoryJournal:
    """Keeps the intent log in memory (backtests, tests); reads back like the SQLite journal."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.fills: list[Fill] = []
        self.closed: list[ClosedTrade] = []
        self._fill_keys: set[tuple[str, str]] = set()

    def record(self, order: Order) -> None:
        self.orders[order.identifier] = order

    def record_fill(self, fill: Fill) -> None:
        """Append a fill; one already recorded (same identifier and trade id) is left as it is."""
        key = (fill.identifier, fill.trade_id)
        if key not in self._fill_keys:
            self._fill_keys.add(key)
            self.fills.append(fill)

    def load_open_orders(self) -> list[Order]:
        return sorted((o for o in self.orders.values() if o.state.is_open), key=lambda o: (o.created_ms, o.identifier))

    def load_fills(self) -> list[tuple[Fill, Order]]:
        """Every fill in the order it was recorded, each with its order (fills of orders never
        recorded are skipped, as the SQLite journal's join skips them)."""
        return [(f, self.orders[f.identifier]) for f in self.fills if f.identifier in self.orders]

    def record_closed_trade(self, trade: ClosedTrade) -> None:
        self.closed.append(trade)

    def closed_trade_keys(self) -> set[tuple[str, int]]:
        return {(t.market, t.exit_ms) for t in self.closed}


@dataclass(slots=True)
class AppliedReport:
    order: Order
    fills: tuple[Fill, ...]


@dataclass(slots=True)
class OrderManager:
    venue: Venue
    journal: OrderJournal
    clock: Clock
    id_prefix: str = "tt"
    deterministic_ids: bool = False
    """Backtests number their identifiers so that two runs give identical records."""
    orders: dict[str, Order] = field(default_factory=dict)
    finished: dict[str, Order] = field(default_factory=dict)
    """Recently finished orders (bounded): a late report of one still has its fills applied."""
    finished_capacity: int = 2000
    _counter: int = 0

    def _identifier(self) -> str:
        self._counter += 1
        now = self.clock.now_ms()
        return new_identifier(self.id_prefix, now, counter=self._counter if self.deterministic_ids else None)

    def market_buy(self, market: str, amount_krw: Decimal, *, purpose: str, strategy: str) -> Order:
        return Order(
            self._identifier(),
            market,
            Side.BID,
            OrdType.PRICE,
            amount_krw,
            None,
            self.clock.now_ms(),
            purpose=purpose,
            strategy=strategy,
        )

    def market_sell(self, market: str, volume: Decimal, *, purpose: str, strategy: str) -> Order:
        return Order(
            self._identifier(),
            market,
            Side.ASK,
            OrdType.MARKET,
            None,
            volume,
            self.clock.now_ms(),
            purpose=purpose,
            strategy=strategy,
        )

    def limit(self, market: str, side: Side, price: Decimal, volume: Decimal, *, purpose: str, strategy: str) -> Order:
        return Order(
            self._identifier(),
            market,
            side,
            OrdType.LIMIT,
            price,
            volume,
            self.clock.now_ms(),
            purpose=purpose,
            strategy=strategy,
        )

    def submit(self, order: Order) -> list[Event]:
        """Record the intent, then send. The intent is durable before the venue hears of it."""
        if order.state is not OrderState.INTENT:
            raise ValueError(f"only new intents can be submitted, {order.identifier} is {order.state}")
        if order.identifier in self.orders:
            raise ValueError(f"identifier {order.identifier} was already used")
        self.journal.record(order)
        self.orders[order.identifier] = order
        log.debug("order intent %s", order.identifier, extra={"client_order_id": order.identifier})
        self.venue.submit(order)
        return [OrderUpdated(order.created_ms, order)]

    def cancel(self, identifier: str) -> None:
        order = self.orders.get(identifier)
        if order is not None and order.state.is_open:
            self.venue.cancel(identifier)

    def open_orders(self, market: str | None = None) -> list[Order]:
        return [o for o in self.orders.values() if o.state.is_open and (market is None or o.market == market)]

    def apply(self, reports: list[VenueReport]) -> tuple[list[AppliedReport], list[Event]]:
        applied: list[AppliedReport] = []
        events: list[Event] = []
        for report in reports:
            new = report.order
            known = self.orders.get(new.identifier)
            if known is None and new.identifier in self.finished:
                if not report.fills:
                    continue  # a repeat of a final state we already have
                known = self.finished[new.identifier]
            elif known is None:
                events.append(
                    Notice(
                        new.updated_ms, f"venue reported an order we did not place: {new.identifier}", Severity.WARNING
                    )
                )
            elif new.state not in ORDER_TRANSITIONS[known.state] and new.state is not known.state:
                events.append(
                    Notice(
                        new.updated_ms,
                        f"order {new.identifier}: unexpected {known.state} -> {new.state}",
                        Severity.ERROR,
                    )
                )
            # fills first, then the state: a crash in between leaves the order open in the
            # journal (looked up again on restart, the fills re-stored idempotently), never
            # finished with fills missing
            for fill in report.fills:
                self.journal.record_fill(fill)
                events.append(OrderFilled(fill.ts_ms, fill, new.purpose))
            self.orders[new.identifier] = new
            self.journal.record(new)
            if known is None or new.state is not known.state or not report.fills:
                events.append(OrderUpdated(new.updated_ms, new))
            if new.state.is_terminal and known is not None:
                # keep memory bounded: terminal orders live on in the journal
                self.orders.pop(new.identifier, None)
                self.finished[new.identifier] = new
                if len(self.finished) > self.finished_capacity:
                    del self.finished[next(iter(self.finished))]
            applied.append(AppliedReport(new, report.fills))
        return applied, events
