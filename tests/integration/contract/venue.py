"""Contract-test harness: our real ``ExchangeClient`` against the real sandbox over loopback sockets.

One :class:`SimClock` drives both sides: the sandbox reads it for candles, rate windows and the
Bithumb ``timestamp`` claim, and the client's rate budget sleeps by advancing it, so back-off and
window rolls take no wall time. Every request the client sends and every HTTP status it receives
are recorded, so a test can count the 429s the sandbox served or the attempts of a call. Loaded
by file path from the test modules (no conftest).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from tradetui.core.clock import SimClock
from tradetui.core.orders import Order, OrdType
from tradetui.core.types import Side
from tradetui.exchanges.profiles import BITHUMB, UPBIT, ExchangeProfile
from tradetui.exchanges.ratelimit import RateBudget
from tradetui.exchanges.rest import ExchangeClient
from tradetui.sandbox import MarketSpec, SandboxConfig, SandboxState, serve

START_MS = 1_756_688_400_000  # 2025-09-01 01:00:00 UTC = 10:00 KST, on a whole second
ACCESS = "contract-access-key"
SECRET = "contract-secret-key-" + "s" * 44  # 64 bytes: no PyJWT short-key warning for HS512
MARKETS = (
    MarketSpec("KRW-BTC", "비트코인", "Bitcoin", seed=1, start_price=50_000_000.0, quiet_probability=0.15),
    MarketSpec("KRW-XRP", "리플", "XRP", seed=3, start_price=800.0, warning=True, cautions=("PRICE_FLUCTUATIONS",)),
)
BALANCES = {"KRW": "1000000000", "BTC": "2", "XRP": "100000"}
PROFILES: dict[str, ExchangeProfile] = {"upbit": UPBIT, "bithumb": BITHUMB}
TIMEOUT_S = 10.0


@dataclass
class Venue:
    """A running sandbox and a client talking to it."""

    name: str
    profile: ExchangeProfile
    state: SandboxState
    clock: SimClock
    base_url: str
    http: httpx.AsyncClient
    statuses: list[int] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    """``"METHOD /path"`` of every request the client sent."""
    _client: ExchangeClient | None = None
    _serial: int = 0

    @property
    def client(self) -> ExchangeClient:
        assert self._client is not None, "the venue's client is made by running()"
        return self._client

    @property
    def is_upbit(self) -> bool:
        return self.name == "upbit"

    def ident(self, tag: str) -> str:
        """A fresh client order id valid on both exchanges (Bithumb: ``[A-Za-z0-9_-]{1,36}``)."""
        self._serial += 1
        return f"ct-{tag}-{self._serial}"

    def sends(self, method: str, path: str) -> int:
        return self.sent.count(f"{method} {path}")

    def count(self, status: int) -> int:
        return sum(1 for seen in self.statuses if seen == status)

    def make_client(self, **options: Any) -> ExchangeClient:
        """Another client on the same clock and sandbox (e.g. with a wrong secret)."""
        options.setdefault("access_key", ACCESS)
        options.setdefault("secret_key", SECRET)
        clock = options.pop("clock", self.clock)
        budget = RateBudget(self.profile, clock=clock, sleep=self.sleep, rng=random.Random(11))
        return ExchangeClient(
            self.profile,
            http=self.http,
            base_url=self.base_url,
            budget=budget,
            clock=clock,
            sleep=self.sleep,
            **options,
        )

    async def sleep(self, seconds: float) -> None:
        """The client's sleep: simulated time moves, wall time does not."""
        self.clock.advance_ms(max(1, math.ceil(seconds * 1000)))
        await asyncio.sleep(0)

    async def raw(self, path: str, params: Sequence[tuple[str, str]] = ()) -> httpx.Response:
        """An unsigned GET straight to the sandbox, bypassing the client (not recorded)."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=TIMEOUT_S) as plain:
            return await plain.get(path, params=list(params))

    # -- order builders ------------------------------------------------------------------------
    def limit(self, side: Side, price: Decimal, volume: Decimal, tag: str = "limit", market: str = "KRW-BTC") -> Order:
        return Order(self.ident(tag), market, side, OrdType.LIMIT, price, volume, self.clock.now_ms())

    def market_buy(self, amount: Decimal, tag: str = "buy", market: str = "KRW-BTC") -> Order:
        return Order(self.ident(tag), market, Side.BID, OrdType.PRICE, amount, None, self.clock.now_ms())

    def market_sell(self, volume: Decimal, tag: str = "sell", market: str = "KRW-BTC") -> Order:
        return Order(self.ident(tag), market, Side.ASK, OrdType.MARKET, None, volume, self.clock.now_ms())


@asynccontextmanager
async def running(
    name: str,
    *,
    balances: dict[str, str] | None = None,
    markets: Sequence[MarketSpec] = MARKETS,
    max_get_attempts: int = 4,
    **config: Any,
) -> AsyncIterator[Venue]:
    """A sandbox on 127.0.0.1 (OS-chosen port) with one funded account, and a client for it."""
    config.setdefault("history_minutes", 900)
    clock = SimClock(START_MS)
    state = SandboxState(SandboxConfig(profile=name, **config), clock=clock, markets=markets)
    state.add_account(ACCESS, SECRET, dict(balances or BALANCES))
    runner, port = await asyncio.wait_for(serve(state, "127.0.0.1", 0), timeout=TIMEOUT_S)
    statuses: list[int] = []
    sent: list[str] = []

    async def record_request(request: httpx.Request) -> None:
        sent.append(f"{request.method} {request.url.path}")

    async def record_response(response: httpx.Response) -> None:
        statuses.append(response.status_code)

    hooks: dict[str, list[Callable[..., Any]]] = {"request": [record_request], "response": [record_response]}
    http = httpx.AsyncClient(timeout=httpx.Timeout(TIMEOUT_S), event_hooks=hooks)
    profile = PROFILES[name]
    base_url = f"http://127.0.0.1:{port}"
    venue = Venue(name, profile, state, clock, base_url, http, statuses, sent)
    venue._client = venue.make_client(max_get_attempts=max_get_attempts)
    try:
        yield venue
    finally:
        try:
            await venue.client.aclose()
            await http.aclose()
        finally:
            await asyncio.wait_for(runner.cleanup(), timeout=TIMEOUT_S)
