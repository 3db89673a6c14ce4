"""RateBudget with a simulated clock and a fake sleep that advances it: no real waiting."""

from __future__ import annotations

import random

import pytest

from tradetui.core.clock import SimClock
from tradetui.exchanges.errors import IpBlocked
from tradetui.exchanges.profiles import BITHUMB, UPBIT
from tradetui.exchanges.ratelimit import (
    RateBudget,
    RemainingReq,
    endpoint_group,
    parse_remaining_req,
    parse_x_ratelimit,
)


class FakeSleep:
    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance_ms(round(seconds * 1000))


def make_budget(start_ms: int = 1_000_000, **kwargs: object) -> tuple[RateBudget, SimClock, FakeSleep]:
    clock = SimClock(start_ms)
    sleep = FakeSleep(clock)
    budget = RateBudget(UPBIT, clock=clock, sleep=sleep, rng=random.Random(7), **kwargs)  # type: ignore[arg-type]
    return budget, clock, sleep


def test_parse_remaining_req() -> None:
    assert parse_remaining_req("group=default; min=1800; sec=29") == RemainingReq("default", 29)
    assert parse_remaining_req("group=order;min=900;sec=0") == RemainingReq("order", 0)
    assert parse_remaining_req("sec=3") is None
    assert parse_remaining_req("") is None
    assert parse_remaining_req("group=x; sec=abc") is None


def test_parse_bithumb_headers() -> None:
    state = parse_x_ratelimit(
        {
            "X-RateLimit-Remaining": "7",
            "X-RateLimit-Burst-Capacity": "150",
            "X-RateLimit-Replenish-Rate": "150",
            "X-RateLimit-Requested-Tokens": "1",
        }
    )
    assert state is not None
    assert (state.remaining, state.burst_capacity, state.replenish_rate, state.requested_tokens) == (7, 150, 150.0, 1)
    assert parse_x_ratelimit({"content-type": "application/json"}) is None


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("GET", "/v1/market/all", "market"),
        ("GET", "/v1/candles/minutes/1", "candle"),
        ("GET", "/v1/candles/days", "candle"),
        ("GET", "/v1/trades/ticks", "trade"),
        ("GET", "/v1/ticker", "ticker"),
        ("GET", "/v1/ticker/all", "ticker"),
        ("GET", "/v1/orderbook", "orderbook"),
        ("GET", "/v1/orderbook/instruments", "orderbook"),
        ("GET", "/v1/accounts", "default"),
        ("GET", "/v1/orders/chance", "default"),
        ("GET", "/v1/order", "default"),
        ("DELETE", "/v1/order", "default"),
        ("GET", "/v1/orders/open", "default"),
        ("POST", "/v1/orders", "order"),
        ("POST", "/v1/orders/cancel_and_new", "order"),
        ("POST", "/v1/orders/test", "order-test"),
        ("DELETE", "/v1/orders/open", "order-cancel-all"),
    ],
)
def test_endpoint_groups_follow_the_reference(method: str, path: str, group: str) -> None:
    assert endpoint_group(method, path) == group


async def test_acquire_waits_for_the_next_second_when_the_header_says_zero_left() -> None:
    budget, clock, sleep = make_budget(start_ms=1_000_250)
    await budget.acquire("default")
    budget.observe("default", {"Remaining-Req": "group=default; min=1800; sec=0"}, 200)
    await budget.acquire("default")
    assert sleep.calls == [pytest.approx(0.75)]
    assert clock.now_ms() == 1_001_000


async def test_acquire_backs_off_before_the_documented_limit_is_hit() -> None:
    budget, _clock, sleep = make_budget()
    for _ in range(10):  # candle: 10 per second
        await budget.acquire("candle")
    assert sleep.calls == []
    await budget.acquire("candle")
    assert sleep.calls == [1.0]
    assert budget.remaining("candle") == 9


async def test_cancel_all_group_has_a_two_second_window() -> None:
    budget, _clock, sleep = make_budget(start_ms=2_000_000)
    await budget.acquire("order-cancel-all")
    await budget.acquire("order-cancel-all")
    assert sleep.calls == [2.0]


async def test_header_can_only_lower_the_local_count() -> None:
    budget, _clock, _sleep = make_budget()
    await budget.acquire("default")
    budget.observe("default", {"Remaining-Req": "group=default; min=1800; sec=29"}, 200)
    assert budget.remaining("default") == 29
    budget.observe("default", {"Remaining-Req": "group=default; min=1800; sec=3"}, 200)
    assert budget.remaining("default") == 3


async def test_budget_is_shared_per_group_not_per_caller() -> None:
    budget, _clock, sleep = make_budget()
    budget.observe("order", {"Remaining-Req": "group=order; min=900; sec=1"}, 201)
    await budget.acquire("order")  # caller A
    await budget.acquire("ticker")  # another group is unaffected
    assert sleep.calls == []
    await budget.acquire("order")  # caller B must wait
    assert len(sleep.calls) == 1


def test_backoff_is_full_jitter_doubling_to_the_cap() -> None:
    budget, _clock, _sleep = make_budget()
    rng = random.Random(7)
    expected = [rng.uniform(0, min(8.0, 0.5 * 2**n)) for n in range(7)]
    delays = [budget.backoff_s("default") for _ in range(7)]
    assert delays == expected
    assert all(d <= min(8.0, 0.5 * 2**n) for n, d in enumerate(delays))


def test_backoff_respects_retry_after_and_a_success_resets_it() -> None:
    budget, _clock, _sleep = make_budget()
    assert budget.backoff_s("default", retry_after_s=2.0) >= 2.0
    for _ in range(5):
        budget.backoff_s("default")
    budget.observe("default", {}, 200)
    assert budget.backoff_s("default") <= 0.5


async def test_a_429_empties_the_current_window_for_everyone() -> None:
    budget, _clock, sleep = make_budget(start_ms=5_000_400)
    budget.backoff_s("ticker")
    await budget.acquire("ticker")
    assert sleep.calls == [pytest.approx(0.6)]


async def test_418_blocks_the_group_and_calls_back() -> None:
    events: list[tuple[str, float]] = []
    budget, clock, _sleep = make_budget(on_block=lambda group, seconds: events.append((group, seconds)))
    assert budget.block("order", 120.0) == 120.0
    assert events == [("order", 120.0)]
    with pytest.raises(IpBlocked) as caught:
        await budget.acquire("order")
    assert caught.value.retry_after_s == pytest.approx(120.0)
    with pytest.raises(IpBlocked):  # the 418 blocks the account, so every per-account group (A6)
        await budget.acquire("default")
    await budget.acquire("ticker")  # per-IP groups still work
    clock.advance_ms(120_000)
    await budget.acquire("order")
    assert budget.blocked_for_s("order") == 0


def test_block_without_duration_uses_the_configured_default() -> None:
    budget, _clock, _sleep = make_budget(block_default_s=90.0)
    assert budget.block("default") == 90.0
    assert budget.blocked_for_s("default") == 90.0
    bithumb = RateBudget(BITHUMB, clock=SimClock(0))
    assert bithumb.block("order") == BITHUMB.block_default_s


async def test_bithumb_token_bucket_header_feeds_the_same_window() -> None:
    clock = SimClock(10_000)
    sleep = FakeSleep(clock)
    budget = RateBudget(BITHUMB, clock=clock, sleep=sleep)
    await budget.acquire("ticker")
    budget.observe("ticker", {"x-ratelimit-remaining": "0", "x-ratelimit-replenish-rate": "150"}, 200)
    await budget.acquire("ticker")
    assert sleep.calls == [1.0]


async def test_bithumb_new_window_starts_with_the_replenished_tokens_not_a_full_bucket() -> None:
    clock = SimClock(10_800)
    sleep = FakeSleep(clock)
    budget = RateBudget(BITHUMB, clock=clock, sleep=sleep)
    await budget.acquire("ticker")
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-replenish-rate": "3", "x-ratelimit-burst-capacity": "3"}
    budget.observe("ticker", headers, 200)
    await budget.acquire("ticker")  # 11_000: only 0.6 tokens back, so wait one more window
    assert sleep.calls == [pytest.approx(0.2), 1.0]
    assert budget.remaining("ticker") == 2  # 3.6 replenished, capped at the burst capacity of 3, one taken
