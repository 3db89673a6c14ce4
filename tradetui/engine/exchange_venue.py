"""A venue on a real exchange (or the sandbox): the live engine's orders go over the network.

``submit`` and ``cancel`` return at once; the request runs as a task owned by the venue and
its outcome arrives through ``drain`` (the engine's decision step never waits on the network).
The intent is already in the journal when ``submit`` is called.

Outcomes of a placement:
* accepted → the exchange's version of the order;
* rejected (definitive) → ``rejected`` with the exchange's error name;
* rate limited (429: not accepted) → sent again after the wait;
* no answer (timeout, 5xx, unreadable) → ``unknown``, then resolved by asking for the
  identifier until the exchange answers: found (adopted in its state) or definitively not
  found several times over (closed as rejected). Lookups that get no answer either prove
  nothing: the order stays ``unknown`` and the poller keeps asking (restart reconciliation
  resolves it at the latest). An unknown order is never sent again.

Open orders are polled for fills; fills are reported once each (by trade id).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from decimal import Decimal

from tradetui.core.clock import Clock
from tradetui.core.orders import Fill, Order, OrderState
from tradetui.core.ports import Balance, ExchangeView, VenueReport
from tradetui.errors import OrderRejected, OrderStateUnknown, RateLimited, VenueError
from tradetui.exchanges.errors import OrderNotFound
from tradetui.exchanges.parse import with_local_fields
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
        unknown_lookups: int = 8,
        unknown_wait_s: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.clock = clock
        self.poll_interval_s = poll_interval_s
        self.unknown_lookups = unknown_lookups
        self.unknown_wait_s = unknown_wait_s
        self._sleep = sleep
        self._reports: list[VenueReport] = []
        self._open: dict[str, Order] = {}
        self._sent: dict[str, Order] = {}
        """What we sent, by identifier: purpose and strategy live only here, not on the exchange."""
        self._seen_trades: dict[str, set[str]] = {}
        self._balances: dict[str, Balance] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.reports_ready = asyncio.Event()
        """Set whenever something waits in :meth:`drain`; the runner then calls ``engine.poll()``."""

    # --- Venue protocol ------------------------------------------------------------------------

    def submit(self, order: Order) -> None:
        self._sent[order.identifier] = order
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
        """Poll open orders for fills until cancelled (run it as a task beside the engine)."""
        while True:
            await self._sleep(self.poll_interval_s)
            for order in list(self._open.values()):
                await self._refresh(order)

    async def settle(self, timeout_s: float) -> bool:
        """Wait (bounded) for the requests in flight to get their answers; True if none is left.

        A clean stop calls this before storing state, so orders sent just before the stop are
        not left as bare intents in the journal."""
        pending = [t for t in self._tasks if not t.done()]
        if not pending:
            return True
        _, still = await asyncio.wait(pending, timeout=timeout_s)
        return not still

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def adopt(self, order: Order, seen_trades: Iterable[str] = ()) -> None:
        """Track an order found open on the exchange at start-up (reconciliation).

        ``seen_trades``: trade ids already applied (in the journal), never reported again."""
        self._seen_trades.setdefault(order.identifier, set()).update(seen_trades)
        if order.state.is_open:
            self._open[order.identifier] = order
            self._sent.setdefault(order.identifier, order)

    async def lookup(self, identifier: str, *, attempts: int = 5) -> tuple[Order, list[Fill]] | None:
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
            order = replace(with_local_fields(order, sent), reason=order.reason or sent.reason)
        if order.state.is_open:
            self._open[order.identifier] = order
        else:
            self._open.pop(order.identifier, None)
            self._sent.pop(order.identifier, None)
        self._reports.append(VenueReport(order, fills))
        self.reports_ready.set()

    async def _place(self, order: Order) -> None:
        attempt = 0
        while True:
            try:
                placed = await self.client.place(order)
            except RateLimited as exc:  # refused before it was processed: safe to send again
                attempt += 1
                await self._sleep(max(exc.retry_after_s, 0.2 * attempt))
                continue
            except OrderRejected as exc:
                self._report(order.to_state(OrderState.REJECTED, self.clock.now_ms(), reason=exc.name or str(exc)))
                return
            except OrderStateUnknown as exc:
                log.warning("order %s: %s", order.identifier, exc, extra={"client_order_id": order.identifier})
                self._report(order.to_state(OrderState.UNKNOWN, self.clock.now_ms(), reason="no answer; resolving"))
                await self._resolve_unknown(order)
                return
            except VenueError as exc:  # anything else before an answer: treat as unknown, never resend
                log.warning("order %s: %s", order.identifier, exc, extra={"client_order_id": order.identifier})
                self._report(order.to_state(OrderState.UNKNOWN, self.clock.now_ms(), reason=str(exc)))
                await self._resolve_unknown(order)
                return
            if placed.executed_volume > 0 or not placed.state.is_open:
                await self._report_with_fills(placed)
            else:
                self._report(placed)
            return

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
        # still unreadable: keep it open locally so the poller keeps asking for its fills
        self._report(placed)
        self._open[placed.identifier] = placed

    async def _refresh_balances_quietly(self) -> None:
        try:
            await self.refresh_balances()
        except VenueError as exc:
            log.info("balance refresh failed: %s", exc)

    async def _resolve_unknown(self, order: Order) -> None:
        unknown = order.to_state(OrderState.UNKNOWN, self.clock.now_ms())
        not_found = 0
        for attempt in range(4 * self.unknown_lookups):
            await self._sleep(self.unknown_wait_s * min(attempt + 1, self.unknown_lookups))
            if order.identifier not in self._open:
                return  # the poller resolved it meanwhile
            try:
                found, fills = await self.client.get_order(identifier=order.identifier)
            except OrderNotFound:
                not_found += 1
                if not_found >= self.unknown_lookups:
                    break
                continue
            except VenueError as exc:  # no answer proves nothing: ask again
                log.info("order %s still unknown (%s)", order.identifier, exc)
                continue
            self._report(found, self._new_fills(found.identifier, fills))
            if fills or not found.state.is_open:
                await self._refresh_balances_quietly()
            return
        else:
            # never a definitive answer: it stays unknown (and polled); restart reconciliation resolves it
            log.warning(
                "order %s: the exchange did not answer about it; still unknown",
                order.identifier,
                extra={"client_order_id": order.identifier},
            )
            return
        self._report(
            unknown.to_state(
                OrderState.REJECTED, self.clock.now_ms(), reason="never reached the exchange (identifier not found)"
            )
        )

    async def _cancel(self, identifier: str) -> None:
        order = self._open.get(identifier)
        try:
            await self.client.cancel(identifier=identifier)
        except OrderNotFound:
            pass  # already finished: the refresh below tells how
        except VenueError as exc:
            log.warning("cancel %s failed: %s", identifier, exc, extra={"client_order_id": identifier})
        if order is not None:
            await self._refresh(order)

    async def _refresh(self, order: Order) -> None:
        try:
            found, fills = await self.client.get_order(identifier=order.identifier)
        except VenueError as exc:
            log.info("refresh of %s failed: %s", order.identifier, exc)
            return
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


def total_krw(balances: dict[str, Balance]) -> Decimal:
    krw = balances.get("KRW")
    return krw.total if krw is not None else Decimal(0)


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
