"""Restart recovery of a live session: the orders the last run left open resolved on the
exchange, the positions rebuilt from the journal's fills and re-armed with their stored exits,
then orders and balances checked against the exchange (:func:`reconcile`).

It drives the engine only through its public restart methods (:class:`Restorable`: ``Engine``
has them), the venue through :class:`RecoveryVenue` (``ExchangeVenue``) and the journal through
:class:`RecoveryJournal` (the SQLite journal, or :class:`MemoryJournal` in tests).

The order of the steps is the safety argument:

1. every order the journal says may be open is looked up by its identifier; its final state and
   every fill reach the journal before positions are rebuilt (an order is never resent);
2. positions are what the journal's fills add up to; a position keeps its stored exits when they
   belong to the same episode, else its exits are armed afresh from the average price. Round trips
   the fills closed and that are not stored yet join the history;
3. what is still open is adopted (the venue keeps following it); the rest is checked: orders
   never sent are closed, unanswered ones stay unknown and are looked up until the exchange
   answers, foreign orders and balance differences are flagged. Cash is the exchange's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from tradetui.core.clock import Clock
from tradetui.core.events import Event
from tradetui.core.orders import Fill, Order
from tradetui.core.ports import Balance, ExchangeView, krw_total
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import ZERO
from tradetui.errors import VenueError
from tradetui.execution.reconcile import ReconcileReport, reconcile

log = logging.getLogger(__name__)


class HeldPosition(Protocol):
    """A position the journal's fills add up to."""

    @property
    def market(self) -> str: ...
    @property
    def strategy(self) -> str: ...
    @property
    def volume(self) -> Decimal: ...
    @property
    def avg_price(self) -> Decimal: ...
    @property
    def entry_ms(self) -> int: ...


class Replayed(Protocol):
    @property
    def positions(self) -> Sequence[HeldPosition]: ...
    @property
    def closed(self) -> Sequence[ClosedTrade]: ...


class SavedExits(Protocol):
    """A position as stored with its exit state (``StoredPosition``)."""

    @property
    def market(self) -> str: ...
    @property
    def strategy(self) -> str: ...
    @property
    def opened_ms(self) -> int: ...
    @property
    def stop_state(self) -> Mapping[str, Any]: ...


class Restorable(Protocol):
    """The engine's public restart methods."""

    @property
    def clock(self) -> Clock: ...
    def trades(self, market: str, strategy: str) -> bool: ...
    def holdings(self) -> dict[str, Decimal]: ...
    def recall_fills(self, fills: Iterable[tuple[Fill, Order]]) -> Replayed: ...
    def restore_position(
        self,
        market: str,
        *,
        strategy: str,
        volume: Decimal,
        avg_price: Decimal,
        entry_ms: int,
        exit_state: Mapping[str, object] | None,
    ) -> object: ...
    def adopt_order(self, order: Order) -> None: ...
    def set_cash(self, krw: Decimal) -> None: ...
    def emit(self, events: Iterable[Event]) -> None: ...


class RecoveryVenue(Protocol):
    """What recovery asks of the exchange venue."""

    async def lookup(self, identifier: str) -> tuple[Order, list[Fill]] | None: ...
    def adopt(self, order: Order, seen_trades: Iterable[str] = ()) -> None: ...
    def exchange_view(self) -> ExchangeView: ...
    async def refresh_balances(self) -> dict[str, Balance]: ...


class RecoveryJournal(Protocol):
    """The intent log as recovery reads and completes it."""

    def record(self, order: Order) -> None: ...
    def record_fill(self, fill: Fill) -> None: ...
    def load_open_orders(self) -> list[Order]: ...
    def load_fills(self) -> list[tuple[Fill, Order]]: ...
    def closed_trade_keys(self) -> set[tuple[str, int]]: ...
    def record_closed_trade(self, trade: ClosedTrade) -> None: ...


@dataclass(slots=True)
class Recovery:
    """What a restart found and did."""

    resolved: dict[str, tuple[Order, list[Fill]]] = field(default_factory=dict)
    """Orders the journal had open, as the exchange answered for them, with their fills."""
    restored: list[str] = field(default_factory=list)
    """Markets whose positions were re-armed."""
    rearmed_afresh: list[str] = field(default_factory=list)
    """Of those, the markets whose stored exits were missing or of an earlier episode."""
    left_alone: list[str] = field(default_factory=list)
    """Markets held by a strategy that does not trade them in this config."""
    closed_added: int = 0
    """Round trips the fills closed that the history did not have yet."""
    report: ReconcileReport = field(default_factory=ReconcileReport)
    cash: Decimal = ZERO


async def recover(
    engine: Restorable,
    venue: RecoveryVenue,
    journal: RecoveryJournal,
    saved: Iterable[SavedExits],
) -> Recovery:
    """Resolve, rebuild, re-arm and reconcile (the module docstring has the steps); call after
    the engine's warm-up and before it trades. ``saved``: the stored positions with their exits."""
    result = Recovery()
    stored = {p.market: p for p in saved}
    now = engine.clock.now_ms()
    # 1. resolve what the journal had open
    answers: dict[str, Order | VenueError | None] = {}
    for local in journal.load_open_orders():
        try:
            found = await venue.lookup(local.identifier)
        except VenueError as exc:  # no answer proves nothing: reconcile() keeps it unknown
            answers[local.identifier] = exc
            continue
        if found is None:  # never reached the exchange: reconcile() closes it as rejected
            answers[local.identifier] = None
            continue
        order, fills = found
        answers[local.identifier] = order
        order = order.with_local_fields(local)
        for fill in fills:
            journal.record_fill(fill)
        journal.record(order)
        result.resolved[order.identifier] = (order, fills)
    # 2. positions from the fills, exits from the stored state
    journaled = journal.load_fills()  # complete now: step 1 journaled what the exchange reported
    replay = engine.recall_fills(journaled)
    known_trades = journal.closed_trade_keys()
    for trade in replay.closed:
        if (trade.market, trade.exit_ms) not in known_trades:
            journal.record_closed_trade(trade)
            result.closed_added += 1
    for pos in replay.positions:
        if not engine.trades(pos.market, pos.strategy):
            log.warning("position %s of %s is not traded by this config; left alone", pos.market, pos.strategy)
            result.left_alone.append(pos.market)
            continue
        keep = stored.get(pos.market)
        same_episode = keep is not None and keep.strategy == pos.strategy and keep.opened_ms >= pos.entry_ms
        if keep is not None and same_episode and keep.stop_state:
            exit_state, entry_ms = dict(keep.stop_state), keep.opened_ms
        else:  # killed before its exits were stored
            exit_state, entry_ms = None, pos.entry_ms
            result.rearmed_afresh.append(pos.market)
        engine.restore_position(
            pos.market,
            strategy=pos.strategy,
            volume=pos.volume,
            avg_price=pos.avg_price,
            entry_ms=entry_ms,
            exit_state=exit_state,
        )
        result.restored.append(pos.market)
        log.info("restored %s %s @ %s with exits re-armed", pos.market, pos.volume, pos.avg_price)
    # 3. adopt what is open; check the rest
    local_open = journal.load_open_orders()
    view = _AskedOnce(venue.exchange_view(), answers)
    report = await reconcile(view, local_open, expected_holdings=engine.holdings(), now_ms=now)
    result.report = report
    for order in report.never_sent:
        journal.record(order)
    for order in report.unanswered:  # unknown until the exchange answers: the venue keeps asking
        journal.record(order)
        venue.adopt(order, [f.trade_id for f, _ in journaled if f.identifier == order.identifier])
        engine.adopt_order(order)
    locals_by_id = {o.identifier: o for o in local_open}
    for open_order in report.still_open:
        order = open_order.with_local_fields(locals_by_id[open_order.identifier])
        journal.record(order)
        venue.adopt(order, [f.trade_id for f in result.resolved.get(order.identifier, (order, []))[1]])
        engine.adopt_order(order)
    engine.emit(report.events)
    result.cash = krw_total(await venue.refresh_balances())
    engine.set_cash(result.cash)
    log.info(
        "reconciled: %d orders resolved, %d adopted open, %d never sent, %d without an answer, %d foreign, "
        "%d balance differences",
        len(result.resolved),
        len(report.still_open),
        len(report.never_sent),
        len(report.unanswered),
        len(report.foreign),
        len(report.balance_differences),
    )
    for order in report.unanswered:
        log.warning(
            "order %s: the exchange did not answer its lookup; it stays %s (never sent again) and is looked up "
            "until the exchange answers",
            order.identifier,
            order.state,
            extra={"client_order_id": order.identifier},
        )
    return result


class _AskedOnce:
    """The exchange as reconciliation sees it, answering for the orders already looked up on
    this start from those answers (each order is asked for once; a lookup that got no answer
    raises its error again, and reconciliation keeps that order unknown)."""

    def __init__(self, view: ExchangeView, answers: dict[str, Order | VenueError | None]) -> None:
        self._view = view
        self._answers = answers

    async def order_by_identifier(self, identifier: str) -> Order | None:
        if identifier not in self._answers:
            return await self._view.order_by_identifier(identifier)
        answer = self._answers[identifier]
        if isinstance(answer, VenueError):
            raise answer
        return answer

    async def open_orders(self) -> list[Order]:
        return await self._view.open_orders()

    async def balances(self) -> dict[str, Balance]:
        return await self._view.balances()
