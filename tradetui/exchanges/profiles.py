"""Per-exchange differences, held as data: one frozen :class:`ExchangeProfile` per venue.

Everything the REST client does differently for Upbit and Bithumb (reference Part C) is a field
here, so the client code has no ``if exchange == ...`` branches beyond reading the profile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from tradetui.core.market import Exchange


class RateLimitHeader(StrEnum):
    REMAINING_REQ = "remaining-req"  # Upbit: ``Remaining-Req: group=default; min=1800; sec=29``
    X_RATELIMIT = "x-ratelimit"  # Bithumb: ``x-ratelimit-remaining`` & co (token bucket)


class OrderApi(StrEnum):
    """Which generation of order endpoints to use (Bithumb has two; Upbit only ``v1``)."""

    V1 = "v1"  # Upbit, and Bithumb's v2.1.0 Upbit-mirror endpoints
    V2 = "v2"  # Bithumb v2.1.5 ``/v2/orders`` (lighter responses); not implemented by the client yet


@dataclass(frozen=True, slots=True)
class GroupLimit:
    """A request budget: ``calls`` per ``window_ms`` for one rate-limit group."""

    group: str
    calls: int
    window_ms: int = 1000


@dataclass(frozen=True, slots=True)
class OrderEndpoints:
    create: str = "/v1/orders"  # POST
    get: str = "/v1/order"  # GET ?uuid= | ?<client id field>=
    cancel: str = "/v1/order"  # DELETE ?uuid= | ?<client id field>=
    open: str = "/v1/orders/open"  # GET
    closed: str = "/v1/orders/closed"  # GET
    uses_combined_list: bool = False
    """True when open and closed orders come from one ``GET /v1/orders`` with ``state`` filters (Bithumb)."""


@dataclass(frozen=True, slots=True)
class ExchangeProfile:
    exchange: Exchange
    rest_url: str
    ws_public_url: str
    ws_private_url: str
    jwt_alg: str
    """Algorithm used to sign (Upbit HS512 by default; HS256 is also accepted there)."""
    accepted_jwt_algs: tuple[str, ...]
    requires_timestamp_claim: bool
    """Bithumb requires a ``timestamp`` claim in epoch ms; Upbit does not use it."""
    hash_encodes_values: bool
    """Percent-encode values in the query-hash string (Bithumb samples) or not (Upbit docs)."""
    client_id_field: str
    client_id_max_len: int
    client_id_pattern: str | None
    market_details_param: str
    candle_to_is_kst: bool
    """Candle ``to`` is naive KST (Bithumb) rather than UTC with ``Z`` (Upbit)."""
    ratelimit_header: RateLimitHeader
    rate_limits: tuple[GroupLimit, ...]
    has_instruments_endpoint: bool
    order_api: OrderApi = OrderApi.V1
    order_endpoints: OrderEndpoints = field(default_factory=OrderEndpoints)
    open_order_states: tuple[str, ...] = ("wait", "watch")
    """States asked for when listing open orders; Bithumb cannot mix ``watch`` with others."""
    block_default_s: float = 60.0
    """How long a 418/IP block is assumed to last when the answer does not say."""

    def limit_for(self, group: str) -> GroupLimit | None:
        for limit in self.rate_limits:
            if limit.group == group:
                return limit
        return None

    def check_client_id(self, identifier: str) -> str | None:
        """Why ``identifier`` is not acceptable as this exchange's client order id, or None."""
        if not identifier or len(identifier) > self.client_id_max_len:
            return f"{self.client_id_field} must be 1..{self.client_id_max_len} characters, got {len(identifier)}"
        if self.client_id_pattern is not None and re.fullmatch(self.client_id_pattern, identifier) is None:
            return f"{self.client_id_field} {identifier!r} must match {self.client_id_pattern}"
        return None

    def with_base_url(self, rest_url: str, ws_url: str | None = None) -> ExchangeProfile:
        """The same profile against another host (the local sandbox on 127.0.0.1)."""
        rest = rest_url.rstrip("/")
        if ws_url is None:
            return replace(self, rest_url=rest)
        ws = ws_url.rstrip("/")
        private_suffix = self.ws_private_url.rsplit("/websocket/", 1)[-1]
        return replace(
            self,
            rest_url=rest,
            ws_public_url=f"{ws}/websocket/v1",
            ws_private_url=f"{ws}/websocket/{private_suffix}",
        )


_UPBIT_LIMITS = (
    GroupLimit("market", 10),
    GroupLimit("candle", 10),
    GroupLimit("trade", 10),
    GroupLimit("ticker", 10),
    GroupLimit("orderbook", 10),
    GroupLimit("default", 30),
    GroupLimit("order", 12),
    GroupLimit("order-test", 8),
    GroupLimit("order-cancel-all", 1, 2000),
)

# Bithumb: 150/s per IP per public category, 140/s per IP per private category (reference B5).
# The client uses Upbit's group names for both; the limits are Bithumb's.
_BITHUMB_LIMITS = (
    GroupLimit("market", 150),
    GroupLimit("candle", 150),
    GroupLimit("trade", 150),
    GroupLimit("ticker", 150),
    GroupLimit("orderbook", 150),
    GroupLimit("default", 140),
    GroupLimit("order", 140),
    GroupLimit("order-test", 140),
    GroupLimit("order-cancel-all", 140),
)

UPBIT = ExchangeProfile(
    exchange=Exchange.UPBIT,
    rest_url="https://api.upbit.com",
    ws_public_url="wss://api.upbit.com/websocket/v1",
    ws_private_url="wss://api.upbit.com/websocket/v1/private",
    jwt_alg="HS512",
    accepted_jwt_algs=("HS512", "HS256"),
    requires_timestamp_claim=False,
    hash_encodes_values=False,
    client_id_field="identifier",
    client_id_max_len=64,
    client_id_pattern=None,
    market_details_param="is_details",
    candle_to_is_kst=False,
    ratelimit_header=RateLimitHeader.REMAINING_REQ,
    rate_limits=_UPBIT_LIMITS,
    has_instruments_endpoint=True,
)

BITHUMB = ExchangeProfile(
    exchange=Exchange.BITHUMB,
    rest_url="https://api.bithumb.com",
    ws_public_url="wss://ws-api.bithumb.com/websocket/v1",
    ws_private_url="wss://ws-api.bithumb.com/websocket/v2/private",
    jwt_alg="HS256",
    accepted_jwt_algs=("HS256",),
    requires_timestamp_claim=True,
    hash_encodes_values=True,
    client_id_field="client_order_id",
    client_id_max_len=36,
    client_id_pattern=r"[A-Za-z0-9_-]{1,36}",
    market_details_param="isDetails",
    candle_to_is_kst=True,
    ratelimit_header=RateLimitHeader.X_RATELIMIT,
    rate_limits=_BITHUMB_LIMITS,
    has_instruments_endpoint=False,
    order_api=OrderApi.V1,
    order_endpoints=OrderEndpoints(open="/v1/orders", closed="/v1/orders", uses_combined_list=True),
    open_order_states=("wait",),
    block_default_s=60.0,
)


def profile_for(exchange: Exchange | str) -> ExchangeProfile:
    venue = Exchange(exchange)
    return UPBIT if venue is Exchange.UPBIT else BITHUMB
