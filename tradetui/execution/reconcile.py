"""Reconciliation on start: make the engine's view of orders and positions agree with the
exchange before anything new is sent.

* every order our intent log says may still be open (intent, unknown, wait, watch) is looked
  up by its identifier: found → adopted in the exchange's state; not found → it never reached
  the exchange, and is closed as rejected (it is never sent again); no answer → it proves
  nothing: the order stays unknown (never resent, never closed) and is looked up until the
  exchange answers;
* open orders on the exchange that we did not place (manual trades, another bot) are flagged
  as a risk event and left alone;
* coin balances are compared with the stored positions: a difference is flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from tradetui.core.events import Event, RiskEvent, Severity
from tradetui.core.orders import Order, OrderState
from tradetui.core.ports import ExchangeView
from tradetui.errors import VenueError


@dataclass(slots=True)
class ReconcileReport:
    adopted: list[Order] = field(default_factory=list)
    """Our orders as the exchange knows them now (any state)."""
    never_sent: list[Order] = field(default_factory=list)
    """Intents the exchange never saw, closed as rejected."""
    unanswered: list[Order] = field(default_factory=list)
    """Our orders whose lookup got no answer: unknown until the exchange answers."""
    foreign: list[Order] = field(default_factory=list)
    """Open orders on the exchange that are not ours."""
    balance_differences: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    """currency → (what our positions say, what the exchange holds)."""
    events: list[Event] = field(default_factory=list)

    @property
    def still_open(self) -> list[Order]:
        return [o for o in self.adopted if o.state.is_open]


async def reconcile(
    exchange: ExchangeView,
    local_open: Iterable[Order],
    *,
    expected_holdings: dict[str, Decimal],
    now_ms: int,
    tolerance: Decimal = Decimal("0.00000001"),
) -> ReconcileReport:
    """Compare and resolve; ``expected_holdings`` is coin → volume from the stored positions."""
    report = ReconcileReport()
    ours: set[str] = set()
    for order in local_open:
        ours.add(order.identifier)
        try:
            found = await exchange.order_by_identifier(order.identifier)
        except VenueError as exc:
            if order.state in (OrderState.INTENT, OrderState.UNKNOWN):  # sent, but whether it arrived is open
                order = order.to_state(OrderState.UNKNOWN, now_ms, reason="no answer to its lookup on start")
            report.unanswered.append(order)
            report.events.append(
                RiskEvent(
                    now_ms,
                    "reconcile",
                    f"order {order.identifier}: the exchange did not answer its lookup ({exc}); it stays "
                    f"{order.state}, is never sent again, and is looked up until the exchange answers",
                    order.market,
                    Severity.WARNING,
                )
            )
            continue
        if found is None:
            closed = order.to_state(OrderState.REJECTED, now_ms, reason="never reached the exchange (found on restart)")
            report.never_sent.append(closed)
            report.events.append(
                RiskEvent(
                    now_ms,
                    "reconcile",
                    f"order {order.identifier} never reached the exchange; closed without resending",
                    order.market,
                    Severity.WARNING,
                )
            )
            continue
        report.adopted.append(found)
        if found.state is not order.state:
            report.events.append(
                RiskEvent(
                    now_ms,
                    "reconcile",
                    f"order {order.identifier}: {order.state} → {found.state} while we were away",
                    order.market,
                    Severity.INFO,
                )
            )
    for order in await exchange.open_orders():
        if order.identifier not in ours:
            report.foreign.append(order)
            report.events.append(
                RiskEvent(
                    now_ms,
                    "foreign_order",
                    f"open order {order.exchange_id or order.identifier} on {order.market} was not placed by tradetui; "
                    "left alone",
                    order.market,
                    Severity.WARNING,
                )
            )
    balances = await exchange.balances()
    currencies = set(expected_holdings) | {c for c in balances if c != "KRW"}
    for currency in sorted(currencies):
        expected = expected_holdings.get(currency, Decimal(0))
        held = balances[currency].total if currency in balances else Decimal(0)
        if abs(held - expected) > tolerance:
            report.balance_differences[currency] = (expected, held)
            report.events.append(
                RiskEvent(
                    now_ms,
                    "balance_mismatch",
                    f"{currency}: our positions say {expected}, the exchange holds {held} (manual trade?)",
                    f"KRW-{currency}",
                    Severity.WARNING,
                )
            )
    return report
