"""The engine's simulated venue and the sandbox check orders with one set of rules: fed the same
requests, they reject the same ones with the same error names (and accept the rest).

Seen before: the two simulators checked separately and disagreed — the engine checked a used
identifier first (the exchange last), named every minimum-total miss ``under_min_total_*``
(Bithumb says ``under_price_limit_*``), called an ask above the maximum total
``invalid_volume_ask`` (the sandbox ``over_krw_funds_ask``) and reserved the fee unrounded."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from tradetui.core.clock import SimClock
from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.types import Side
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.state import SandboxState
from tradetui.sandbox.wire import ApiError
from tradetui.venues.order_rules import OrderAsk, check_order, fee_reserve
from tradetui.venues.simulated import SimulatedVenue

NOW_MS = 1_767_225_600_000  # 2026-01-01 00:00 UTC
CASH = Decimal(1_000_000)
COIN = Decimal("0.01")
PRICE = Decimal(50_000_000)  # on the 1,000 KRW tick of both exchanges at this price
USED = "used-identifier"


@dataclass(frozen=True)
class Case:
    name: str
    side: str
    ord_type: str  # limit | price (market buy of an amount) | market (market sell of a volume)
    price: str | None = None
    volume: str | None = None
    identifier: str | None = None

    def fields(self) -> dict[str, str]:
        out = {"market": "KRW-BTC", "side": self.side, "ord_type": self.ord_type}
        if self.price is not None:
            out["price"] = self.price
        if self.volume is not None:
            out["volume"] = self.volume
        return out


CASES = [
    Case("limit bid off the tick grid", "bid", "limit", "50000500", "0.001"),
    Case("limit ask off the tick grid", "ask", "limit", "50000500", "0.001"),
    Case("limit bid with 9 volume decimals", "bid", "limit", "50000000", "0.000000001"),
    Case("limit bid under the minimum total", "bid", "limit", "50000000", "0.00009"),
    Case("limit ask under the minimum total", "ask", "limit", "50000000", "0.00009"),
    Case("limit bid over the maximum total", "bid", "limit", "50000000", "21"),
    Case("limit ask over the maximum total", "ask", "limit", "50000000", "21"),
    Case("limit bid over the cash", "bid", "limit", "50000000", "0.03"),
    Case("limit bid of all the cash: the fee does not fit", "bid", "limit", "50000000", "0.02"),
    Case("limit ask of more coin than held", "ask", "limit", "50000000", "0.02"),
    Case("limit bid that fits", "bid", "limit", "50000000", "0.001"),
    Case("limit ask that fits", "ask", "limit", "60000000", "0.005"),
    Case("market buy under the minimum", "bid", "price", "4999"),
    Case("market buy of all the cash: the fee does not fit", "bid", "price", "1000000"),
    Case("market buy over the maximum", "bid", "price", "1000000001"),
    Case("market buy that fits", "bid", "price", "100000"),
    Case("market sell with 9 volume decimals", "ask", "market", volume="0.000000001"),
    Case("market sell of more coin than held", "ask", "market", volume="0.02"),
    Case("market sell that fits", "ask", "market", volume="0.005"),
    Case("a used identifier on an order that fits", "bid", "limit", "50000000", "0.001", USED),
    Case("a used identifier on an order that does not", "bid", "limit", "50000500", "0.001", USED),
]


def _sandbox_answer(profile: str, case: Case) -> str | None:
    config = SandboxConfig(profile=profile, history_minutes=5)
    state = SandboxState(config, clock=SimClock(NOW_MS), origin_ms=NOW_MS - 3_600_000)
    account = state.add_account("k", "s", {"KRW": CASH, "BTC": COIN})
    fields = case.fields()
    if case.identifier is not None:
        account.identifiers[case.identifier] = None
        fields["identifier" if profile == "upbit" else "client_order_id"] = case.identifier
    try:
        state.engine.preview(account, fields, NOW_MS)
    except ApiError as exc:
        return str(exc.name)
    return None


def _engine_answer(profile: str, case: Case) -> str | None:
    state = SandboxState(SandboxConfig(profile=profile, history_minutes=5), clock=SimClock(NOW_MS))
    venue = SimulatedVenue(state.rules, SimClock(NOW_MS), cash_krw=CASH)
    venue.deposit("BTC", COIN)
    identifier = case.identifier or "fresh"
    if case.identifier is not None:  # the venue has seen it: an earlier order that went through
        venue.submit(Order(identifier, "KRW-BTC", Side.BID, OrdType.LIMIT, Decimal(1_000_000), Decimal("0.01"), 0))
        venue.cancel(identifier)
        venue.drain()
    price = None if case.price is None else Decimal(case.price)
    volume = None if case.volume is None else Decimal(case.volume)
    venue.submit(Order(identifier, "KRW-BTC", Side(case.side), OrdType(case.ord_type), price, volume, NOW_MS))
    [report] = venue.drain()
    if report.order.state is OrderState.REJECTED:
        return report.order.reason
    return None


@pytest.mark.parametrize("profile", ["upbit", "bithumb"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_both_simulators_answer_an_order_alike(profile: str, case: Case) -> None:
    sandbox = _sandbox_answer(profile, case)
    engine = _engine_answer(profile, case)
    assert engine == sandbox, f"{profile}: the engine says {engine}, the sandbox {sandbox}"
    if "fits" in case.name and "used" not in case.name and "does not fit" not in case.name:
        assert sandbox is None
    else:
        assert sandbox is not None


@pytest.mark.parametrize(("profile", "name"), [("upbit", "under_min_total_bid"), ("bithumb", "under_price_limit_bid")])
def test_the_minimum_total_has_each_exchanges_name(profile: str, name: str) -> None:
    case = Case("x", "bid", "limit", "50000000", "0.00009")
    assert _sandbox_answer(profile, case) == _engine_answer(profile, case) == name


@pytest.mark.parametrize(("profile", "name"), [("upbit", "under_min_total_ask"), ("bithumb", "under_price_limit_ask")])
def test_a_market_sell_under_the_minimum_is_refused_by_both(profile: str, name: str) -> None:
    """The sandbox values a market sell at its best bid when it arrives; the engine's venue,
    which fills a bar later, at its fill price: both refuse it with the exchange's name."""
    tiny = Case("x", "ask", "market", volume="0.00001")
    assert _sandbox_answer(profile, tiny) == name
    state = SandboxState(SandboxConfig(profile=profile, history_minutes=5), clock=SimClock(NOW_MS))
    venue = SimulatedVenue(state.rules, SimClock(NOW_MS), cash_krw=CASH)
    venue.deposit("BTC", COIN)
    venue.submit(Order("t", "KRW-BTC", Side.ASK, OrdType.MARKET, None, Decimal("0.00001"), NOW_MS))
    venue.mark("KRW-BTC", float(PRICE))
    final = venue.drain()[-1].order
    assert final.state is OrderState.CANCEL and final.reason == name


def test_a_bid_reserves_the_fee_rounded_up_to_eight_places() -> None:
    state = SandboxState(SandboxConfig(profile="upbit", history_minutes=5), clock=SimClock(NOW_MS))
    rules = state.rules.at(NOW_MS // 1000)
    ask = OrderAsk("KRW-BTC", Side.BID, price=Decimal(50_000_000), volume=Decimal("0.00012347"))
    total = Decimal(50_000_000) * Decimal("0.00012347")
    reserve = fee_reserve(ask, total, rules)
    assert reserve == (total * rules.taker_fee).quantize(Decimal("1E-8"), rounding="ROUND_UP")
    answer = check_order(ask, rules, free_quote=CASH, free_base=Decimal(0), reference_bid=None, identifier_used=False)
    assert not isinstance(answer, type(None)) and getattr(answer, "reserve", None) == reserve
