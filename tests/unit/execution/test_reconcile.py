"""Reconciliation on start against a fake exchange view."""

from __future__ import annotations

from decimal import Decimal

from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.ports import Balance
from tradetui.core.types import Side
from tradetui.exchanges.errors import ServerError
from tradetui.execution.reconcile import reconcile

NOW = 1_760_000_000_000


def _order(ident: str, state: OrderState = OrderState.INTENT) -> Order:
    o = Order(ident, "KRW-BTC", Side.BID, OrdType.PRICE, Decimal("10000"), None, NOW - 1000)
    return o if state is OrderState.INTENT else o.to_state(state, NOW - 500)


class FakeExchange:
    def __init__(self, known: dict[str, Order], open_orders: list[Order], balances: dict[str, Balance]) -> None:
        self.known = known
        self._open = open_orders
        self._balances = balances
        self.lookups: list[str] = []

    async def order_by_identifier(self, identifier: str) -> Order | None:
        self.lookups.append(identifier)
        return self.known.get(identifier)

    async def open_orders(self) -> list[Order]:
        return self._open

    async def balances(self) -> dict[str, Balance]:
        return self._balances


async def test_unknown_order_found_done_is_adopted_and_missing_intent_is_closed() -> None:
    unknown = _order("tt-1", OrderState.UNKNOWN)
    intent = _order("tt-2")
    done = unknown.to_state(OrderState.DONE, NOW)
    exchange = FakeExchange({"tt-1": done}, [], {"KRW": Balance("KRW", Decimal(1), Decimal(0))})
    report = await reconcile(exchange, [unknown, intent], expected_holdings={}, now_ms=NOW)
    assert [o.state for o in report.adopted] == [OrderState.DONE]
    assert [o.identifier for o in report.never_sent] == ["tt-2"]
    assert report.never_sent[0].state is OrderState.REJECTED
    assert exchange.lookups == ["tt-1", "tt-2"]  # looked up, never resent
    assert not report.still_open


async def test_foreign_orders_and_balance_mismatch_are_flagged() -> None:
    mine = _order("tt-3", OrderState.WAIT)
    manual = Order(
        "manual-9",
        "KRW-ETH",
        Side.ASK,
        OrdType.LIMIT,
        Decimal("5000000"),
        Decimal("1"),
        NOW,
        state=OrderState.WAIT,
        exchange_id="uuid-9",
    )
    exchange = FakeExchange(
        {"tt-3": mine},
        [mine, manual],
        {
            "KRW": Balance("KRW", Decimal(5), Decimal(0)),
            "BTC": Balance("BTC", Decimal("0.5"), Decimal(0)),
            "ETH": Balance("ETH", Decimal("0"), Decimal("1")),
        },
    )
    report = await reconcile(exchange, [mine], expected_holdings={"BTC": Decimal("0.5")}, now_ms=NOW)
    assert report.still_open == [mine]
    assert [o.identifier for o in report.foreign] == ["manual-9"]
    assert report.balance_differences == {"ETH": (Decimal(0), Decimal(1))}
    rules = sorted(e.rule for e in report.events)  # type: ignore[attr-defined]
    assert rules == ["balance_mismatch", "foreign_order"]


async def test_order_whose_lookup_gets_no_answer_stays_unknown_and_the_rest_is_reconciled() -> None:
    """A lookup that gets no answer proves nothing: the order is neither closed nor adopted, it stays
    unknown (an open one keeps its state), and the start goes on with the other orders."""

    class Silent(FakeExchange):
        async def order_by_identifier(self, identifier: str) -> Order | None:
            self.lookups.append(identifier)
            if identifier in ("tt-1", "tt-3"):
                raise ServerError("503 (test)", retry_after_s=0.0)
            return self.known.get(identifier)

    sent, resting, missing = _order("tt-1"), _order("tt-3", OrderState.WAIT), _order("tt-2", OrderState.UNKNOWN)
    exchange = Silent({}, [resting], {"KRW": Balance("KRW", Decimal(1), Decimal(0))})
    report = await reconcile(exchange, [sent, missing, resting], expected_holdings={}, now_ms=NOW)
    assert [(o.identifier, o.state) for o in report.unanswered] == [
        ("tt-1", OrderState.UNKNOWN),
        ("tt-3", OrderState.WAIT),
    ]
    assert [o.identifier for o in report.never_sent] == ["tt-2"]
    assert not report.adopted and not report.foreign  # the resting order is ours, though unanswered
    assert [e.rule for e in report.events if "did not answer" in e.message] == ["reconcile", "reconcile"]  # type: ignore[attr-defined]
