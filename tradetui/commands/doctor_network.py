"""`tradetui doctor` checks that talk to the exchange: REST, WebSocket and the key's permissions.

REST: the market list answers, ticker round trips and the clock offset from their ``Date`` headers;
WebSocket: a connect and the first ticker message; permissions: ``/v1/accounts`` and
``/v1/orders/chance``. Every REST call is recorded in an :class:`Observations`.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tradetui.commands.doctor_check import Check, Status
from tradetui.commands.doctor_observations import (
    DateSample,
    Observations,
    budget_of,
    estimate_skew,
    parse_http_date,
    skew_check,
)
from tradetui.core.clock import Clock
from tradetui.core.events import FeedStateChanged
from tradetui.core.market import Exchange
from tradetui.errors import AuthError, RateLimited, VenueError
from tradetui.exchanges.errors import (
    InvalidAccessKey,
    InvalidSignature,
    IpBlocked,
    IpNotAllowed,
    NonceReused,
    PermissionDenied,
    TokenExpired,
)
from tradetui.exchanges.profiles import ExchangeProfile
from tradetui.exchanges.ratelimit import endpoint_group
from tradetui.exchanges.rest import ExchangeClient
from tradetui.exchanges.ws import ExchangeStream, Subscription

T = TypeVar("T")

LATENCY_WARN_MS = 500.0
PROBES = 5
"""Public round trips timed (and Date headers read) for latency and clock offset."""
PROBE_SPACING_S = 0.2
"""Spacing of the probes: spread over a second, their Date headers bound the offset to ~0.2 s."""


async def _observe(
    obs: Observations,
    client: ExchangeClient,
    clock: Clock,
    method: str,
    path: str,
    call: Callable[[], Awaitable[T]],
    *,
    timed: bool = False,
) -> T:
    """Run one client call, recording the answer's headers (also on errors) and its timing."""
    group = endpoint_group(method, path)
    obs.calls[group] = obs.calls.get(group, 0) + 1
    client.transport.last_response_headers = None
    sent_ms, started = clock.now_ms(), time.perf_counter()
    try:
        return await call()
    except IpBlocked:
        obs.blocked.append(group)
        raise
    except RateLimited:
        obs.throttled.append(group)
        raise
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        received_ms = clock.now_ms()
        headers = client.last_response_headers
        found = budget_of(headers, client.profile, method, path)
        if found is not None:
            obs.budgets.append(found)
        server_s = parse_http_date(headers.get("date")) if headers is not None else None
        if timed and headers is not None:
            obs.round_trips_ms.append(elapsed_ms)
            if server_s is not None:
                obs.dates.append(DateSample(sent_ms, received_ms, server_s))


async def check_rest(
    client: ExchangeClient, market: str, clock: Clock, obs: Observations, *, probes: int = PROBES
) -> list[Check]:
    """Connectivity (market list), latency and clock offset (``probes`` ticker calls)."""
    try:
        markets = await _observe(obs, client, clock, "GET", "/v1/market/all", lambda: client.markets(details=False))
    except VenueError as exc:
        return [
            Check(
                "REST",
                Status.FAIL,
                f"{client.transport.base_url}: {type(exc).__name__}: {exc}",
                "check the network / rest_url (is the sandbox running?)",
            )
        ]
    codes = {info.market for info in markets}
    checks = []
    for index in range(probes):
        if index:
            await asyncio.sleep(PROBE_SPACING_S)
        try:
            await _observe(obs, client, clock, "GET", "/v1/ticker", lambda: client.ticker([market]), timed=True)
        except VenueError as exc:
            fix = f"pick a listed market with --market (the exchange lists {len(codes)})" if market not in codes else ""
            checks.append(Check("REST", Status.FAIL, f"ticker {market}: {type(exc).__name__}: {exc}", fix))
            break
    if obs.round_trips_ms:
        rtt = sorted(obs.round_trips_ms)
        latency = f"round trip median {statistics.median(rtt):.1f} ms, max {rtt[-1]:.1f} ms ({len(rtt)} calls)"
        detail = f"{client.transport.base_url}: {len(codes)} markets; {latency}"
        slow = statistics.median(rtt) > LATENCY_WARN_MS
        checks.insert(
            0,
            Check(
                "REST",
                Status.WARN if slow else Status.OK,
                detail,
                "a slow link: orders react late; check the network or host location" if slow else "",
            ),
        )
    checks.append(skew_check(estimate_skew(obs.dates), client.profile))
    return checks


async def check_websocket(profile: ExchangeProfile, market: str, clock: Clock, timeout_s: float) -> Check:
    """Connect to the public stream, subscribe to ``market``'s ticker and wait for the first message."""
    stream = ExchangeStream(
        profile, [Subscription("ticker", (market,))], clock, max_reconnects=0, open_timeout_s=timeout_s
    )
    started = time.perf_counter()
    connected_ms: float | None = None
    try:
        async with asyncio.timeout(timeout_s):
            async with contextlib.aclosing(stream.items()) as items:
                async for item in items:
                    if isinstance(item, FeedStateChanged):
                        if item.state == "connected":
                            connected_ms = (time.perf_counter() - started) * 1000
                            continue
                        if item.state == "disconnected":
                            return Check(
                                "WebSocket",
                                Status.FAIL,
                                f"{stream.endpoint}: {item.detail or 'closed'}",
                                "check the network / ws_url (is the sandbox running?)",
                            )
                        continue
                    first_ms = (time.perf_counter() - started) * 1000
                    return Check(
                        "WebSocket",
                        Status.OK,
                        f"{stream.endpoint}: connected in {connected_ms or 0:.1f} ms, "
                        f"first {market} message after {first_ms:.1f} ms",
                    )
    except TimeoutError:
        pass
    what = "no connection" if connected_ms is None else f"connected in {connected_ms:.1f} ms but no message"
    return Check(
        "WebSocket",
        Status.FAIL,
        f"{stream.endpoint}: {what} within {timeout_s:.0f} s",
        "check the network / ws_url, and that the market trades",
    )


def _currencies(count: int) -> str:
    return f"{count} currency" if count == 1 else f"{count} currencies"


def _auth_fix(exc: AuthError, exchange: Exchange) -> str:
    if isinstance(exc, PermissionDenied):
        return "the key lacks this permission: enable it on the exchange's API key page"
    if isinstance(exc, (InvalidAccessKey, InvalidSignature)):
        return f"the keys are wrong or revoked: re-enter them with `tradetui keys set {exchange.value}`"
    if isinstance(exc, IpNotAllowed):
        return "this machine's IP is not allowed for the key: add it on the exchange's API key page"
    if isinstance(exc, TokenExpired):
        return "the token's timestamp was refused: sync the clock"
    if isinstance(exc, NonceReused):
        return "a nonce was reused: another client with the same keys? retry once"
    return "check the key on the exchange's API key page"


async def check_permissions(client: ExchangeClient, market: str, clock: Clock, obs: Observations) -> Check:
    exchange = client.profile.exchange
    try:
        balances = await _observe(obs, client, clock, "GET", "/v1/accounts", client.accounts)
    except AuthError as exc:
        return Check("permissions", Status.FAIL, f"/v1/accounts refused: {exc}", _auth_fix(exc, exchange))
    except VenueError as exc:
        return Check("permissions", Status.FAIL, f"/v1/accounts failed: {type(exc).__name__}: {exc}")
    try:
        await _observe(obs, client, clock, "GET", "/v1/orders/chance", lambda: client.order_chance(market))
    except PermissionDenied:
        return Check(
            "permissions",
            Status.FAIL,
            f"accounts readable ({_currencies(len(balances))}), but /v1/orders/chance answered out_of_scope",
            "key lacks the trade permission: enable it on the exchange",
        )
    except AuthError as exc:
        return Check("permissions", Status.FAIL, f"/v1/orders/chance refused: {exc}", _auth_fix(exc, exchange))
    except VenueError as exc:
        return Check("permissions", Status.FAIL, f"/v1/orders/chance {market} failed: {type(exc).__name__}: {exc}")
    return Check(
        "permissions",
        Status.OK,
        f"private calls work: accounts ({_currencies(len(balances))}) and orders/chance {market} (trade permission)",
    )
