"""One signed, budgeted, retried HTTP round trip to an exchange (httpx underneath).

* Every call first takes a slot from the shared :class:`RateBudget` (group per endpoint).
* Private calls carry ``Authorization: Bearer <JWT>``; the query string or JSON body and the
  token's ``query_hash`` come from the same ordered ``(key, str)`` pairs.
* GETs are retried (bounded) on 429, 5xx, unreadable bodies, ``order_not_ready`` and network errors; DELETEs only
  on 429; POSTs never. An order POST that gets no definitive answer (timeout, connection
  error, 5xx, unreadable 2xx) raises :class:`OrderStateUnknown` — reconcile by identifier.
* JSON numbers are decoded as ``Decimal``; a 200 with an ``error`` envelope (Bithumb) is an error.
* Keys and tokens are never logged.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import httpx

from tradetui.core.clock import Clock, LiveClock
from tradetui.errors import OrderStateUnknown, RateLimited, VenueError
from tradetui.exchanges.auth import bearer, canonical_query, make_token
from tradetui.exchanges.errors import (
    IpBlocked,
    MalformedResponse,
    MissingToken,
    NetworkError,
    OrderNotReady,
    ServerError,
    classify,
    error_in_body,
    is_order_create,
)
from tradetui.exchanges.profiles import ExchangeProfile
from tradetui.exchanges.ratelimit import RateBudget, Sleep, endpoint_group

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=5.0, pool=5.0)

Params = Sequence[tuple[str, str]]


class RestTransport:
    """Signed, rate-budgeted requests against one exchange's REST API."""

    def __init__(
        self,
        profile: ExchangeProfile,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        http: httpx.AsyncClient | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        budget: RateBudget | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        max_get_attempts: int = 4,
        max_delete_attempts: int = 3,
        jwt_alg: str | None = None,
    ) -> None:
        if (access_key is None) != (secret_key is None):
            raise ValueError("give both access_key and secret_key, or neither (public-only mode)")
        if max_get_attempts < 1 or max_delete_attempts < 1:
            raise ValueError("attempt limits must be at least 1")
        self.profile = profile
        self.base_url = (base_url or profile.rest_url).rstrip("/")
        self.clock: Clock = clock or (budget.clock if budget is not None else LiveClock())
        self.budget = budget or RateBudget(profile, clock=self.clock, sleep=sleep)
        self._sleep: Sleep = sleep or self.budget.sleep
        self._access_key = access_key
        self._secret_key = secret_key
        self._jwt_alg = jwt_alg
        self._owns_http = http is None
        self.http = http if http is not None else httpx.AsyncClient(timeout=timeout, transport=_no_delay_transport())
        self.max_get_attempts = max_get_attempts
        self.max_delete_attempts = max_delete_attempts
        self.last_response_headers: httpx.Headers | None = None
        self.last_round_trip_ms: float | None = None
        """Time of the newest request on the wire (for the status bar)."""
        """Headers of the newest answer (any status): its ``Date`` and rate-limit headers (``tradetui doctor``)."""

    @property
    def has_keys(self) -> bool:
        return self._access_key is not None

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    def _build(self, method: str, path: str, params: Params, private: bool) -> httpx.Request:
        verb = method.upper()
        headers = {"Accept": "application/json"}
        url = f"{self.base_url}{path}"
        content: bytes | None = None
        if verb == "POST":
            body: dict[str, str] = {}
            for key, value in params:
                if key in body:
                    raise ValueError(f"duplicate body field {key!r}")
                body[key] = value
            content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        elif params:
            url = f"{url}?{canonical_query(params, encode=True)}"
        if private:
            if self._access_key is None or self._secret_key is None:
                raise MissingToken(f"{self.profile.exchange} {verb} {path} needs API keys (public-only client)")
            token = make_token(
                self.profile,
                self._access_key,
                self._secret_key,
                params=params,
                now_ms=self.clock.now_ms(),
                alg=self._jwt_alg,
            )
            headers["Authorization"] = bearer(token)
        return httpx.Request(verb, url, headers=headers, content=content)

    async def request(
        self,
        method: str,
        path: str,
        params: Params = (),
        *,
        private: bool = False,
        identifier: str | None = None,
    ) -> Any:
        """The decoded JSON answer, or a :class:`VenueError` subclass (see the module docstring)."""
        verb = method.upper()
        group = endpoint_group(verb, path)
        creating = is_order_create(verb, path)
        limit = self.max_get_attempts if verb == "GET" else self.max_delete_attempts if verb == "DELETE" else 1
        extra = {"client_order_id": identifier} if identifier else {}
        if private and not self.has_keys:
            raise MissingToken(f"{self.profile.exchange} {verb} {path} needs API keys (public-only client)")
        attempt = 0
        while True:
            attempt += 1
            await self.budget.acquire(group)
            request = self._build(verb, path, params, private)
            try:
                sent_at = time.perf_counter()
                response = await self.http.send(request)
                self.last_round_trip_ms = (time.perf_counter() - sent_at) * 1000
            except httpx.TransportError as exc:
                if creating:
                    log.warning("order POST got no answer (%s); state unknown", type(exc).__name__, extra=extra)
                    raise OrderStateUnknown(
                        f"{self.profile.exchange} POST {path}: no answer ({type(exc).__name__}); "
                        "reconcile by identifier, do not resend",
                        identifier or "",
                    ) from exc
                error: VenueError = NetworkError(f"{self.profile.exchange} {verb} {path}: {type(exc).__name__}: {exc}")
                if verb == "GET" and attempt < limit:
                    await self._sleep(self.budget.jitter_s(attempt))
                    continue
                raise error from exc
            await response.aread()
            self.last_response_headers = response.headers
            self.budget.observe(group, response.headers, response.status_code)
            status = response.status_code
            if status < 400:
                try:
                    data = self._decode(response, verb, path, creating, identifier)
                except MalformedResponse:
                    # a garbled answer to a GET says nothing: ask again like after a 5xx (a POST's is unknown)
                    if verb == "GET" and attempt < limit:
                        log.info("%s %s: unreadable answer, retrying", verb, path, extra=extra)
                        await self._sleep(self.budget.jitter_s(attempt))
                        continue
                    raise
                found = error_in_body(data) if isinstance(data, dict) else None
                if found is None:
                    return data
                name = found[0]
                status = int(name) if name.isdigit() and 400 <= int(name) < 600 else 400
                error = classify(
                    status,
                    data,
                    headers=response.headers,
                    exchange=self.profile.exchange,
                    method=verb,
                    path=path,
                    identifier=identifier,
                )
            else:
                error = classify(
                    status,
                    response.content,
                    headers=response.headers,
                    exchange=self.profile.exchange,
                    method=verb,
                    path=path,
                    identifier=identifier,
                    default_block_s=self.budget.block_default_s,
                )
            if isinstance(error, IpBlocked):
                error.retry_after_s = self.budget.block(group, error.retry_after_s)
                raise error
            if isinstance(error, RateLimited):
                retry_after = _retry_after_header(response.headers)
                error.retry_after_s = self.budget.backoff_s(group, retry_after)
                if verb in ("GET", "DELETE") and attempt < limit:
                    log.info("%s %s: 429, retrying in %.2f s", verb, path, error.retry_after_s, extra=extra)
                    await self._sleep(error.retry_after_s)
                    continue
                raise error
            if verb == "GET" and isinstance(error, (ServerError, OrderNotReady)) and attempt < limit:
                delay = max(
                    error.retry_after_s if isinstance(error, OrderNotReady) else 0.0, self.budget.jitter_s(attempt)
                )
                log.info("%s %s: %s, retrying in %.2f s", verb, path, type(error).__name__, delay, extra=extra)
                await self._sleep(delay)
                continue
            if isinstance(error, OrderStateUnknown):
                log.warning("order POST answered HTTP %d; state unknown", status, extra=extra)
            raise error

    def _decode(self, response: httpx.Response, verb: str, path: str, creating: bool, identifier: str | None) -> Any:
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError as exc:
            message = f"{self.profile.exchange} {verb} {path}: HTTP {response.status_code} body is not JSON"
            if creating:
                raise OrderStateUnknown(message + "; order state unknown", identifier or "") from exc
            raise MalformedResponse(message) from exc


def _retry_after_header(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _no_delay_transport() -> httpx.AsyncHTTPTransport:
    """TCP_NODELAY: a POST's headers and body otherwise wait on Nagle's algorithm and the peer's
    delayed ACK (tens of milliseconds per order)."""
    return httpx.AsyncHTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
