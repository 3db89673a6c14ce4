"""Test-side peer of the sandbox: hand-built JWTs and a server per test, written from the reference
(A2 / B2), not from our exchange clients. Loaded by file path from the test modules."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from tradetui.core.clock import SimClock
from tradetui.sandbox import MarketSpec, SandboxConfig, SandboxState, serve

__all__ = ["MarketSpec", "SandboxConfig", "SandboxState", "SimClock", "serve"]

START_MS = 1_756_688_400_000  # 2025-09-01 01:00 UTC = 10:00 KST
ACCESS = "test-access-key"
SECRET = "test-secret-key-" + "x" * 48  # 64 bytes: no PyJWT short-key warning for HS512
MARKETS = (
    MarketSpec("KRW-BTC", "비트코인", "Bitcoin", seed=1, start_price=50_000_000.0),
    MarketSpec("KRW-XRP", "리플", "XRP", seed=3, start_price=800.0, warning=True, cautions=("PRICE_FLUCTUATIONS",)),
)
Pairs = Sequence[tuple[str, str]]


def make_token(
    profile: str,
    now_ms: int,
    *,
    hash_input: str | None = None,
    access: str = ACCESS,
    secret: str = SECRET,
    alg: str | None = None,
    nonce: str | None = None,
    timestamp: int | None = None,
    drop: Sequence[str] = (),
) -> str:
    payload: dict[str, Any] = {"access_key": access, "nonce": nonce or str(uuid.uuid4())}
    if profile == "bithumb":
        payload["timestamp"] = now_ms if timestamp is None else timestamp
    if hash_input:
        payload["query_hash"] = hashlib.sha512(hash_input.encode()).hexdigest()
        payload["query_hash_alg"] = "SHA512"
    for name in drop:
        payload.pop(name, None)
    algorithm = alg or ("HS512" if profile == "upbit" else "HS256")
    return "Bearer " + jwt.encode(payload, secret, algorithm=algorithm)


@dataclass
class Peer:
    profile: str
    state: SandboxState
    clock: SimClock
    client: httpx.AsyncClient

    def token(self, hash_input: str | None = None, **options: Any) -> str:
        return make_token(self.profile, self.clock.now_ms(), hash_input=hash_input, **options)

    async def get(self, path: str, params: Pairs = (), **token: Any) -> httpx.Response:
        """A signed GET; the hash covers the unencoded query string in sending order."""
        return await self._query("GET", path, params, **token)

    async def delete(self, path: str, params: Pairs = (), **token: Any) -> httpx.Response:
        return await self._query("DELETE", path, params, **token)

    async def _query(self, method: str, path: str, params: Pairs, **token: Any) -> httpx.Response:
        text = "&".join(f"{k}={v}" for k, v in params)
        headers = {"Authorization": self.token(text or None, **token)}
        return await self.client.request(method, path, params=list(params), headers=headers)

    async def post(self, path: str, body: dict[str, Any], **token: Any) -> httpx.Response:
        """A signed JSON POST; the hash covers ``k=v&...`` in body order."""
        text = "&".join(f"{k}={v}" for k, v in body.items())
        headers = {"Authorization": self.token(text, **token), "Content-Type": "application/json; charset=utf-8"}
        return await self.client.post(path, content=json.dumps(body).encode(), headers=headers)

    async def public(self, path: str, params: Pairs = ()) -> httpx.Response:
        return await self.client.get(path, params=list(params))

    async def order(self, **body: str) -> httpx.Response:
        return await self.post("/v1/orders", body)

    async def balances(self) -> dict[str, tuple[str, str]]:
        reply = await self.get("/v1/accounts")
        assert reply.status_code == 200, reply.text
        return {row["currency"]: (row["balance"], row["locked"]) for row in reply.json()}


@asynccontextmanager
async def running(
    profile: str,
    *,
    balances: dict[str, str] | None = None,
    markets: Sequence[MarketSpec] = MARKETS,
    **config: Any,
) -> AsyncIterator[Peer]:
    """A sandbox on 127.0.0.1 with an OS-chosen port, a SimClock and one funded account."""
    config.setdefault("history_minutes", 600)
    config.setdefault("speed", 1.0)
    clock = SimClock(START_MS)
    state = SandboxState(SandboxConfig(profile=profile, **config), clock=clock, markets=markets)
    state.add_account(ACCESS, SECRET, balances or {"KRW": "1000000000", "BTC": "2", "XRP": "100000"})
    runner, port = await asyncio.wait_for(serve(state), timeout=10)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield Peer(profile, state, clock, client)
    finally:
        await asyncio.wait_for(runner.cleanup(), timeout=10)


def error_name(reply: httpx.Response) -> object:
    body = reply.json()
    assert "error" in body, body
    return body["error"]["name"]
