"""Exchange error answers → the project's error tree (``tradetui.errors``), by what the caller must do.

* ``AuthError`` subclasses: keys, clock, IP whitelist or permissions — fix the setup, don't retry.
* ``RateLimited`` (429) / ``IpBlocked`` (418): wait; ``IpBlocked`` is also a risk event.
* ``OrderRejected`` subclasses: the order was definitively refused; ``.name`` is the wire name.
* ``OrderStateUnknown``: an order POST got no definitive answer (timeout, 5xx) — never resend,
  reconcile by the client identifier.
* ``ServerError`` / ``OrderNotReady`` / ``NetworkError`` / ``MalformedResponse``: transient.
* ``ResourceNotFound`` (``OrderNotFound``) and ``RequestRejected``: a definitive answer about a
  non-order request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from tradetui.errors import (
    AuthError,
    OrderRejected,
    OrderStateUnknown,
    RateLimited,
    TransientVenueError,
    VenueError,
)

# --- auth ------------------------------------------------------------------------------------


class InvalidSignature(AuthError):
    """``jwt_verification`` / ``invalid_query_payload``: bad secret or a query-hash mismatch (a bug)."""


class InvalidAccessKey(AuthError):
    """``invalid_access_key`` / ``expired_access_key``: the key is unknown or past its expiry; issue a new one."""


class NonceReused(AuthError):
    """``nonce_used``: a nonce was sent twice."""


class TokenExpired(AuthError):
    """``expired_jwt`` (Bithumb): the ``timestamp`` claim is too old — the local clock is off."""


class IpNotAllowed(AuthError):
    """``no_authorization_ip`` / ``NotAllowIP``: this machine's IP is not whitelisted for the key."""


class MissingToken(AuthError):
    """``no_authorization_token``: no Authorization header (keys not configured?)."""


class PermissionDenied(AuthError):
    """``out_of_scope``: the key lacks the permission (e.g. trading) for this call."""


class AccountBlocked(AuthError):
    """``blocked_member_id`` (Bithumb 403): the account itself is blocked."""


# --- rate limits and transient -----------------------------------------------------------------


class IpBlocked(RateLimited):
    """HTTP 418 (Upbit) or a timed block: no calls of this group until ``retry_after_s`` has passed."""


class ServerError(TransientVenueError):
    """5xx on an idempotent call: retry later."""


class NetworkError(TransientVenueError):
    """No answer (connect/read timeout, connection reset) on an idempotent call."""


class OrderNotReady(TransientVenueError):
    """``order_not_ready`` (Bithumb 422): the order was just created; query or cancel again shortly."""


class MalformedResponse(TransientVenueError):
    """A 2xx answer that does not have the documented shape; the message names the field."""


# --- order rejections (definitive) -------------------------------------------------------------


class InsufficientFunds(OrderRejected):
    """``insufficient_funds_bid/ask``: not enough free KRW (incl. fee) or coin."""


class BelowMinimum(OrderRejected):
    """``under_min_total_*`` (Upbit) / ``under_price_limit_*`` (Bithumb): total below min_total."""


class AboveMaximum(OrderRejected):
    """``over_krw_funds_bid``: total above max_total."""


class InvalidPrice(OrderRejected):
    """``invalid_price*``: price off the tick grid — refresh the tick table."""


class InvalidVolume(OrderRejected):
    """``invalid_volume_*``: too many decimals or not positive."""


class InvalidOrderParameter(OrderRejected):
    """``validation_error``, ``invalid_parameter``, ``invalid_time_in_force``, ``invalid_post_only``…"""


class DuplicateIdentifier(OrderRejected):
    """``duplicated_identifier``: the client id was used before (ids are unique forever)."""


class SelfTradeRejected(OrderRejected):
    """``cross_trading`` (Bithumb, pre-STP): the order would have matched our own resting order."""


class TooManyOrders(OrderRejected):
    """``too_many_orders``: too many open orders; not placed — wait for some to finish."""


class AccountNotReady(OrderRejected):
    """``bank_account_required`` / ``two_factor_auth_required``: finish the account setup on the website."""


class MarketNotFound(OrderRejected):
    """``notfoundmarket`` or quotation 404 "Code not found": unknown market (also for public calls)."""


class UnsupportedCurrency(MarketNotFound):
    """Bithumb ``currency does not have a valid value``: the coin is not supported."""


class MarketOffline(OrderRejected):
    """``market_offline``: trading in the market is suspended."""


# --- other definitive answers -----------------------------------------------------------------


class RequestRejected(VenueError):
    """A definitive 4xx answer to a non-order request. ``name`` is the wire name, ``status`` the HTTP status."""

    def __init__(self, message: str, name: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.name = name
        self.status = status


class InvalidRequest(RequestRejected):
    """Malformed or missing parameters on a non-order request (a bug in the caller)."""


class WithdrawalRefused(RequestRejected):
    """Withdrawal-side names (``withdraw_*``, ``open_api_withdraw_locked``); tradetui never withdraws."""


class ResourceNotFound(RequestRejected):
    """404-style ``*_not_found`` names."""


class OrderNotFound(ResourceNotFound):
    """``order_not_found``: no such order, or (on cancel) it is no longer open — query it to learn which."""


class UnsupportedEndpoint(VenueError):
    """The exchange has no such endpoint (e.g. Bithumb has no tick-size lookup)."""


# --- the name table ---------------------------------------------------------------------------

_AUTH: dict[str, type[AuthError]] = {
    "jwt_verification": InvalidSignature,
    "invalid_query_payload": InvalidSignature,
    "nonce_used": NonceReused,
    "expired_access_key": InvalidAccessKey,
    "invalid_access_key": InvalidAccessKey,
    "expired_jwt": TokenExpired,
    "no_authorization_ip": IpNotAllowed,
    "notallowip": IpNotAllowed,
    "no_authorization_token": MissingToken,
    "out_of_scope": PermissionDenied,
    "blocked_member_id": AccountBlocked,
}

_ORDER: dict[str, type[OrderRejected]] = {
    "create_ask_error": OrderRejected,
    "create_bid_error": OrderRejected,
    "insufficient_funds_ask": InsufficientFunds,
    "insufficient_funds_bid": InsufficientFunds,
    "under_min_total_ask": BelowMinimum,
    "under_min_total_bid": BelowMinimum,
    "under_price_limit_ask": BelowMinimum,
    "under_price_limit_bid": BelowMinimum,
    "over_krw_funds_bid": AboveMaximum,
    "invalid_price": InvalidPrice,
    "invalid_price_bid": InvalidPrice,
    "invalid_price_ask": InvalidPrice,
    "invalid_volume": InvalidVolume,
    "invalid_volume_bid": InvalidVolume,
    "invalid_volume_ask": InvalidVolume,
    "invalid_time_in_force": InvalidOrderParameter,
    "invalid_post_only": InvalidOrderParameter,
    "duplicated_identifier": DuplicateIdentifier,
    "cross_trading": SelfTradeRejected,
    "too_many_orders": TooManyOrders,
    "bank_account_required": AccountNotReady,
    "two_factor_auth_required": AccountNotReady,
    "notfoundmarket": MarketNotFound,
    "currency does not have a valid value": UnsupportedCurrency,
    "market_offline": MarketOffline,
}

# Names whose meaning depends on the request: an order creation is rejected, any other call is invalid.
_PARAMETER_NAMES = frozenset({"validation_error", "invalid_parameter"})

_NOT_FOUND: dict[str, type[ResourceNotFound]] = {
    "order_not_found": OrderNotFound,
    "pocket_not_found": ResourceNotFound,
    "currency_not_found": ResourceNotFound,
    "deposit_not_found": ResourceNotFound,
    "withdraw_not_found": ResourceNotFound,
}

_WITHDRAW = frozenset({"withdraw_address_not_registered", "open_api_withdraw_locked", "withdraw_insufficient_balance"})

_RATE_NAMES = frozenset({"too_many_requests"})
_NOT_READY_NAMES = frozenset({"order_not_ready"})

KNOWN_ERROR_NAMES: frozenset[str] = frozenset(
    {*_AUTH, *_ORDER, *_PARAMETER_NAMES, *_NOT_FOUND, *_WITHDRAW, *_RATE_NAMES, *_NOT_READY_NAMES}
)
"""Every wire error name (lower-cased) that has a dedicated mapping."""

ORDER_CREATE_PATHS = frozenset({"/v1/orders", "/v2/orders", "/v1/orders/cancel_and_new"})


def is_order_create(method: str, path: str) -> bool:
    return method.upper() == "POST" and path.rstrip("/") in ORDER_CREATE_PATHS


def decode_body(body: bytes | str | Mapping[str, Any] | list[Any] | None) -> Any:
    """The JSON value of a response body, or the text when it is not JSON, or None."""
    if body is None or isinstance(body, (Mapping, list)):
        return body
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def error_in_body(body: bytes | str | Mapping[str, Any] | list[Any] | None) -> tuple[str, str] | None:
    """``(name, message)`` when the body is an error envelope ``{"error": {"name", "message"}}``.

    Bithumb sometimes answers a failed call with HTTP 200 and this envelope; check every 200.
    A numeric ``name`` (quotation-style, e.g. ``404``) is returned as its text.
    """
    data = decode_body(body)
    if not isinstance(data, Mapping) or "error" not in data:
        return None
    error = data["error"]
    if isinstance(error, Mapping):
        name = error.get("name", "")
        message = error.get("message", "")
        return ("" if name is None else str(name), "" if message is None else str(message))
    return ("", str(error))


_DURATION = re.compile(
    r"(\d+(?:\.\d+)?)\s*(초|분|시간|seconds?|secs?|s\b|minutes?|mins?|m\b|hours?|h\b)", re.IGNORECASE
)
_UNIT_S = {"초": 1.0, "분": 60.0, "시간": 3600.0}


def parse_block_seconds(headers: Mapping[str, str] | None, body: Any, *, default_s: float) -> float:
    """How long a 418/IP block lasts: ``Retry-After`` (seconds), else a duration in the message, else default."""
    retry_after = _header(headers, "retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
    found = error_in_body(body)
    text = found[1] if found is not None else (body if isinstance(body, str) else "")
    match = _DURATION.search(text)
    if match is None:
        return default_s
    amount = float(match.group(1))
    unit = match.group(2).lower()
    if unit in _UNIT_S:
        return amount * _UNIT_S[unit]
    if unit.startswith("h"):
        return amount * 3600.0
    if unit.startswith("m"):
        return amount * 60.0
    return amount


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if headers is None:
        return None
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def classify(
    status: int,
    body: bytes | str | Mapping[str, Any] | list[Any] | None,
    *,
    headers: Mapping[str, str] | None = None,
    exchange: str,
    method: str,
    path: str,
    identifier: str | None = None,
    default_block_s: float = 60.0,
) -> VenueError:
    """The exception for a failed answer (``status`` ≥ 400, or a 200 with an error envelope).

    ``method``/``path`` matter: a 5xx on an order creation (``POST /v1/orders``) is
    ``OrderStateUnknown(identifier)`` — the order may exist — while on any other call it is a
    retryable ``ServerError``. ``identifier`` is the client order id of the order being placed.
    """
    creating = is_order_create(method, path)
    found = error_in_body(body)
    name, message = found if found is not None else ("", "")
    key = name.strip().lower()
    where = f"{exchange} {method.upper()} {path}"
    text = f"{where}: HTTP {status} {name or '-'}: {message or _short(body)}"

    if status == 418:
        return IpBlocked(text, retry_after_s=parse_block_seconds(headers, body, default_s=default_block_s))
    if status == 429 or key in _RATE_NAMES:
        return RateLimited(text, retry_after_s=_retry_after(headers, default=1.0))
    if key in _AUTH:
        return _AUTH[key](text)
    if status in (401, 403) and key not in _ORDER and key not in _WITHDRAW:
        return AuthError(text)
    if status == 422 or key in _NOT_READY_NAMES:
        return OrderNotReady(text, retry_after_s=_retry_after(headers, default=0.5))
    if status >= 500:
        if creating:
            return OrderStateUnknown(f"{text} (order state unknown; reconcile by identifier)", identifier or "")
        return ServerError(text, retry_after_s=_retry_after(headers, default=1.0))
    if key in _ORDER:
        return _ORDER[key](text, name)
    if key in _NOT_FOUND:
        return _NOT_FOUND[key](text, name, status)
    if key in _WITHDRAW:
        return WithdrawalRefused(text, name, status)
    if status == 404 and "code not found" in message.lower():
        return MarketNotFound(text, name)
    if creating:
        is_parameter = key in _PARAMETER_NAMES or key.isdigit()
        return InvalidOrderParameter(text, name) if is_parameter else OrderRejected(text, name)
    if key in _PARAMETER_NAMES or status == 400:
        return InvalidRequest(text, name, status)
    if status == 404:
        return ResourceNotFound(text, name, status)
    return RequestRejected(text, name, status)


def _retry_after(headers: Mapping[str, str] | None, *, default: float) -> float:
    value = _header(headers, "retry-after")
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


def _short(body: Any, limit: int = 200) -> str:
    data = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)
    return data if len(data) <= limit else data[:limit] + "…"
