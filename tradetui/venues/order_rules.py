"""Would the exchange accept this order? One answer for the engine's simulator and the sandbox.

The checks run in the exchange's order (reference D.9): tick grid → volume decimals → minimum
total → maximum total → balance including the fee → identifier not used before; the first rule
that fails names the rejection, with the exchange's own error name (Upbit ``under_min_total_*``,
Bithumb ``under_price_limit_*``). Parameters per ``ord_type``, the market's existence and the
API's own syntax are checked before this by whoever parses the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_UP, Decimal

from tradetui.core.market import Exchange
from tradetui.core.rules import MarketRules
from tradetui.core.types import Side

ZERO = Decimal(0)
FEE_PLACES = Decimal("1E-8")


@dataclass(frozen=True, slots=True)
class OrderAsk:
    """An order as the rules see it: a limit order (``price`` and ``volume``), a market buy of
    ``amount`` KRW, or a market sell of ``volume``."""

    market: str
    side: Side
    price: Decimal | None = None
    """The limit price; None for a market order."""
    volume: Decimal | None = None
    amount: Decimal | None = None
    """KRW to spend: a market buy (Upbit ``price``, Bithumb ``price`` of a market bid)."""

    @property
    def is_amount_bid(self) -> bool:
        return self.amount is not None


@dataclass(frozen=True, slots=True)
class Rejection:
    name: str
    """The exchange's error name, e.g. ``invalid_price_bid``."""
    message: str


@dataclass(frozen=True, slots=True)
class Accepted:
    total: Decimal | None
    """The order's KRW value (a market sell at the reference bid; None when no bid is known)."""
    reserve: Decimal
    """The fee a bid locks beside its total (zero for an ask)."""


def min_total_rejection(rules: MarketRules, side: Side) -> str:
    """The exchange's name for an order below its minimum total."""
    prefix = "under_min_total" if rules.exchange is Exchange.UPBIT else "under_price_limit"
    return f"{prefix}_{side.value}"


def fee_reserve(ask: OrderAsk, total: Decimal, rules: MarketRules) -> Decimal:
    """The fee a bid locks: the taker fee on a market buy; on a limit order the larger of maker
    and taker, since it may fill either way; rounded up to 8 decimals, never short."""
    if ask.side is not Side.BID:
        return ZERO
    rate = rules.taker_fee if ask.is_amount_bid else max(rules.maker_fee, rules.taker_fee)
    return (total * rate).quantize(FEE_PLACES, rounding=ROUND_UP)


def check_order(
    ask: OrderAsk,
    rules: MarketRules,
    *,
    free_quote: Decimal,
    free_base: Decimal,
    reference_bid: Decimal | None,
    identifier_used: bool,
) -> Rejection | Accepted:
    """The first rule ``ask`` breaks, or what it will lock. ``reference_bid`` values a market
    sell (the best bid); without one its minimum total is left to the fill."""
    side = ask.side.value
    if ask.price is not None:
        problem = rules.limit_price_problem(ask.market, ask.price)
        if problem is not None:
            return Rejection(f"invalid_price_{side}", f"{problem} (wrong price unit)")
    if ask.amount is not None and ask.amount <= 0:
        return Rejection("invalid_price_bid", "the amount must be > 0")
    if ask.volume is not None:
        problem = rules.volume_problem(ask.volume)
        if problem is not None:
            return Rejection(f"invalid_volume_{side}", problem)
    total: Decimal | None
    if ask.price is not None:
        total = ask.price * (ask.volume or ZERO)
    elif ask.amount is not None:
        total = ask.amount
    else:
        total = None if reference_bid is None else (ask.volume or ZERO) * reference_bid
    if total is not None:
        if total < rules.min_total_krw:
            return Rejection(
                min_total_rejection(rules, ask.side),
                f"the order total must be at least {_plain(rules.min_total_krw)} KRW",
            )
        if total > rules.max_total_krw:
            most = _plain(rules.max_total_krw)
            return Rejection(f"over_krw_funds_{side}", f"the order total must be at most {most} KRW")
    reserve = ZERO
    if ask.side is Side.BID:
        spend = total or ZERO
        reserve = fee_reserve(ask, spend, rules)
        if free_quote < spend + reserve:
            return Rejection("insufficient_funds_bid", "not enough KRW for the order total plus the fee")
    elif free_base < (ask.volume or ZERO):
        return Rejection("insufficient_funds_ask", "not enough coin for the order volume")
    if identifier_used:
        return Rejection("duplicated_identifier", "the identifier was used before")
    return Accepted(total, reserve)


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"
