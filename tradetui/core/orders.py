"""Orders, their states and fills.

An order is born as an *intent* (recorded before anything is sent), then follows the exchange's
states ``wait``/``watch``/``done``/``cancel``. ``unknown`` is the honest state of an order whose
request got no answer (timeout, 5xx): it is resolved by asking the exchange about its
``identifier`` and never by sending it again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from tradetui.core.types import ZERO, Side


class OrdType(StrEnum):
    """Order types as both exchanges name them on the wire."""

    LIMIT = "limit"  # price + volume
    PRICE = "price"  # market BUY for a KRW amount (``price`` holds the amount)
    MARKET = "market"  # market SELL of a volume


class OrderState(StrEnum):
    INTENT = "intent"
    UNKNOWN = "unknown"
    WAIT = "wait"
    WATCH = "watch"
    DONE = "done"
    CANCEL = "cancel"
    REJECTED = "rejected"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_open(self) -> bool:
        """Could still fill or still holds funds."""
        return self not in _TERMINAL


_TERMINAL = frozenset({OrderState.DONE, OrderState.CANCEL, OrderState.REJECTED})

ORDER_TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    OrderState.INTENT: frozenset(
        {OrderState.WAIT, OrderState.WATCH, OrderState.DONE, OrderState.CANCEL, OrderState.REJECTED, OrderState.UNKNOWN}
    ),
    # An unknown order is resolved by the identifier lookup: it exists in some state, or it
    # never reached the exchange (rejected).
    OrderState.UNKNOWN: frozenset(
        {OrderState.WAIT, OrderState.WATCH, OrderState.DONE, OrderState.CANCEL, OrderState.REJECTED, OrderState.UNKNOWN}
    ),
    OrderState.WATCH: frozenset({OrderState.WAIT, OrderState.DONE, OrderState.CANCEL}),
    OrderState.WAIT: frozenset({OrderState.WAIT, OrderState.DONE, OrderState.CANCEL}),
    OrderState.DONE: frozenset(),
    OrderState.CANCEL: frozenset(),
    OrderState.REJECTED: frozenset(),
}


class IllegalTransition(RuntimeError):
    """A broken invariant: an order was asked to move to a state it cannot reach."""


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of (part of) an order."""

    identifier: str
    trade_id: str
    market: str
    side: Side
    price: Decimal
    volume: Decimal
    fee: Decimal
    ts_ms: int
    is_maker: bool = False

    @property
    def funds(self) -> Decimal:
        """KRW value of the fill, before fees."""
        return self.price * self.volume

    def __post_init__(self) -> None:
        if self.price <= 0 or self.volume <= 0 or self.fee < 0:
            raise ValueError(
                f"invalid fill for {self.identifier}: price={self.price} volume={self.volume} fee={self.fee}"
            )


@dataclass(frozen=True, slots=True)
class Order:
    """One order as the engine knows it.

    ``price`` is the limit price for ``limit`` orders and the KRW amount for ``price`` (market
    buy) orders; ``volume`` is the ordered quantity for ``limit`` and ``market`` orders.
    """

    identifier: str
    market: str
    side: Side
    ord_type: OrdType
    price: Decimal | None
    volume: Decimal | None
    created_ms: int
    state: OrderState = OrderState.INTENT
    exchange_id: str | None = None
    executed_volume: Decimal = ZERO
    executed_funds: Decimal = ZERO
    paid_fee: Decimal = ZERO
    updated_ms: int = 0
    purpose: str = "entry"
    """Why the engine placed it: entry, stop, take_profit, trailing, time_exit, flatten, manual."""
    strategy: str = ""
    reason: str = ""

    def __post_init__(self) -> None:
        kind = self.ord_type
        if kind is OrdType.LIMIT and (self.price is None or self.volume is None):
            raise ValueError(f"limit order {self.identifier} needs price and volume")
        if kind is OrdType.PRICE and (self.side is not Side.BID or self.price is None or self.volume is not None):
            raise ValueError(f"market buy {self.identifier} needs side=bid, a KRW amount in price and no volume")
        if kind is OrdType.MARKET and (self.side is not Side.ASK or self.volume is None or self.price is not None):
            raise ValueError(f"market sell {self.identifier} needs side=ask, a volume and no price")
        if self.price is not None and self.price <= 0:
            raise ValueError(f"order {self.identifier}: price must be > 0")
        if self.volume is not None and self.volume <= 0:
            raise ValueError(f"order {self.identifier}: volume must be > 0")

    @property
    def remaining_volume(self) -> Decimal | None:
        return None if self.volume is None else self.volume - self.executed_volume

    @property
    def average_price(self) -> Decimal | None:
        if self.executed_volume == 0:
            return None
        return self.executed_funds / self.executed_volume

    def to_state(self, state: OrderState, ts_ms: int, *, reason: str = "") -> Order:
        if state not in ORDER_TRANSITIONS[self.state]:
            raise IllegalTransition(f"order {self.identifier}: {self.state} -> {state} is not allowed")
        return replace(self, state=state, updated_ms=ts_ms, reason=reason or self.reason)

    def with_local_fields(self, sent: Order) -> Order:
        """The exchange's view of ``sent`` (this order, as the exchange reported it), keeping
        what only tradetui knows: identifier, purpose, strategy and reason."""
        return replace(
            self, identifier=sent.identifier, purpose=sent.purpose, strategy=sent.strategy, reason=sent.reason
        )

    def with_fill(self, fill: Fill) -> Order:
        """Account for one fill; the state does not change here (the venue reports that)."""
        if fill.identifier != self.identifier:
            raise ValueError(f"fill for {fill.identifier} applied to order {self.identifier}")
        if self.state.is_terminal and self.state is not OrderState.DONE:
            raise IllegalTransition(f"order {self.identifier} is {self.state} and cannot fill")
        new_volume = self.executed_volume + fill.volume
        if self.volume is not None and new_volume > self.volume:
            raise IllegalTransition(
                f"order {self.identifier}: fill of {fill.volume} overfills {self.volume} "
                f"(executed {self.executed_volume})"
            )
        new_funds = self.executed_funds + fill.funds
        if self.ord_type is OrdType.PRICE and self.price is not None and new_funds > self.price:
            raise IllegalTransition(f"market buy {self.identifier}: fills spend {new_funds} > amount {self.price}")
        return replace(
            self,
            executed_volume=new_volume,
            executed_funds=new_funds,
            paid_fee=self.paid_fee + fill.fee,
            updated_ms=fill.ts_ms,
        )
