"""Absurd numbers (issue 8): the shared rules answer every Decimal with a value or a clear
reason, never a ``decimal.InvalidOperation`` (the sandbox once answered a plain-text 500 for a
32-digit limit price, and the engine's simulated venue shares this code)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from tradetui.core.clock import SimClock
from tradetui.core.orders import OrderState
from tradetui.core.rules import UPBIT_RULES, UPBIT_TICKS_2025_07_31, PriceRounding, decimal_places
from tradetui.core.types import Side
from tradetui.execution.order_manager import MemoryJournal, OrderManager
from tradetui.venues.simulated import SimulatedVenue

D = Decimal
NOW_S = 1_760_000_000  # 2025-10-09: the 2025-07-31 table
RULES = UPBIT_RULES.at(NOW_S)
ABSURD = ["1e400", "1" * 32, "9" * 5000, "1e999999", "1e-400", "0.000000000000000000000000000000001", "-1e400"]
NOT_FINITE = ["NaN", "sNaN", "Infinity", "-Infinity"]


def _short(text: object) -> str:
    text = str(text)
    return text if len(text) <= 20 else f"{text[:4]}...({len(text)} chars)"


@pytest.mark.parametrize("text", ABSURD + NOT_FINITE + ["0", "-0", "-5"], ids=_short)
def test_grid_membership_never_raises(text: str) -> None:
    assert UPBIT_TICKS_2025_07_31.is_on_grid(D(text)) in (True, False)


@pytest.mark.parametrize(
    ("text", "on_grid"),
    [
        ("1e400", True),  # 10^400 is a multiple of the 1,000 KRW tick, exactly
        ("1" * 32, False),  # ...111 is not a multiple of 1,000
        ("1" * 29 + "000", True),
        ("1e-400", False),
        ("5000", True),
        ("5000.5", False),
        ("2000000.0000", True),
        ("NaN", False),
        ("Infinity", False),
        ("0", False),
    ],
    ids=_short,
)
def test_grid_membership_is_exact_at_any_size(text: str, on_grid: bool) -> None:
    assert UPBIT_TICKS_2025_07_31.is_on_grid(D(text)) is on_grid


@pytest.mark.parametrize("text", ABSURD[:2] + NOT_FINITE)
def test_a_limit_price_out_of_range_is_named(text: str) -> None:
    problem = RULES.limit_price_problem("KRW-BTC", D(text))
    assert problem is not None and "price" in problem
    assert len(problem) < 200  # one line, the number not spelled out in 400 digits


def test_limit_price_problem_passes_ordinary_prices_and_names_off_grid_ones() -> None:
    assert RULES.limit_price_problem("KRW-BTC", D("150000000")) is None
    assert RULES.limit_price_problem("KRW-XRP", D("3001")) is None
    off = RULES.limit_price_problem("KRW-BTC", D("150000500"))
    assert off is not None and "tick" in off
    assert "above 0" in (RULES.limit_price_problem("KRW-BTC", D("0")) or "")


@pytest.mark.parametrize("text", ABSURD + NOT_FINITE + ["0", "0.123456789"], ids=_short)
def test_a_bad_volume_is_named(text: str) -> None:
    problem = RULES.volume_problem(D(text))
    assert problem is not None and "volume" in problem and len(problem) < 200


def test_volume_problem_passes_ordinary_volumes() -> None:
    assert RULES.volume_problem(D("0.00000001")) is None
    assert RULES.volume_problem(D("1234.5")) is None


@pytest.mark.parametrize("text", ABSURD + NOT_FINITE, ids=_short)
def test_totals_rounding_and_truncation_refuse_with_value_error(text: str) -> None:
    value = D(text)
    call: Callable[[], object]
    for call in (
        lambda: RULES.round_price("KRW-BTC", value, PriceRounding.DOWN),
        lambda: RULES.truncate_volume(value),
        lambda: UPBIT_TICKS_2025_07_31.tick_for(value),
    ):
        try:
            call()
        except ValueError as exc:  # decimal.InvalidOperation is an ArithmeticError: it would escape
            assert str(exc)


def test_check_total_names_non_finite_and_huge_totals() -> None:
    assert "not a finite" in (RULES.check_total(D("NaN")) or "")
    assert "above" in (RULES.check_total(D("1e400")) or "")


def test_decimal_places_is_exact_beyond_the_context_precision() -> None:
    assert decimal_places(D("0." + "0" * 40 + "1")) == 41
    assert decimal_places(D("1" * 40 + ".10")) == 1
    assert decimal_places(D("1e400")) == 0
    assert decimal_places(D("1.500")) == 1


@pytest.mark.parametrize(
    ("side", "price", "volume", "reason"),
    [
        (Side.BID, "1e400", "0.001", "invalid_price_bid"),
        (Side.BID, "1" * 32, "0.001", "invalid_price_bid"),
        (Side.ASK, "1e999999", "0.001", "invalid_price_ask"),
        (Side.BID, "3000", "1e400", "invalid_volume_bid"),
        (Side.ASK, "3000", "1" * 32, "invalid_volume_ask"),
    ],
    ids=_short,
)
def test_the_engines_venue_rejects_absurd_limit_orders(side: Side, price: str, volume: str, reason: str) -> None:
    clock = SimClock(NOW_S * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=D("1000000"))
    venue.deposit("XRP", D("10"))
    om = OrderManager(venue, MemoryJournal(), clock, deterministic_ids=True)
    order = om.limit("KRW-XRP", side, D(price), D(volume), purpose="entry", strategy="t")
    om.submit(order)
    applied, _ = om.apply(venue.drain())
    final = applied[-1].order
    assert final.state is OrderState.REJECTED
    assert final.reason.startswith(reason), final.reason


@pytest.mark.parametrize("amount", ["1e400", "1" * 32])
def test_the_engines_venue_rejects_an_absurd_market_buy_amount(amount: str) -> None:
    clock = SimClock(NOW_S * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=D("1000000"))
    om = OrderManager(venue, MemoryJournal(), clock, deterministic_ids=True)
    om.submit(om.market_buy("KRW-XRP", D(amount), purpose="entry", strategy="t"))
    applied, _ = om.apply(venue.drain())
    assert applied[-1].order.state is OrderState.REJECTED


def test_the_engines_venue_rejects_an_absurd_market_sell_volume() -> None:
    clock = SimClock(NOW_S * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=D("1000000"))
    om = OrderManager(venue, MemoryJournal(), clock, deterministic_ids=True)
    om.submit(om.market_sell("KRW-XRP", D("1e400"), purpose="exit", strategy="t"))
    applied, _ = om.apply(venue.drain())
    assert applied[-1].order.state is OrderState.REJECTED
    assert applied[-1].order.reason.startswith("invalid_volume_ask")
