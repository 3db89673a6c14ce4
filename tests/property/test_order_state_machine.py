"""The order state machine (``ORDER_TRANSITIONS``) and fill accounting, driven by Hypothesis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tradetui.core.orders import ORDER_TRANSITIONS, Fill, IllegalTransition, Order, OrderState, OrdType
from tradetui.core.types import Side

D = Decimal
STEP = D("0.00000001")
TERMINAL = {OrderState.DONE, OrderState.CANCEL, OrderState.REJECTED}


def _order(kind: OrdType, identifier: str = "bo-1") -> Order:
    if kind is OrdType.LIMIT:
        return Order(identifier, "KRW-BTC", Side.BID, kind, D("100000"), D("0.5"), 0)
    if kind is OrdType.PRICE:
        return Order(identifier, "KRW-BTC", Side.BID, kind, D("50000"), None, 0)
    return Order(identifier, "KRW-BTC", Side.ASK, kind, None, D("0.5"), 0)


class OrderMachine(RuleBasedStateMachine):
    order: Order

    def __init__(self) -> None:
        super().__init__()
        self.seq = 0
        self.now = 0

    def _fresh(self, kind: OrdType, side: Side) -> None:
        self.seq += 1
        ident = f"o-{self.seq}"
        if kind is OrdType.LIMIT:
            self.order = Order(ident, "KRW-BTC", side, kind, D("1000"), D("2.5"), self.now)
        elif kind is OrdType.PRICE:
            self.order = Order(ident, "KRW-BTC", Side.BID, kind, D("10000"), None, self.now)
        else:
            self.order = Order(ident, "KRW-BTC", Side.ASK, kind, None, D("2.5"), self.now)
        self.fills_volume = D(0)
        self.fills_funds = D(0)
        self.fills_fee = D(0)
        self.terminal_state: OrderState | None = None

    @initialize(kind=st.sampled_from(OrdType), side=st.sampled_from(Side))
    def start(self, kind: OrdType, side: Side) -> None:
        self._fresh(kind, side)

    @rule(kind=st.sampled_from(OrdType), side=st.sampled_from(Side))
    def new_order(self, kind: OrdType, side: Side) -> None:
        self._fresh(kind, side)

    @rule(new_state=st.sampled_from(OrderState), dt=st.integers(0, 10_000))
    def move(self, new_state: OrderState, dt: int) -> None:
        target = new_state
        self.now += dt
        before = self.order
        if target in ORDER_TRANSITIONS[before.state]:
            after = before.to_state(target, self.now, reason="r")
            assert after.state is target
            assert after.updated_ms == self.now
            assert after.reason == "r"
            assert (after.executed_volume, after.executed_funds, after.paid_fee) == (
                before.executed_volume,
                before.executed_funds,
                before.paid_fee,
            )
            self.order = after
            if target in TERMINAL:
                self.terminal_state = target
        else:
            with pytest.raises(IllegalTransition):
                before.to_state(target, self.now)
        # the original object is never mutated
        assert self.order.state is (target if self.order is not before else before.state)

    @rule(
        units=st.integers(min_value=1, max_value=400_000_000),
        price_units=st.integers(min_value=1, max_value=4000),
        fee_units=st.integers(min_value=0, max_value=100),
    )
    def fill(self, units: int, price_units: int, fee_units: int) -> None:
        order = self.order
        volume = units * STEP
        price = D(price_units) * D("0.5")
        fee = D(fee_units) * D("0.01")
        self.now += 1
        f = Fill(order.identifier, f"t-{self.now}", order.market, order.side, price, volume, fee, self.now)
        cancelled_or_rejected = order.state in (OrderState.CANCEL, OrderState.REJECTED)
        overfills = order.volume is not None and order.executed_volume + volume > order.volume
        overspends = order.ord_type is OrdType.PRICE and order.executed_funds + price * volume > (order.price or 0)
        if cancelled_or_rejected or overfills or overspends:
            with pytest.raises(IllegalTransition):
                order.with_fill(f)
            return
        after = order.with_fill(f)
        assert after.state is order.state  # fills never change the state
        assert after.executed_volume == order.executed_volume + volume
        assert after.executed_funds == order.executed_funds + price * volume
        assert after.paid_fee == order.paid_fee + fee
        assert after.updated_ms == self.now
        self.fills_volume += volume
        self.fills_funds += price * volume
        self.fills_fee += fee
        self.order = after

    @precondition(
        lambda self: self.order.volume is not None and self.order.state not in (OrderState.CANCEL, OrderState.REJECTED)
    )
    @rule()
    def fill_the_rest(self) -> None:
        order = self.order
        rest = order.remaining_volume
        assert rest is not None
        if rest == 0:
            return
        f = Fill(order.identifier, "rest", order.market, order.side, D(1000), rest, D(0), self.now)
        after = order.with_fill(f)
        assert after.remaining_volume == 0
        assert after.executed_volume == order.volume
        self.fills_volume += rest
        self.fills_funds += D(1000) * rest
        self.order = after
        # one more step overfills
        with pytest.raises(IllegalTransition, match="overfills"):
            after.with_fill(Fill(order.identifier, "over", order.market, order.side, D(1000), STEP, D(0), self.now))

    @rule(suffix=st.text(alphabet="abcxyz-0123456789", min_size=1, max_size=5))
    def fill_for_another_order(self, suffix: str) -> None:
        order = self.order
        f = Fill(order.identifier + suffix, "x", order.market, order.side, D(1), STEP, D(0), self.now)
        with pytest.raises(ValueError, match="applied to order"):
            order.with_fill(f)

    @invariant()
    def executed_within_the_order(self) -> None:
        order = self.order
        assert order.executed_volume == self.fills_volume
        assert order.executed_funds == self.fills_funds
        assert order.paid_fee == self.fills_fee
        if order.volume is not None:
            assert 0 <= order.executed_volume <= order.volume
            assert order.remaining_volume == order.volume - order.executed_volume
        if order.ord_type is OrdType.PRICE:
            assert order.price is not None
            assert order.executed_funds <= order.price
        if order.executed_volume:
            assert order.average_price == order.executed_funds / order.executed_volume
        else:
            assert order.average_price is None

    @invariant()
    def terminal_states_stick(self) -> None:
        if self.terminal_state is not None:
            assert self.order.state is self.terminal_state
            assert self.order.state.is_terminal
            assert not self.order.state.is_open
            assert ORDER_TRANSITIONS[self.order.state] == frozenset()


OrderMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
TestOrderMachine = OrderMachine.TestCase


# --- the transition table itself ------------------------------------------------------------


def test_transition_table_shape() -> None:
    assert set(ORDER_TRANSITIONS) == set(OrderState)
    for state in TERMINAL:
        assert ORDER_TRANSITIONS[state] == frozenset()
        assert state.is_terminal
    for state in set(OrderState) - TERMINAL:
        assert not state.is_terminal
        assert state.is_open
    # nothing goes back to INTENT, and WAIT/WATCH cannot become UNKNOWN or REJECTED
    assert all(OrderState.INTENT not in targets for targets in ORDER_TRANSITIONS.values())
    assert ORDER_TRANSITIONS[OrderState.WAIT] == {OrderState.WAIT, OrderState.DONE, OrderState.CANCEL}
    assert OrderState.REJECTED in ORDER_TRANSITIONS[OrderState.UNKNOWN]


def test_done_order_still_books_a_late_fill_but_cancel_does_not() -> None:
    done = _order(OrdType.LIMIT).to_state(OrderState.WAIT, 1).to_state(OrderState.DONE, 2)
    late = Fill("bo-1", "t1", "KRW-BTC", Side.BID, D("100000"), D("0.5"), D("25"), 3)
    assert done.with_fill(late).executed_volume == D("0.5")
    cancelled = _order(OrdType.LIMIT).to_state(OrderState.CANCEL, 2)
    with pytest.raises(IllegalTransition, match="cannot fill"):
        cancelled.with_fill(late)


def test_market_buy_cannot_spend_more_than_its_amount() -> None:
    order = _order(OrdType.PRICE)  # 50,000 KRW
    ok = order.with_fill(Fill("bo-1", "t1", "KRW-BTC", Side.BID, D("100000"), D("0.5"), D("25"), 1))
    assert ok.executed_funds == D("50000")
    with pytest.raises(IllegalTransition, match="spend"):
        ok.with_fill(Fill("bo-1", "t2", "KRW-BTC", Side.BID, D("100000"), STEP, D("0"), 2))


# --- construction checks per order type -----------------------------------------------------


@pytest.mark.parametrize(
    ("side", "kind", "price", "volume", "message"),
    [
        (Side.BID, OrdType.LIMIT, None, "1", "needs price and volume"),
        (Side.ASK, OrdType.LIMIT, "100", None, "needs price and volume"),
        (Side.BID, OrdType.LIMIT, "0", "1", "price must be > 0"),
        (Side.ASK, OrdType.LIMIT, "100", "0", "volume must be > 0"),
        (Side.BID, OrdType.LIMIT, "100", "-1", "volume must be > 0"),
        (Side.ASK, OrdType.PRICE, "10000", None, "needs side=bid"),
        (Side.BID, OrdType.PRICE, None, None, "needs side=bid"),
        (Side.BID, OrdType.PRICE, "10000", "1", "needs side=bid"),
        (Side.BID, OrdType.PRICE, "-5", None, "price must be > 0"),
        (Side.BID, OrdType.MARKET, None, "1", "needs side=ask"),
        (Side.ASK, OrdType.MARKET, "100", "1", "needs side=ask"),
        (Side.ASK, OrdType.MARKET, None, None, "needs side=ask"),
        (Side.ASK, OrdType.MARKET, None, "0", "volume must be > 0"),
    ],
)
def test_post_init_rejects(side: Side, kind: OrdType, price: str | None, volume: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Order(
            "bo-1", "KRW-BTC", side, kind, None if price is None else D(price), None if volume is None else D(volume), 0
        )


@pytest.mark.parametrize(
    ("side", "kind", "price", "volume"),
    [
        (Side.BID, OrdType.LIMIT, "100", "1"),
        (Side.ASK, OrdType.LIMIT, "100", "0.00000001"),
        (Side.BID, OrdType.PRICE, "5000", None),
        (Side.ASK, OrdType.MARKET, None, "1"),
    ],
)
def test_post_init_accepts(side: Side, kind: OrdType, price: str | None, volume: str | None) -> None:
    order = Order(
        "bo-1", "KRW-BTC", side, kind, None if price is None else D(price), None if volume is None else D(volume), 7
    )
    assert order.state is OrderState.INTENT
    assert order.executed_volume == 0
    assert order.remaining_volume == (None if volume is None else D(volume))
    assert order.average_price is None


@pytest.mark.parametrize(
    ("price", "volume", "fee"),
    [("0", "1", "0"), ("1", "0", "0"), ("-1", "1", "0"), ("1", "1", "-0.01")],
)
def test_fill_validation(price: str, volume: str, fee: str) -> None:
    with pytest.raises(ValueError, match="invalid fill"):
        Fill("bo-1", "t", "KRW-BTC", Side.BID, D(price), D(volume), D(fee), 0)
