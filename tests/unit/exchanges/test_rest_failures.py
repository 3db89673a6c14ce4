"""Retries, back-off and the never-resend rule for orders, with a fake clock and sleep."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tradetui.core.clock import SimClock
from tradetui.core.orders import Order, OrdType
from tradetui.core.types import Side
from tradetui.errors import OrderStateUnknown, RateLimited
from tradetui.exchanges.errors import (
    InvalidRequest,
    IpBlocked,
    MarketNotFound,
    NetworkError,
    OrderNotFound,
    ServerError,
)
from tradetui.exchanges.profiles import BITHUMB, UPBIT, ExchangeProfile
from tradetui.exchanges.ratelimit import RateBudget
from tradetui.exchanges.rest import ExchangeClient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ACCESS = "access-key-for-tests"
SECRET = "secret-key-for-tests-" + "x" * 48
NOW_MS = 1_756_685_000_000

Step = httpx.Response | Exception


def fixture(exchange: str, name: str) -> Any:
    return json.loads((FIXTURES / exchange / f"{name}.json").read_text())


class Script:
    """Answers requests with the scripted steps in order (a response, or an exception to raise)."""

    def __init__(self, steps: list[Step]) -> None:
        self._steps: Iterator[Step] = iter(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = next(self._steps)
        if isinstance(step, Exception):
            raise step
        return step


class Harness:
    def __init__(self, profile: ExchangeProfile, steps: list[Step], **budget_kwargs: Any) -> None:
        self.clock = SimClock(NOW_MS)
        self.sleeps: list[float] = []
        self.blocks: list[tuple[str, float]] = []
        self.script = Script(steps)
        self.budget = RateBudget(
            profile,
            clock=self.clock,
            sleep=self.sleep,
            rng=random.Random(3),
            on_block=lambda group, seconds: self.blocks.append((group, seconds)),
            **budget_kwargs,
        )
        self.client = ExchangeClient(
            profile,
            access_key=ACCESS,
            secret_key=SECRET,
            http=httpx.AsyncClient(transport=httpx.MockTransport(self.script)),
            budget=self.budget,
        )

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.clock.advance_ms(round(seconds * 1000))

    @property
    def requests(self) -> list[httpx.Request]:
        return self.script.requests


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=data, headers=headers)


def err(status: int, name: str | int = "", message: str = "", headers: dict[str, str] | None = None) -> httpx.Response:
    if name == "":
        return httpx.Response(status, content=b"", headers=headers)
    return httpx.Response(status, json={"error": {"name": name, "message": message}}, headers=headers)


def order() -> Order:
    return Order(
        "tt-19907a3c2a0-0000002a", "KRW-BTC", Side.BID, OrdType.LIMIT, Decimal("100000000"), Decimal("0.01"), NOW_MS
    )


# --- GET retries --------------------------------------------------------------------------------------


async def test_get_is_retried_after_429_with_backoff_and_a_fresh_nonce() -> None:
    h = Harness(UPBIT, [err(429, "too_many_requests"), ok(fixture("upbit", "accounts"))])
    balances = await h.client.accounts()
    assert "BTC" in balances
    assert len(h.requests) == 2
    assert 0 <= h.sleeps[0] <= 0.5  # full jitter, first attempt
    assert h.clock.now_ms() >= NOW_MS + 1000  # and the emptied window is waited out: retry in the next second
    nonces = {jwt.decode(r.headers["Authorization"][7:], SECRET, algorithms=["HS512"])["nonce"] for r in h.requests}
    assert len(nonces) == 2


async def test_get_gives_up_after_the_attempt_limit_on_5xx() -> None:
    h = Harness(UPBIT, [err(500), err(502), err(503), err(500)])
    with pytest.raises(ServerError):
        await h.client.ticker(["KRW-BTC"])
    assert len(h.requests) == 4
    assert len(h.sleeps) == 3
    assert all(0 <= s <= cap for s, cap in zip(h.sleeps, (0.5, 1.0, 2.0), strict=True))


async def test_get_is_retried_after_a_network_error() -> None:
    h = Harness(UPBIT, [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), ok(fixture("upbit", "ticker"))])
    tickers = await h.client.ticker(["KRW-BTC"])
    assert tickers[0].market == "KRW-BTC"
    assert len(h.requests) == 3


async def test_network_errors_become_network_error_after_the_limit() -> None:
    h = Harness(UPBIT, [httpx.ReadTimeout("slow")] * 4)
    with pytest.raises(NetworkError):
        await h.client.ticker(["KRW-BTC"])


async def test_bithumb_order_not_ready_is_retried_on_get() -> None:
    h = Harness(BITHUMB, [err(422, "order_not_ready"), ok(fixture("bithumb", "order_get"))])
    found, fills = await h.client.get_order(uuid="C0101000001234567890")
    assert found.exchange_id == "C0101000001234567890" and len(fills) == 2
    assert len(h.requests) == 2 and h.sleeps[0] >= 0.5


async def test_definitive_answers_are_not_retried() -> None:
    h = Harness(UPBIT, [err(404, "order_not_found", "주문을 찾지 못했습니다.")])
    with pytest.raises(OrderNotFound):
        await h.client.get_order(identifier="nope")
    h = Harness(UPBIT, [err(404, 404, "Code not found")])
    with pytest.raises(MarketNotFound):
        await h.client.ticker(["KRW-NOPE"])
    assert len(h.requests) == 1


async def test_bithumb_200_with_an_error_body_raises() -> None:
    h = Harness(BITHUMB, [ok(fixture("bithumb", "error_200"))])
    with pytest.raises(InvalidRequest, match="Type mismatch"):
        await h.client.ticker(["KRW-BTC"])
    assert len(h.requests) == 1


# --- order placement is never resent -----------------------------------------------------------------


async def test_post_timeout_is_order_state_unknown_and_not_retried() -> None:
    h = Harness(UPBIT, [httpx.ReadTimeout("no answer")])
    with pytest.raises(OrderStateUnknown) as caught:
        await h.client.place(order())
    assert caught.value.identifier == "tt-19907a3c2a0-0000002a"
    assert len(h.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_post_5xx_is_order_state_unknown_and_not_retried(status: int) -> None:
    h = Harness(UPBIT, [err(status)])
    with pytest.raises(OrderStateUnknown) as caught:
        await h.client.place(order())
    assert caught.value.identifier == "tt-19907a3c2a0-0000002a"
    assert len(h.requests) == 1


async def test_post_with_an_unreadable_answer_is_order_state_unknown() -> None:
    h = Harness(UPBIT, [httpx.Response(201, content=b"<html>gateway</html>")])
    with pytest.raises(OrderStateUnknown):
        await h.client.place(order())
    h = Harness(UPBIT, [ok({"uuid": "u-1"}, 201)])  # JSON, but not an order
    with pytest.raises(OrderStateUnknown):
        await h.client.place(order())


async def test_post_429_is_raised_not_retried() -> None:
    h = Harness(UPBIT, [err(429, "too_many_requests")])
    with pytest.raises(RateLimited) as caught:
        await h.client.place(order())
    assert not isinstance(caught.value, OrderStateUnknown)
    assert len(h.requests) == 1 and h.sleeps == []


# --- DELETE ------------------------------------------------------------------------------------------


async def test_delete_is_retried_on_429_only() -> None:
    h = Harness(UPBIT, [err(429), ok(fixture("upbit", "order_cancel"))])
    await h.client.cancel(identifier="tt-19907a3c2a0-0000002a")
    assert len(h.requests) == 2
    h = Harness(UPBIT, [err(500)])
    with pytest.raises(ServerError):
        await h.client.cancel(identifier="tt-19907a3c2a0-0000002a")
    assert len(h.requests) == 1


# --- blocks and budgets ------------------------------------------------------------------------------


async def test_418_blocks_the_group_and_tells_the_engine() -> None:
    blocked = fixture("upbit", "errors")["blocked"]
    h = Harness(UPBIT, [httpx.Response(418, json=blocked["body"])])
    with pytest.raises(IpBlocked) as caught:
        await h.client.ticker(["KRW-BTC"])
    assert caught.value.retry_after_s == 120.0
    assert h.blocks == [("ticker", 120.0)]
    with pytest.raises(IpBlocked):
        await h.client.ticker(["KRW-BTC"])
    assert len(h.requests) == 1  # nothing sent while blocked


async def test_418_without_a_duration_uses_the_default() -> None:
    h = Harness(UPBIT, [err(418)], block_default_s=45.0)
    with pytest.raises(IpBlocked):
        await h.client.accounts()
    assert h.blocks == [("default", 45.0)]


async def test_remaining_req_zero_delays_the_next_call_instead_of_a_429() -> None:
    exhausted = {"Remaining-Req": "group=ticker; min=600; sec=0"}
    h = Harness(UPBIT, [ok(fixture("upbit", "ticker"), headers=exhausted), ok(fixture("upbit", "ticker"))])
    await h.client.ticker(["KRW-BTC"])
    assert h.sleeps == []
    await h.client.ticker(["KRW-BTC"])
    assert h.sleeps == [1.0]
    assert len(h.requests) == 2


# --- logging -----------------------------------------------------------------------------------------


async def test_order_logs_carry_the_client_id_and_never_the_secrets(caplog: pytest.LogCaptureFixture) -> None:
    h = Harness(UPBIT, [ok(fixture("upbit", "order_create"), 201)])
    with caplog.at_level(logging.DEBUG, logger="tradetui.exchanges"):
        await h.client.place(order())
    assert any(getattr(r, "client_order_id", None) == "tt-19907a3c2a0-0000002a" for r in caplog.records)
    token = h.requests[0].headers["Authorization"]
    text = caplog.text
    assert SECRET not in text and ACCESS not in text and token[7:] not in text


def test_keys_must_come_in_pairs() -> None:
    with pytest.raises(ValueError, match="both"):
        ExchangeClient(UPBIT, access_key="a")
