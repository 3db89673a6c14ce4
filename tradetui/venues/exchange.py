"""A venue on a real exchange (or the sandbox): the live engine's orders go over the network.

``submit`` and ``cancel`` return at once; the request runs as a task owned by the venue and
its outcome arrives through ``drain`` (the engine's decision step never waits on the network).
The intent is already in the journal when ``submit`` is called.

Outcomes of a placement:
* accepted → the exchange's version of the order;
* rejected (definitive) → ``rejected`` with the exchange's error name;
* rate limited (429: not accepted) → sent again after the wait (closed as rejected when the
  engine is stopping: a 429 proves the order was not taken);
* no answer (timeout, 5xx, unreadable) → ``unknown``, then resolved by asking for the
  identifier. Only answers count, never the time spent: found → adopted in its state; "not
  found" ``unknown_lookups`` times, spaced out (so a request still on its way can land) →
  closed as rejected (it never became an order). Lookups that get no answer prove nothing:
  after ``unanswered_lookups`` of them the round ends, the order stays ``unknown`` and the
  poller keeps asking (a "not found" starts a new round). An unknown order is never sent again.

A clean stop (:meth:`settle`) lets every request in flight reach its answer, gives each order
still unknown one more round of lookups, and only an exchange that does not answer leaves an
order unknown: it stays so in the journal, and the next start looks it up (reconciliation).

Open orders are polled for fills; fills are reported once each (by trade id).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from decimal import Decimal

from tradetui.core.clock import Clock
from tradetui.core.market import OrderBook
from tradetui.core.orders import Fill, Order, OrderState
from tradetui.core.ports import Balance, ExchangeView, VenueReport
from tradetui.core.rules import MarketRules, RuleBook, rule_book
from tradetui.errors import OrderRejected, OrderStateUnknown, RateLimited, VenueError
from tradetui.exchanges.errors import OrderNotFound
from tradetui.exchanges.rest import ExchangeClient

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class ExchangeVenue:
    def __init__(
        self,
        client: ExchangeClient,
        clock: Clock,
        *,
        poll_interval_s: float = 1.0,
        unknown_lookups: int = 4,
        unknown_wait_s: float = 0.5,
        unknown_max_wait_s: float = 4.0,
        unanswered_lookups: int = 8,
        stop_unanswered_lookups: int = 2,
        sleep: Sleep = asyncio.sleep,
        rules: RuleBook | None = None,
    ) -> None:
        """``unknown_lookups``: "not found" answers that prove an unknown order never became one;
        the lookups wait ``unknown_wait_s``, doubling up to ``unknown_max_wait_s``, before each
        (0.5 + 1 + 2 + 4 s: a request still on its way has landed by then). A round of lookups
        that got no answer ``unanswered_lookups`` times (``stop_unanswered_lookups`` during a
        clean stop) ends with the order still unknown."""
        self.client = client
        self.clock = clock
        self._rules = rules
        """The exchange's dated rules as the session configured them (fees, volume decimals);
        the exchange's own when not given."""
        self.poll_interval_s = poll_interval_s
        self.unknown_lookups = unknown_lookups
        self.unknown_wait_s = unknown_wait_s
        self.unknown_max_wait_s = unknown_max_wait_s
        self.unanswered_lookups = unanswered_lookups
        self.stop_unanswered_lookups = stop_unanswered_lookups
        self._sleep = sleep
        self._reports: list[VenueReport] = []
        self._open: dict[str, Order] = {}
        self._sent: dict[str, Order] = {}
        """What we sent, by identifier: purpose and strategy live only here, not on the exchange."""
        self._placing: dict[str, Order] = {}
        """Orders whose placement request has not been answered yet."""
        self._resolving: set[str] = set()
        """Unknown orders with a round of lookups running."""
        self._not_found: dict[str, int] = {}
        """"Not found" answers so far per unknown order (over all its rounds)."""
        self._acknowledged: set[str] = set()
        """Orders the exchange answered for: "not found" never closes them as never sent."""
        self._stopping = False
        self._seen_trades: dict[str, set[str]] = {}
        self._balances: dict[str, Balance] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.reports_ready = asyncio.Event()
        """Set whenever something waits in :meth:`drain`; the runner then calls ``engine.poll()``."""

    # --- Venue protocol ------------------------------------------------------------------------

    answers_at_once = False

    def rules_at(self, now_ms: int) -> MarketRules:
        if self._rules is None:
            self._rules = rule_book(self.client.profile.exchange)
        return self._rules.at(now_ms // 1000)

    # the exchange fills its own orders: the market's prices are no news to it

    def mark(self, market: str, price: float) -> None:
        pass

    def touch(self, market: str, open_: float | None, high: float, low: float, volume: float | None = None) -> None:
        pass

    def walk_book(self, market: str, book: OrderBook) -> None:
        pass

    def on_trade(self, market: str, price: Decimal) -> None:
        pass

    def submit(self, order: Order) -> None:
        self._sent[order.identifier] = order
        self._placing[order.identifier] = order
        self._spawn(self._place(order), f"place {order.identifier}")

    def cancel(self, identifier: str) -> None:
        self._spawn(self._cancel(identifier), f"cancel {identifier}")

    def drain(self) -> list[VenueReport]:
        reports, self._reports = self._reports, []
        self.reports_ready.clear()
        return reports

    def balances(self) -> dict[str, Balance]:
        return dict(self._balances)

    def open_orders(self) -> list[Order]:
        return list(self._open.values())

    # --- reconciliation ------------------------------------------------------------------------

    def exchange_view(self) -> ExchangeView:
        """What reconciliation asks the exchange on start."""
        return _View(self)

    async def refresh_balances(self) -> dict[str, Balance]:
        self._balances = await self.client.accounts()
        return dict(self._balances)

    # --- lifecycle -----------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll open orders for fills until cancelled (run it as a task beside the engine).

        An unknown order whose lookups are running is left to them."""
        while True:
            await self._sleep(self.poll_interval_s)
            for order in list(self._open.values()):
                if order.identifier not in self._resolving:
                    await self._refresh(order)

    async def settle(self, limit_s: float) -> list[Order]:
        """A clean stop: let every request in flight get its answer, and give every order still
        unknown one more round of lookups; returns the orders left without an answer.

        Waiting is bounded by attempts (each request has its timeouts, each round its count of
        lookups), not by a deadline; ``limit_s`` only caps an exchange that stops answering in
        the middle of requests. What is left is logged: it stays unknown in the journal (never
        sent again) and the next start looks it up."""
        self._stopping = True
        for order in list(self._open.values()):
            if order.state is OrderState.UNKNOWN and order.identifier not in self._resolving:
                self._start_resolution(order)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit_s
        while True:  # answers can start more work (a cancel's refresh starts a round of lookups)
            pending = [t for t in self._tasks if not t.done()]
            left_s = deadline - loop.time()
            if not pending or left_s <= 0:
                break
            await asyncio.wait(pending, timeout=left_s)
        left: list[Order] = []
        for order in self._placing.values():
            unknown = order.to_state(OrderState.UNKNOWN, self.clock.now_ms(), reason="no answer before the stop")
            self._report(unknown)
            left.append(unknown)
            log.warning(
                "order %s: its placement had no answer when the engine stopped; it stays unknown in the journal, "
                "is never sent again, and the next start looks it up",
                order.identifier,
                extra={"client_order_id": order.identifier},
            )
        for order in self._open.values():
            if order.state is OrderState.UNKNOWN and order.identifier not in self._placing:
                left.append(order)
                log.warning(
                    "order %s stays unknown: the exchange did not answer whether it has it before the engine "
                    "stopped; it stays unknown in the journal, is never sent again, and the next start looks it up",
                    order.identifier,
                    extra={"client_order_id": order.identifier},
                )
        return left

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def adopt(self, order: Order, seen_trades: Iterable[str] = ()) -> None:
        """Track an order found open on the exchange at start-up (reconciliation), or one whose
        lookup got no answer there (``unknown``: its lookups start now).

        ``seen_trades``: trade ids already applied (in the journal), never reported again."""
        self._seen_trades.setdefault(order.identifier, set()).update(seen_trades)
        if order.state.is_open:
            self._open[order.identifier] = order
            self._sent.setdefault(order.identifier, order)
        if order.state is OrderState.UNKNOWN and order.identifier not in self._resolving:
            self._start_resolution(order)

    async def lookup(self, identifier: str, *, attempts: int = 3) -> tuple[Order, list[Fill]] | None:
        """The exchange's version of our order and its fills; None if the exchange says it does not exist.

        Transient failures are retried (bounded); if the exchange never answers, the last
        error is raised: an order is never taken for absent without a definitive answer."""
        for attempt in range(attempts):
            try:
                return await self.client.get_order(identifier=identifier)
            except OrderNotFound:
                return None
            except VenueError as exc:
                if attempt == attempts - 1:
                    raise
                log.info("lookup of %s failed (%s); asking again", identifier, exc)
                await self._sleep(self.unknown_wait_s * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    # --- internals -----------------------------------------------------------------------------

    def _spawn(self, work: Awaitable[None], name: str) -> None:
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _report(self, order: Order, fills: tuple[Fill, ...] = ()) -> None:
        sent = self._sent.get(order.identifier)
        if sent is not None and sent is not order:
            order = replace(order.with_local_fields(sent), reason=order.reason or sent.reason)
        if order.state.is_open:
            self._open[order.identifier] = order
        else:
            self._open.pop(order.identifier, None)
            self._sent.pop(order.identifier, None)
            self._not_found.pop(order.identifier, None)
            self._acknowledged.discard(order.identifier)
        self._reports.append(VenueReport(order, fills))
        self.reports_ready.set()

    async def _place(self, order: Order) -> None:
        try:
            await self._place_once(order)
        finally:
            self._placing.pop(order.identifier, None)

    async def _place_once(self, order: Order) -> None:
        attempt = 0
        while True:
            try:
                placed = await self.client.place(order)
            except RateLimited as exc:  # refused before it was processed: safe to send again
                if self._stopping:
                    self._placing.pop(order.identifier, None)
                    reason = "rate limited (429) while the engine stopped; not sent again"
                    self._report(order.to_state(OrderState.REJECTED, self.clock.now_ms(), reason=reason))
                    return
                attempt += 1
                await self._sleep(max(exc.retry_after_s, 0.2 * attempt))
                continue
            except OrderRejected as exc:
                self._placing.pop(order.identifier, None)
                self._report(order.to_state(OrderState.REJECTED, self.clock.now_ms(), reason=exc.name or str(exc)))
                return
            except OrderStateUnknown as exc:
                log.warning("order %s: %s", order.identifier, exc, extra={"client_order_id": order.identifier})
                await self._unknown(order, "no answer; resolving")
                return
            except VenueError as exc:  # anything else before an answer: treat as unknown, never resend
                log.warning("order %s: %s", order.identifier, exc, extra={"client_order_id": order.identifier})
                await self._unknown(order, str(exc))
                return
            self._placing.pop(order.identifier, None)
            self._acknowledged.add(order.identifier)
            if placed.executed_volume > 0 or not placed.state.is_open:
                await self._report_with_fills(placed)
            else:
                self._report(placed)
            return

    async def _unknown(self, order: Order, reason: str) -> None:
        """The placement got no answer: report it unknown and resolve it here (this task)."""
        self._placing.pop(order.identifier, None)
        self._report(order.to_state(OrderState.UNKNOWN, self.clock.now_ms(), reason=reason))
        self._resolving.add(order.identifier)
        await self._resolve_unknown(order)

    async def _report_with_fills(self, placed: Order) -> None:
        """An order that filled at once: report it together with its fills (asked for by id)."""
        for attempt in range(self.unknown_lookups):
            try:
                found, fills = await self.client.get_order(identifier=placed.identifier)
            except VenueError as exc:
                log.info("fills of %s not readable yet (%s)", placed.identifier, exc)
                await self._sleep(self.unknown_wait_s * (attempt + 1))
                continue
            self._report(found, self._new_fills(found.identifier, fills))
            await self._refresh_balances_quietly()
            return
        if placed.state.is_open:  # still unreadable: keep it open so the poller keeps asking for its fills
            self._report(placed)
            return
        # finished, but without its fills: never stored as finished without them (a stop or a
        # crash would lose them); unknown until a lookup reads them (poller, stop, next start)
        reason = f"{placed.state} on the exchange; its fills not read yet"
        self._report(replace(placed, state=OrderState.UNKNOWN, updated_ms=self.clock.now_ms(), reason=reason))

    async def _refresh_balances_quietly(self) -> None:
        try:
            await self.refresh_balances()
        except VenueError as exc:
            log.info("balance refresh failed: %s", exc)

    def _start_resolution(self, order: Order) -> None:
        self._resolving.add(order.identifier)
        self._spawn(self._resolve_unknown(order), f"resolve {order.identifier}")

    async def _resolve_unknown(self, order: Order) -> None:
        """One round of lookups of an unknown order (see the module docstring)."""
        identifier = order.identifier
        extra = {"client_order_id": identifier}
        wait_s = self.unknown_wait_s
        unanswered = unanswered_stopping = 0
        try:
            while True:
                await self._sleep(wait_s)
                wait_s = min(wait_s * 2, self.unknown_max_wait_s)
                current = self._open.get(identifier)
                if current is None or current.state is not OrderState.UNKNOWN:
                    return  # resolved meanwhile (the poller, a cancel's refresh)
                try:
                    found, fills = await self._ask(identifier)
                except OrderNotFound:
                    not_found = self._not_found[identifier] = self._not_found.get(identifier, 0) + 1
                    if not_found >= self.unknown_lookups:
                        reason = f"never reached the exchange (identifier not found {not_found} times)"
                        log.info("order %s: %s", identifier, reason, extra=extra)
                        self._report(current.to_state(OrderState.REJECTED, self.clock.now_ms(), reason=reason))
                        return
                    continue
                except VenueError as exc:  # no answer proves nothing: ask again (bounded)
                    if self._stopping:
                        unanswered_stopping += 1
                    else:
                        unanswered += 1
                    if unanswered >= self.unanswered_lookups or unanswered_stopping >= self.stop_unanswered_lookups:
                        if not self._stopping:  # (a stop says it once for every order it leaves)
                            log.warning(
                                "order %s: the exchange did not answer %d lookups about it; it stays unknown, is "
                                "never sent again, and is looked up at every poll (a restart settles it at the latest)",
                                identifier,
                                unanswered,
                                extra=extra,
                            )
                        return
                    log.info("order %s still unknown (%s)", identifier, exc, extra=extra)
                    continue
                self._report(found, self._new_fills(found.identifier, fills))
                if fills or not found.state.is_open:
                    await self._refresh_balances_quietly()
                return
        finally:
            self._resolving.discard(identifier)

    async def _ask(self, identifier: str) -> tuple[Order, list[Fill]]:
        """The order by identifier; "not found" of one the exchange answered for before is no
        proof of anything (a glitch) and is raised as no answer."""
        try:
            return await self.client.get_order(identifier=identifier)
        except OrderNotFound as exc:
            if identifier in self._acknowledged:
                raise VenueError(f"order {identifier} not found, although the exchange answered for it") from exc
            raise

    async def _cancel(self, identifier: str) -> None:
        try:
            await self.client.cancel(identifier=identifier)
        except OrderNotFound:
            pass  # already finished, or never placed: the refresh below tells which
        except VenueError as exc:
            log.warning("cancel %s failed: %s", identifier, exc, extra={"client_order_id": identifier})
        order = self._open.get(identifier)
        if order is not None:
            await self._refresh(order)

    async def _refresh(self, order: Order) -> None:
        try:
            found, fills = await self.client.get_order(identifier=order.identifier)
        except OrderNotFound:
            if order.state is OrderState.UNKNOWN and order.identifier not in self._resolving:
                self._start_resolution(order)  # "not found" counts only with the spacing of a round
            return
        except VenueError as exc:
            log.info("refresh of %s failed: %s", order.identifier, exc)
            return
        self._acknowledged.add(order.identifier)
        new = self._new_fills(found.identifier, fills)
        known = self._open.get(order.identifier, order)
        if new or found.state is not known.state or found.executed_volume != known.executed_volume:
            self._report(found, new)
            await self._refresh_balances_quietly()

    def _new_fills(self, identifier: str, fills: list[Fill]) -> tuple[Fill, ...]:
        seen = self._seen_trades.setdefault(identifier, set())
        fresh = tuple(f for f in fills if f.trade_id not in seen)
        seen.update(f.trade_id for f in fresh)
        return fresh


class _View:
    def __init__(self, venue: ExchangeVenue) -> None:
        self._venue = venue

    async def order_by_identifier(self, identifier: str) -> Order | None:
        found = await self._venue.lookup(identifier)
        return None if found is None else found[0]

    async def open_orders(self) -> list[Order]:
        return await self._venue.client.open_orders()

    async def balances(self) -> dict[str, Balance]:
        return await self._venue.refresh_balances()
