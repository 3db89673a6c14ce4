"""Partial fills in the simulated venue and their path through the order manager."""

from __future__ import annotations

from decimal import Decimal

from tradetui.core.clock import SimClock
from tradetui.core.orders import OrderState
from tradetui.core.rules import UPBIT_RULES
from tradetui.core.types import Side
from tradetui.execution.order_manager import MemoryJournal, OrderManager
from tradetui.venues.simulated import SimulatedVenue

START = 1_760_000_000_000  # 2025-10-09, the 2025-07-31 tick table


def _setup() -> tuple[SimulatedVenue, OrderManager, MemoryJournal]:
    clock = SimClock(START)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal("1000000"), max_participation=0.25)
    journal = MemoryJournal()
    return venue, OrderManager(venue, journal, clock, deterministic_ids=True), journal


def test_limit_bid_fills_in_parts_then_completes() -> None:
    venue, om, journal = _setup()
    order = om.limit("KRW-XRP", Side.BID, Decimal("3000"), Decimal("100"), purpose="entry", strategy="t")
    om.submit(order)
    om.apply(venue.drain())
    venue.touch("KRW-XRP", 3001.0, 3002.0, 2999.0, volume=200.0)  # 25 % of 200 = 50
    applied, _ = om.apply(venue.drain())
    first = applied[0].order
    assert first.state is OrderState.WAIT
    assert first.executed_volume == Decimal("50")
    assert venue.balances()["XRP"].free == Decimal("50")
    venue.touch("KRW-XRP", 3000.0, 3001.0, 2990.0, volume=1000.0)
    applied, _ = om.apply(venue.drain())
    done = applied[0].order
    assert done.state is OrderState.DONE and done.executed_volume == Decimal("100")
    assert venue.balances()["KRW"].locked == 0
    assert len(journal.fills) == 2
    assert journal.orders[order.identifier].state is OrderState.DONE


def test_cancel_after_a_partial_fill_keeps_the_fill_and_releases_the_rest() -> None:
    venue, om, _ = _setup()
    order = om.limit("KRW-XRP", Side.BID, Decimal("3000"), Decimal("100"), purpose="entry", strategy="t")
    om.submit(order)
    venue.touch("KRW-XRP", 3000.0, 3000.0, 2990.0, volume=40.0)  # 10 filled
    om.cancel(order.identifier)
    applied, _ = om.apply(venue.drain())
    final = applied[-1].order
    assert final.state is OrderState.CANCEL and final.executed_volume == Decimal("10")
    krw = venue.balances()["KRW"]
    fee = Decimal("3000") * 10 * Decimal("0.0005")
    assert krw.locked == 0
    assert krw.free == Decimal("1000000") - Decimal("30000") - fee
    assert not om.open_orders()


def test_paper_market_buy_walks_the_book_and_returns_the_rest() -> None:
    from tradetui.core.market import BookLevel, OrderBook

    clock = SimClock(START)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal("1000000"))
    om = OrderManager(venue, MemoryJournal(), clock, deterministic_ids=True)
    om.submit(om.market_buy("KRW-XRP", Decimal("100000"), purpose="entry", strategy="t"))
    om.apply(venue.drain())
    book = OrderBook(
        "KRW-XRP",
        START,
        asks=(BookLevel(Decimal("3000"), Decimal("10")), BookLevel(Decimal("3001"), Decimal("100"))),
        bids=(),
    )
    venue.walk_book("KRW-XRP", book)
    applied, _ = om.apply(venue.drain())
    order, fills = applied[0].order, applied[0].fills
    assert [(f.price, f.volume) for f in fills] == [
        (Decimal("3000"), Decimal("10")),
        (Decimal("3001"), Decimal("23.32555814")),
    ]
    assert order.state is OrderState.CANCEL and order.executed_volume == Decimal("33.32555814")
    krw = venue.balances()["KRW"]
    spent = sum((f.funds + f.fee for f in fills), Decimal(0))
    assert krw.locked == 0 and krw.free == Decimal("1000000") - spent


def test_paper_market_sell_walks_bids_and_limit_fills_on_a_crossing_trade() -> None:
    from tradetui.core.market import BookLevel, OrderBook

    clock = SimClock(START)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal("1000000"))
    venue.deposit("XRP", Decimal("50"))
    om = OrderManager(venue, MemoryJournal(), clock, deterministic_ids=True)
    om.submit(om.market_sell("KRW-XRP", Decimal("30"), purpose="stop", strategy="t"))
    book = OrderBook(
        "KRW-XRP",
        START,
        asks=(),
        bids=(BookLevel(Decimal("2999"), Decimal("20")), BookLevel(Decimal("2998"), Decimal("20"))),
    )
    venue.walk_book("KRW-XRP", book)
    applied, _ = om.apply(venue.drain())
    assert applied[-1].order.state is OrderState.DONE
    assert [(f.price, f.volume) for f in applied[-1].fills] == [
        (Decimal("2999"), Decimal("20")),
        (Decimal("2998"), Decimal("10")),
    ]
    om.submit(om.limit("KRW-XRP", Side.BID, Decimal("2950"), Decimal("5"), purpose="entry", strategy="t"))
    venue.on_trade("KRW-XRP", Decimal("2960"))
    assert all(not r.fills for r in venue.drain())
    venue.on_trade("KRW-XRP", Decimal("2949"))
    (report,) = venue.drain()
    assert report.order.state is OrderState.DONE and report.fills[0].price == Decimal("2950")
