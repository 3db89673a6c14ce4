"""Contract: our client's ``RateBudget`` and retry rules against the sandbox's limiter (A6, B5, D.15)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sibling import load_sibling  # tests/support/sibling.py

from tradetui.core.orders import OrdType
from tradetui.core.types import Side
from tradetui.errors import RateLimited
from tradetui.exchanges.errors import IpBlocked

pytestmark = pytest.mark.parametrize("name", ["upbit", "bithumb"])


v = load_sibling(__file__, "venue")
# The same budgets under each exchange's names: Upbit groups, Bithumb categories.
TICKER = {"upbit": "ticker", "bithumb": "public-ticker"}
PRIVATE = {"upbit": "default", "bithumb": "private-other"}
ORDER = {"upbit": "order", "bithumb": "private-order"}


async def test_budget_backs_off_before_the_exchange_answers_429(name: str) -> None:
    limits = {TICKER[name]: 3, PRIVATE[name]: 4, ORDER[name]: 2}
    async with v.running(name, rate_limits=limits, block_after_429s=1000) as venue:
        venue.clock.advance_ms(700)  # start mid-window: a fresh window must not mean a full bucket
        start = venue.clock.now_ms()
        for index in range(12):
            await venue.client.ticker(["KRW-BTC"])
            await venue.client.accounts()
            if index % 3 == 0:
                venue.clock.advance_ms(90)
        for _ in range(6):
            await venue.client.place(venue.market_buy(Decimal(10_000)))
        assert venue.count(429) == 0, f"the sandbox served {venue.count(429)} 429s"
        assert venue.statuses.count(200) == 24 and venue.statuses.count(201) == 6
        # 12 ticker calls at 3/s need about 3 more seconds of (simulated) waiting
        assert venue.clock.now_ms() - start >= 3_000


async def test_forced_429s_on_a_get_are_retried_until_it_succeeds(name: str) -> None:
    async with v.running(name, rate_limits={TICKER[name]: 2}, block_after_429s=1000) as venue:
        # Someone else on this IP (public groups count per IP) spends the window first.
        for _ in range(100):  # two a second allowed: the third at the latest is refused
            if (await venue.raw("/v1/ticker", [("markets", "KRW-BTC")])).status_code == 429:
                break
        else:
            pytest.fail("100 ticker calls at 2/s and never a 429")
        [ticker] = await venue.client.ticker(["KRW-BTC"])
        assert ticker.market == "KRW-BTC"
        assert venue.count(429) >= 1 and venue.statuses[-1] == 200


async def test_a_block_after_repeated_429s(name: str) -> None:
    config = {"rate_limits": {TICKER[name]: 1}, "block_after_429s": 2, "block_ms": 30_000}
    async with v.running(name, **config) as venue:
        statuses = [(await venue.raw("/v1/ticker", [("markets", "KRW-BTC")])).status_code for _ in range(3)]
        assert statuses == [200, 429, 429]  # this IP is now blocked for 30 s
        if name == "upbit":  # 429 -> 418 block (A6); the budget then refuses calls itself
            with pytest.raises(IpBlocked) as blocked:
                await venue.client.ticker(["KRW-BTC"])
            assert blocked.value.retry_after_s == pytest.approx(30)
            assert venue.statuses == [418]
            with pytest.raises(IpBlocked):
                await venue.client.ticker(["KRW-BTC"])
            # The exchange blocked the IP (A6), so every per-IP group waits without calling it ...
            with pytest.raises(IpBlocked):
                await venue.client.markets()
            assert venue.statuses == [418], "a blocked group must not call the exchange"
            await venue.client.accounts()  # ... while per-account groups still work
        else:  # Bithumb documents no 418: the block answers 429 (B5); the GET gives up as RateLimited
            with pytest.raises(RateLimited) as limited:
                await venue.client.ticker(["KRW-BTC"])
            assert not isinstance(limited.value, IpBlocked)
            assert set(venue.statuses) == {429}
        venue.clock.advance_ms(31_000)
        [ticker] = await venue.client.ticker(["KRW-BTC"])
        assert ticker.market == "KRW-BTC"


async def test_a_cancel_is_retried_after_429_but_an_order_post_never(name: str) -> None:
    # Another process on the same account spends the window; our budget cannot know (A6 per pocket).
    limits = {
        "upbit": {"default": 3, "order": 3},
        "bithumb": {"private-cancel": 1, "private-order": 3},
    }[name]
    async with v.running(name, rate_limits=limits, block_after_429s=1000) as venue:
        best_bid = (await venue.client.orderbook(["KRW-BTC"]))[0].best_bid
        assert best_bid is not None
        first, second = [
            await venue.client.place(venue.limit(Side.BID, best_bid - 1_000_000, Decimal("0.001"), "rl"))
            for _ in range(2)
        ]
        venue.clock.advance_ms(1_000)
        other = venue.make_client()
        await other.cancel(uuid=first.exchange_id)
        for _ in range(100):  # spend this second's budget of the default group
            if not other.transport.budget.remaining("default"):
                break
            await other.accounts()
        else:
            pytest.fail("the default group's budget never ran out")
        answer = await venue.client.cancel(uuid=second.exchange_id)  # DELETE: retried after the 429
        assert answer.exchange_id == second.exchange_id
        assert venue.count(429) >= 1 and venue.statuses[-1] == 200
        assert venue.sends("DELETE", "/v1/order") >= 3  # other's cancel, our 429, our retry

        venue.clock.advance_ms(1_000)
        for _ in range(3):
            await other.place(venue.market_buy(Decimal(10_000)))
        before = venue.sends("POST", "/v1/orders")
        with pytest.raises(RateLimited):
            await venue.client.place(venue.market_buy(Decimal(10_000)))
        assert venue.sends("POST", "/v1/orders") == before + 1, "an order POST must not be retried"
        assert venue.statuses[-1] == 429
        closed = await venue.client.closed_orders("KRW-BTC")
        assert sum(1 for order in closed if order.ord_type is OrdType.PRICE) == 3  # the refused one is not there
