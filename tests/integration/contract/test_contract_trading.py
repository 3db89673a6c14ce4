"""Contract: our ``ExchangeClient`` account and order calls against the sandbox, Upbit and Bithumb
(A4, A5, A7, B4, B6, D.8-D.14)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sibling import load_sibling  # tests/support/sibling.py

from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.types import Side
from tradetui.errors import AuthError, OrderRejected, OrderStateUnknown
from tradetui.exchanges.errors import (
    AboveMaximum,
    BelowMinimum,
    DuplicateIdentifier,
    InsufficientFunds,
    InvalidPrice,
    InvalidSignature,
    InvalidVolume,
    OrderNotFound,
    OrderNotReady,
    TokenExpired,
)
from tradetui.sandbox.faults import FaultSpec

v = load_sibling(__file__, "venue")
FEE = {"upbit": Decimal("0.0005"), "bithumb": Decimal("0.0025")}  # taker = maker list rates (A9, B9)


@pytest.fixture(params=["upbit", "bithumb"])
async def venue(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async with v.running(request.param, cancel_delay_ms=400) as running:
        yield running


async def _best(venue: Any) -> tuple[Decimal, Decimal]:
    [book] = await venue.client.orderbook(["KRW-BTC"])
    assert book.best_bid is not None and book.best_ask is not None
    return book.best_bid, book.best_ask


async def _poll_until(venue: Any, uuid: str, state: OrderState, steps: int = 50) -> Order:
    for _ in range(steps):
        found: tuple[Order, list[Any]] = await venue.client.get_order(uuid=uuid)
        order = found[0]
        if order.state is state:
            return order
        venue.clock.advance_ms(100)
    raise AssertionError(f"order {uuid} never reached {state}; last {order.state}")


async def test_accounts_and_order_chance(venue: Any) -> None:
    balances = await venue.client.accounts()
    assert balances["KRW"].free == Decimal("1000000000") and balances["KRW"].locked == 0
    assert balances["BTC"].free == Decimal(2) and balances["XRP"].free == Decimal(100000)
    chance = await venue.client.order_chance("KRW-BTC")
    assert chance.market == "KRW-BTC"
    assert chance.bid_fee == chance.ask_fee == FEE[venue.name]
    assert chance.bid_min_total == chance.ask_min_total == Decimal(5000)
    assert chance.max_total == Decimal(1_000_000_000)
    assert {"limit", "price"} <= set(chance.bid_types) and {"limit", "market"} <= set(chance.ask_types)
    assert chance.state == "active"


async def test_limit_bid_rests_locks_funds_then_asynchronous_cancel(venue: Any) -> None:
    best_bid, _ = await _best(venue)
    price, volume = best_bid - 1_000_000, Decimal("0.01")
    sent = venue.limit(Side.BID, price, volume, "rest")
    placed = await venue.client.place(sent)
    assert placed.state is OrderState.WAIT and placed.identifier == sent.identifier
    assert placed.exchange_id and placed.executed_volume == 0
    assert venue.is_upbit or placed.exchange_id.startswith("C")  # Bithumb ids: C + digits (B4.2)
    locked = price * volume * (1 + FEE[venue.name])
    balances = await venue.client.accounts()
    assert balances["KRW"].locked == locked
    assert balances["KRW"].free == Decimal("1000000000") - locked

    by_ident, fills = await venue.client.get_order(identifier=sent.identifier)
    by_uuid, _ = await venue.client.get_order(uuid=placed.exchange_id)
    assert by_ident == by_uuid and by_ident.exchange_id == placed.exchange_id and fills == []
    assert (by_ident.price, by_ident.volume, by_ident.ord_type) == (price, volume, OrdType.LIMIT)
    assert [o.exchange_id for o in await venue.client.open_orders("KRW-BTC")] == [placed.exchange_id]

    answer = await venue.client.cancel(identifier=sent.identifier)
    assert answer.state is OrderState.WAIT  # cancellation is asynchronous (A4.6)
    cancelled = await _poll_until(venue, placed.exchange_id, OrderState.CANCEL)
    assert cancelled.executed_volume == 0
    balances = await venue.client.accounts()
    assert balances["KRW"].locked == 0 and balances["KRW"].free == Decimal("1000000000")
    assert await venue.client.open_orders() == []
    closed = await venue.client.closed_orders("KRW-BTC")
    assert [(o.exchange_id, o.state) for o in closed] == [(placed.exchange_id, OrderState.CANCEL)]
    with pytest.raises(OrderNotFound):  # no longer open (B4.4, A4.6)
        await venue.client.cancel(uuid=placed.exchange_id)


async def test_limit_ask_rests_and_locks_coin(venue: Any) -> None:
    _, best_ask = await _best(venue)
    placed = await venue.client.place(venue.limit(Side.ASK, best_ask + 2_000_000, Decimal("0.5"), "ask"))
    assert placed.state is OrderState.WAIT
    balances = await venue.client.accounts()
    assert (balances["BTC"].free, balances["BTC"].locked) == (Decimal("1.5"), Decimal("0.5"))
    await venue.client.cancel(uuid=placed.exchange_id)
    await _poll_until(venue, placed.exchange_id, OrderState.CANCEL)
    balances = await venue.client.accounts()
    assert (balances["BTC"].free, balances["BTC"].locked) == (Decimal(2), Decimal(0))


async def test_crossing_limit_bid_fills_with_fees_summing_to_paid_fee(venue: Any) -> None:
    [book] = await venue.client.orderbook(["KRW-BTC"])
    third_ask = book.asks[2].price
    volume = (book.asks[0].size + book.asks[1].size + book.asks[2].size / 2).quantize(Decimal("0.0001"))
    sent = venue.limit(Side.BID, third_ask, volume, "take")
    placed = await venue.client.place(sent)
    assert placed.state is OrderState.DONE and placed.executed_volume == volume
    order, fills = await venue.client.get_order(identifier=sent.identifier)
    assert order.state is OrderState.DONE and order.identifier == sent.identifier
    assert len(fills) == 3
    assert [f.price for f in fills] == [lvl.price for lvl in book.asks[:3]]
    assert sum((f.volume for f in fills), Decimal(0)) == volume
    assert sum((f.funds for f in fills), Decimal(0)) == order.executed_funds
    assert sum((f.fee for f in fills), Decimal(0)) == order.paid_fee > 0
    assert all(f.identifier == sent.identifier and f.side is Side.BID for f in fills)
    expected_fee = order.executed_funds * FEE[venue.name]
    assert abs(order.paid_fee - expected_fee) < Decimal("0.0001")
    balances = await venue.client.accounts()
    assert balances["BTC"].free == Decimal(2) + volume
    assert balances["KRW"].locked == 0  # the unused fee reserve came back
    assert balances["KRW"].free == Decimal("1000000000") - order.executed_funds - order.paid_fee


async def test_market_buy_by_amount(venue: Any) -> None:
    amount = Decimal(100_000)
    sent = venue.market_buy(amount)
    placed = await venue.client.place(sent)
    assert placed.ord_type is OrdType.PRICE and placed.price == amount and placed.volume is None
    # Upbit ends such orders ``cancel`` with fills (A5), Bithumb ``done``; both read as filled.
    assert placed.state is OrderState.DONE
    order, fills = await venue.client.get_order(uuid=placed.exchange_id)
    assert order.state is OrderState.DONE and fills
    assert order.executed_funds <= amount and amount - order.executed_funds < order.executed_funds / 100
    assert sum((f.fee for f in fills), Decimal(0)) == order.paid_fee
    balances = await venue.client.accounts()
    assert balances["KRW"].locked == 0
    assert balances["KRW"].free == Decimal("1000000000") - order.executed_funds - order.paid_fee
    assert balances["BTC"].free == Decimal(2) + order.executed_volume


async def test_market_sell_by_volume(venue: Any) -> None:
    best_bid, _ = await _best(venue)
    sent = venue.market_sell(Decimal("0.01"))
    placed = await venue.client.place(sent)
    assert placed.ord_type is OrdType.MARKET and placed.price is None and placed.state is OrderState.DONE
    order, fills = await venue.client.get_order(identifier=sent.identifier)
    assert order.executed_volume == Decimal("0.01") and fills[0].price == best_bid
    assert sum((f.fee for f in fills), Decimal(0)) == order.paid_fee > 0
    balances = await venue.client.accounts()
    assert balances["BTC"].free == Decimal("1.99")
    assert balances["KRW"].free == Decimal("1000000000") + order.executed_funds - order.paid_fee


async def test_open_and_closed_order_lists(venue: Any) -> None:
    best_bid, best_ask = await _best(venue)
    resting = [
        await venue.client.place(venue.limit(Side.BID, best_bid - 1_000_000 - i * 1000, Decimal("0.001"), "open"))
        for i in range(3)
    ]
    done = await venue.client.place(venue.market_sell(Decimal("0.001")))
    venue.clock.advance_ms(1)
    opened = await venue.client.open_orders("KRW-BTC")
    assert [o.exchange_id for o in opened] == [o.exchange_id for o in reversed(resting)]  # newest first
    assert all(o.state is OrderState.WAIT for o in opened)
    assert await venue.client.open_orders("KRW-XRP") == []
    closed = await venue.client.closed_orders(
        "KRW-BTC", start_ms=venue.clock.now_ms() - 60_000, end_ms=venue.clock.now_ms() + 1
    )
    assert [(o.exchange_id, o.state) for o in closed] == [(done.exchange_id, OrderState.DONE)]
    assert best_ask > best_bid


@pytest.mark.parametrize("name", ["upbit", "bithumb"])
async def test_rejections_map_to_classes_with_the_exchange_error_name(name: str) -> None:
    async with v.running(name, balances={"KRW": "3000000", "BTC": "0.01"}) as venue:
        best_bid, _ = await _best(venue)
        with pytest.raises(InsufficientFunds) as funds:
            await venue.client.place(venue.limit(Side.BID, best_bid, Decimal("0.1"), "poor"))
        assert funds.value.name == "insufficient_funds_bid"
        with pytest.raises(InsufficientFunds) as coin:
            await venue.client.place(venue.market_sell(Decimal("0.02")))
        assert coin.value.name == "insufficient_funds_ask"
        with pytest.raises(AboveMaximum) as big:
            await venue.client.place(venue.limit(Side.BID, best_bid, Decimal(100), "huge"))
        assert big.value.name == "over_krw_funds_bid"
        with pytest.raises(BelowMinimum) as small:
            await venue.client.place(venue.market_buy(Decimal(4000)))
        # Upbit ``under_min_total_*`` vs Bithumb ``under_price_limit_*`` (A7, B6)
        assert small.value.name == ("under_min_total_bid" if venue.is_upbit else "under_price_limit_bid")
        with pytest.raises(BelowMinimum) as small_ask:
            await venue.client.place(venue.market_sell(Decimal("0.00005")))
        assert small_ask.value.name == ("under_min_total_ask" if venue.is_upbit else "under_price_limit_ask")
        with pytest.raises(InvalidPrice) as off_grid:
            await venue.client.place(venue.limit(Side.BID, best_bid - 1_000_000 + 1, Decimal("0.001"), "grid"))
        assert off_grid.value.name == "invalid_price_bid"
        with pytest.raises(InvalidPrice) as off_grid_ask:
            await venue.client.place(venue.limit(Side.ASK, best_bid + 1_000_500, Decimal("0.001"), "grid"))
        assert off_grid_ask.value.name == "invalid_price_ask"
        balances = await venue.client.accounts()
        assert balances["KRW"].locked == balances["BTC"].locked == 0
        assert balances["KRW"].free == Decimal(3_000_000) and balances["BTC"].free == Decimal("0.01")
        assert await venue.client.open_orders() == []


async def test_reused_client_id_upbit_rejects_bithumb_returns_existing(venue: Any) -> None:
    best_bid, _ = await _best(venue)
    first = venue.limit(Side.BID, best_bid - 1_000_000, Decimal("0.001"), "dup")
    placed = await venue.client.place(first)
    again = Order(
        first.identifier, "KRW-BTC", Side.BID, OrdType.LIMIT, best_bid - 2_000_000, Decimal("0.002"), first.created_ms
    )
    if venue.is_upbit:
        with pytest.raises(DuplicateIdentifier) as dup:
            await venue.client.place(again)
        assert dup.value.name == "duplicated_identifier"
    else:  # Bithumb trade kit: a reused client_order_id answers with the existing order (B4.4)
        existing = await venue.client.place(again)
        assert existing.exchange_id == placed.exchange_id
        assert (existing.price, existing.volume) == (first.price, first.volume)
    assert [o.exchange_id for o in await venue.client.open_orders()] == [placed.exchange_id]
    # A refused order's id stays used (A4.3 "unique forever").
    refused = venue.market_sell(Decimal(3), "refused")
    with pytest.raises(InsufficientFunds):
        await venue.client.place(refused)
    if venue.is_upbit:
        with pytest.raises(DuplicateIdentifier):
            await venue.client.place(Order(**_fields(refused)))


def _fields(order: Order) -> dict[str, Any]:
    """A valid small market buy reusing ``order``'s identifier."""
    return {
        "identifier": order.identifier,
        "market": order.market,
        "side": Side.BID,
        "ord_type": OrdType.PRICE,
        "price": Decimal(10_000),
        "volume": None,
        "created_ms": order.created_ms,
    }


async def test_bithumb_reject_policy_for_reused_client_order_id() -> None:
    async with v.running("bithumb", client_order_id_policy="reject") as venue:
        best_bid, _ = await _best(venue)
        first = venue.limit(Side.BID, best_bid - 1_000_000, Decimal("0.001"), "dup")
        await venue.client.place(first)
        with pytest.raises(OrderRejected) as dup:
            await venue.client.place(first)
        assert dup.value.name == "duplicated_identifier"


async def test_unknown_order_is_order_not_found(venue: Any) -> None:
    with pytest.raises(OrderNotFound) as missing:
        await venue.client.get_order(identifier="ct-never-sent")
    assert missing.value.name == "order_not_found"


async def test_wrong_secret_is_an_auth_error(venue: Any) -> None:
    wrong = venue.make_client(secret_key=v.SECRET[:-1] + "X")
    with pytest.raises(AuthError) as failed:
        await wrong.accounts()
    assert isinstance(failed.value, InvalidSignature)
    assert "jwt_verification" in str(failed.value)
    with pytest.raises(InvalidSignature):
        await wrong.place(venue.market_buy(Decimal(10_000)))
    unknown = venue.make_client(access_key="nobody")
    with pytest.raises(AuthError, match="invalid_access_key"):
        await unknown.accounts()
    assert (await venue.client.accounts())["KRW"].locked == 0  # nothing was placed


async def test_bithumb_order_not_ready_is_retried_on_get() -> None:
    async with v.running("bithumb", order_not_ready_ms=300) as venue:
        placed = await venue.client.place(venue.market_buy(Decimal(10_000)))
        order, fills = await venue.client.get_order(uuid=placed.exchange_id)
        assert order.exchange_id == placed.exchange_id and fills
        assert venue.count(422) >= 1


async def test_open_orders_pages_past_one_hundred(venue: Any) -> None:
    best_bid, _ = await _best(venue)
    placed = [
        await venue.client.place(venue.limit(Side.BID, best_bid - 1_000_000 - i * 1000, Decimal("0.0002"), "many"))
        for i in range(105)
    ]
    opened = await venue.client.open_orders()
    assert [o.exchange_id for o in opened] == [o.exchange_id for o in reversed(placed)]
    assert venue.sends("GET", venue.profile.order_endpoints.open) == 2  # page 1 (100) + page 2 (5)


async def test_signing_variants_and_clock_skew(venue: Any) -> None:
    hs256 = venue.make_client(jwt_alg="HS256")  # Upbit accepts HS256 besides HS512; Bithumb signs HS256 (A2, B2)
    assert (await hs256.accounts())["KRW"].free == Decimal("1000000000")
    skewed = venue.make_client(clock=v.SimClock(venue.clock.now_ms() - 120_000))
    if venue.is_upbit:  # no timestamp claim on Upbit: a slow clock does not matter
        assert "KRW" in await skewed.accounts()
    else:  # Bithumb: a stale ``timestamp`` claim is ``expired_jwt`` (B2)
        with pytest.raises(TokenExpired):
            await skewed.accounts()


async def test_invalid_volume_is_rejected_with_its_name(venue: Any) -> None:
    with pytest.raises(InvalidVolume) as bad:
        await venue.client.place(venue.market_sell(Decimal("0.123456789")))
    assert bad.value.name == "invalid_volume_ask"


@pytest.mark.parametrize("name", ["upbit", "bithumb"])
async def test_lost_order_response_is_not_resent_and_is_found_by_identifier(name: str) -> None:
    async with v.running(name, faults=FaultSpec(lost_response=1.0)) as venue:
        sent = venue.market_buy(Decimal(50_000))
        with pytest.raises(OrderStateUnknown) as unknown:
            await venue.client.place(sent)
        assert unknown.value.identifier == sent.identifier
        assert venue.sends("POST", "/v1/orders") == 1, "an order POST must never be retried"
        order, fills = await venue.client.get_order(identifier=sent.identifier)  # reconcile (Part C)
        assert order.state is OrderState.DONE and fills
        assert len(await venue.client.closed_orders("KRW-BTC")) == 1


@pytest.mark.parametrize("name", ["upbit", "bithumb"])
async def test_cancel_of_a_fresh_order_is_not_ready_on_bithumb_only(name: str) -> None:
    async with v.running(name, order_not_ready_ms=300) as venue:
        best_bid, _ = await _best(venue)
        placed = await venue.client.place(venue.limit(Side.BID, best_bid - 1_000_000, Decimal("0.001"), "fresh"))
        if venue.is_upbit:  # Upbit has no order_not_ready: the cancel is accepted at once
            await venue.client.cancel(uuid=placed.exchange_id)
        else:  # Bithumb 422 order_not_ready (B4.4): transient, not a rejection; retry after a moment
            with pytest.raises(OrderNotReady):
                await venue.client.cancel(uuid=placed.exchange_id)
            venue.clock.advance_ms(300)
            await venue.client.cancel(uuid=placed.exchange_id)
        await _poll_until(venue, placed.exchange_id, OrderState.CANCEL)


@pytest.mark.parametrize("name", ["upbit", "bithumb"])
async def test_partial_fill_then_cancel_keeps_the_executed_part(name: str) -> None:
    # No cancel delay: the rest of the order sits at the best ask, where the next path step may fill it.
    async with v.running(name, cancel_delay_ms=0) as venue:
        [book] = await venue.client.orderbook(["KRW-BTC"])
        best_ask = book.asks[0]
        volume = (best_ask.size * 2).quantize(Decimal("0.0001"))
        placed = await venue.client.place(venue.limit(Side.BID, best_ask.price, volume, "part"))
        assert placed.state is OrderState.WAIT and placed.executed_volume == best_ask.size  # rests the rest
        locked = (await venue.client.accounts())["KRW"].locked
        rest_value = best_ask.price * (volume - best_ask.size)
        assert rest_value < locked < rest_value * (1 + 2 * FEE[venue.name])
        await venue.client.cancel(uuid=placed.exchange_id)
        order = await _poll_until(venue, placed.exchange_id, OrderState.CANCEL)
        assert order.executed_volume == best_ask.size and order.paid_fee > 0  # A5: cancel keeps executed fields
        _, fills = await venue.client.get_order(uuid=placed.exchange_id)
        assert sum((f.fee for f in fills), Decimal(0)) == order.paid_fee
        balances = await venue.client.accounts()
        assert balances["KRW"].locked == 0
        assert balances["KRW"].free == Decimal("1000000000") - order.executed_funds - order.paid_fee
