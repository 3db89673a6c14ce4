"""The exchange venue's handling of every placement outcome, against a fake client."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from tradetui.core.clock import SimClock
from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.ports import Balance
from tradetui.core.types import Side
from tradetui.errors import OrderRejected, OrderStateUnknown, RateLimited
from tradetui.exchanges.errors import OrderNotFound, ServerError
from tradetui.venues.exchange import ExchangeVenue

NOW = 1_760_000_000_000


def _order(ident: str = "tt-1") -> Order:
    return Order(
        ident,
        "KRW-BTC",
        Side.BID,
        OrdType.LIMIT,
        Decimal("160000000"),
        Decimal("0.001"),
        NOW,
        purpose="entry",
        strategy="breakout",
    )


def _fill(ident: str, trade: str, volume: str) -> Fill:
    return Fill(ident, trade, "KRW-BTC", Side.BID, Decimal("160000000"), Decimal(volume), Decimal("40"), NOW)


class FakeClient:
    def __init__(self) -> None:
        self.place_outcomes: list[Any] = []
        self.lookups: list[Any] = []
        self.placed: list[str] = []
        self.cancelled: list[str] = []

    async def place(self, order: Order) -> Order:
        self.placed.append(order.identifier)
        outcome = self.place_outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[no-any-return]

    async def get_order(self, *, uuid: str | None = None, identifier: str | None = None) -> tuple[Order, list[Fill]]:
        outcome = self.lookups.pop(0) if self.lookups else OrderNotFound("not found", "order_not_found")
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[no-any-return]

    async def cancel(self, *, uuid: str | None = None, identifier: str | None = None) -> Order:
        self.cancelled.append(identifier or "")
        return _order()

    async def accounts(self) -> dict[str, Balance]:
        return {"KRW": Balance("KRW", Decimal("1000"), Decimal("0"))}


async def _no_sleep(_: float) -> None:
    await asyncio.sleep(0)


def _venue(client: FakeClient) -> ExchangeVenue:
    return ExchangeVenue(client, SimClock(NOW), sleep=_no_sleep, unknown_lookups=3)  # type: ignore[arg-type]


async def _settle(venue: ExchangeVenue) -> None:
    for _ in range(50):
        await asyncio.sleep(0)
    await asyncio.gather(*list(venue._tasks))


async def test_accepted_order_then_fills_reported_once() -> None:
    client = FakeClient()
    sent = _order()
    accepted = replace(sent, state=OrderState.WAIT, exchange_id="u-1", purpose="entry")
    client.place_outcomes = [accepted]
    part = replace(accepted, executed_volume=Decimal("0.0005"))
    client.lookups = [(part, [_fill("tt-1", "t1", "0.0005")])]
    venue = _venue(client)
    venue.submit(sent)
    await _settle(venue)
    assert [r.order.state for r in venue.drain()] == [OrderState.WAIT]
    await venue._refresh(accepted)  # what the poller does for open orders
    reports = venue.drain()
    assert [f.trade_id for r in reports for f in r.fills] == ["t1"]
    assert reports[-1].order.strategy == "breakout"
    assert venue.balances()["KRW"].free == Decimal("1000")
    done = replace(accepted, state=OrderState.DONE, executed_volume=Decimal("0.001"))
    client.lookups = [(done, [_fill("tt-1", "t1", "0.0005"), _fill("tt-1", "t2", "0.0005")])]
    await venue._refresh(accepted)
    reports = venue.drain()
    assert [f.trade_id for r in reports for f in r.fills] == ["t2"]  # t1 not reported twice
    assert not venue.open_orders()


async def test_rejection_carries_the_exchange_error_name() -> None:
    client = FakeClient()
    client.place_outcomes = [OrderRejected("not enough KRW", "insufficient_funds_bid")]
    venue = _venue(client)
    venue.submit(_order())
    await _settle(venue)
    (report,) = venue.drain()
    assert report.order.state is OrderState.REJECTED and report.order.reason == "insufficient_funds_bid"


async def test_rate_limited_placement_is_sent_again() -> None:
    client = FakeClient()
    client.place_outcomes = [RateLimited("slow down", 0.0), replace(_order(), state=OrderState.WAIT)]
    venue = _venue(client)
    venue.submit(_order())
    await _settle(venue)
    assert client.placed == ["tt-1", "tt-1"]
    assert venue.drain()[0].order.state is OrderState.WAIT


async def test_unknown_order_is_resolved_by_identifier_never_resent() -> None:
    client = FakeClient()
    client.place_outcomes = [OrderStateUnknown("timeout", "tt-1")]
    done = replace(
        _order(), state=OrderState.DONE, exchange_id="u-1", executed_volume=Decimal("0.001"), purpose="entry"
    )
    client.lookups = [OrderNotFound("nope", "order_not_found"), (done, [_fill("tt-1", "t9", "0.001")])]
    venue = _venue(client)
    venue.submit(_order())
    await _settle(venue)
    reports = venue.drain()
    assert [r.order.state for r in reports] == [OrderState.UNKNOWN, OrderState.DONE]
    assert reports[1].fills[0].trade_id == "t9"
    assert client.placed == ["tt-1"]


async def test_unknown_order_never_found_is_closed_as_never_sent() -> None:
    client = FakeClient()
    client.place_outcomes = [OrderStateUnknown("502", "tt-1")]
    venue = _venue(client)
    venue.submit(_order())
    await _settle(venue)
    reports = venue.drain()
    assert [r.order.state for r in reports] == [OrderState.UNKNOWN, OrderState.REJECTED]
    assert "never reached" in reports[-1].order.reason
    assert client.placed == ["tt-1"]


async def test_order_filled_at_once_is_reported_once_with_its_fills() -> None:
    client = FakeClient()
    done = replace(_order(), state=OrderState.DONE, exchange_id="u-2", executed_volume=Decimal("0.001"))
    client.place_outcomes = [done]
    client.lookups = [(done, [_fill("tt-1", "a", "0.0004"), _fill("tt-1", "b", "0.0006")])]
    venue = _venue(client)
    venue.submit(_order())
    await _settle(venue)
    (report,) = venue.drain()
    assert report.order.state is OrderState.DONE
    assert [f.trade_id for f in report.fills] == ["a", "b"]


def _done(ident: str = "tt-1") -> Order:
    return replace(_order(ident), state=OrderState.DONE, exchange_id="u-1", executed_volume=Decimal("0.001"))


def _silence(n: int) -> list[Any]:
    return [ServerError("503 (test)", retry_after_s=0.0) for _ in range(n)]


async def _unknown_after_a_silent_round(client: FakeClient, caplog: pytest.LogCaptureFixture) -> ExchangeVenue:
    """A placement without an answer whose first round of lookups gets no answer at all."""
    client.place_outcomes = [OrderStateUnknown("timeout", "tt-1")]
    client.lookups = _silence(3)
    venue = ExchangeVenue(client, SimClock(NOW), sleep=_no_sleep, unknown_lookups=3, unanswered_lookups=3)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="tradetui"):
        venue.submit(_order())
        await _settle(venue)
    assert [r.order.state for r in venue.drain()] == [OrderState.UNKNOWN]
    assert [o.state for o in venue.open_orders()] == [OrderState.UNKNOWN]
    assert any("tt-1" in r.getMessage() and "stays unknown" in r.getMessage() for r in caplog.records)
    return venue


async def test_lookups_without_answer_end_a_round_and_the_poller_resolves_it_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = FakeClient()
    venue = await _unknown_after_a_silent_round(client, caplog)
    client.lookups = [(_done(), [_fill("tt-1", "t1", "0.001")])]
    (held,) = venue.open_orders()
    await venue._refresh(held)  # what the poller does for open orders
    (report,) = venue.drain()
    assert report.order.state is OrderState.DONE and [f.trade_id for f in report.fills] == ["t1"]
    assert client.placed == ["tt-1"]


async def test_not_found_after_a_silent_round_starts_a_new_round_that_counts_every_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = FakeClient()
    venue = await _unknown_after_a_silent_round(client, caplog)
    (held,) = venue.open_orders()
    await venue._refresh(held)  # "not found": not a proof by itself, a new round of lookups starts
    await _settle(venue)
    (report,) = venue.drain()
    assert report.order.state is OrderState.REJECTED and "never reached" in report.order.reason
    assert client.placed == ["tt-1"]


async def test_stop_gives_an_unknown_order_one_more_round_of_lookups(caplog: pytest.LogCaptureFixture) -> None:
    client = FakeClient()
    venue = await _unknown_after_a_silent_round(client, caplog)
    client.lookups = [(_done(), [_fill("tt-1", "t1", "0.001")])]
    assert await venue.settle(30) == []
    (report,) = venue.drain()
    assert report.order.state is OrderState.DONE and [f.trade_id for f in report.fills] == ["t1"]


async def test_stop_leaves_an_order_unknown_when_the_exchange_does_not_answer_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = FakeClient()
    venue = await _unknown_after_a_silent_round(client, caplog)
    client.lookups = _silence(10)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="tradetui"):
        left = await venue.settle(30)
    assert [o.identifier for o in left] == ["tt-1"] and left[0].state is OrderState.UNKNOWN
    assert len(client.lookups) == 10 - venue.stop_unanswered_lookups  # bounded by attempts
    assert venue.drain() == []  # never guessed
    said = [r.getMessage() for r in caplog.records]
    assert any("tt-1" in m and "stays unknown" in m and "next start" in m for m in said), said


async def test_stop_waits_for_the_not_found_answers_that_prove_an_order_never_arrived() -> None:
    waits: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    client = FakeClient()
    client.place_outcomes = [OrderStateUnknown("timeout", "tt-1")]
    venue = ExchangeVenue(client, SimClock(NOW), sleep=recorded_sleep)  # type: ignore[arg-type]
    venue.submit(_order())
    await asyncio.sleep(0)
    assert await venue.settle(30) == []
    reports = venue.drain()
    assert [r.order.state for r in reports] == [OrderState.UNKNOWN, OrderState.REJECTED]
    assert waits == [0.5, 1.0, 2.0, 4.0]  # spaced so a request still on its way can land; counted by answers


async def test_rate_limited_placement_is_closed_as_not_sent_when_the_engine_stops() -> None:
    class Throttled(FakeClient):
        async def place(self, order: Order) -> Order:
            self.placed.append(order.identifier)
            raise RateLimited("429 (test)", 0.0)

    client = Throttled()
    venue = _venue(client)
    venue.submit(_order())
    for _ in range(5):
        await asyncio.sleep(0)
    assert await venue.settle(30) == []
    (report,) = venue.drain()
    assert report.order.state is OrderState.REJECTED and "429" in report.order.reason


async def test_order_filled_at_once_is_never_stored_finished_without_its_fills() -> None:
    """The placement answered "done" but its fills cannot be read: reporting it done would let the
    journal close it without fills (a stop or crash would lose them). It stays unknown until read."""
    client = FakeClient()
    client.place_outcomes = [_done()]
    client.lookups = _silence(3)
    venue = _venue(client)
    venue.submit(_order())
    await _settle(venue)
    assert [r.order.state for r in venue.drain()] == [OrderState.UNKNOWN]
    client.lookups = [OrderNotFound("glitch", "order_not_found"), *([OrderNotFound("glitch", "order_not_found")] * 5)]
    (held,) = venue.open_orders()
    await venue._refresh(held)
    await _settle(venue)
    assert venue.drain() == []  # the exchange answered for it: "not found" never closes it as never sent
    client.lookups = [(_done(), [_fill("tt-1", "a", "0.001")])]
    await venue._refresh(venue.open_orders()[0])
    (report,) = venue.drain()
    assert report.order.state is OrderState.DONE and [f.trade_id for f in report.fills] == ["a"]
