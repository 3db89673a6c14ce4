"""Every documented error name maps to an exception that says what the caller must do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tradetui.errors import AuthError, OrderRejected, OrderStateUnknown, RateLimited, TransientVenueError, VenueError
from tradetui.exchanges import errors as ex
from tradetui.exchanges.errors import classify, error_in_body, parse_block_seconds

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

POST_ORDER = ("POST", "/v1/orders")
GET_ORDER = ("GET", "/v1/order")

# (HTTP status, error.name, request, expected class) — reference tables A2, A7, B2, B6 and quirks.
TABLE: list[tuple[int, str | int, tuple[str, str], type[VenueError]]] = [
    # A7 order creation
    (400, "create_ask_error", POST_ORDER, OrderRejected),
    (400, "create_bid_error", POST_ORDER, OrderRejected),
    (400, "insufficient_funds_ask", POST_ORDER, ex.InsufficientFunds),
    (400, "insufficient_funds_bid", POST_ORDER, ex.InsufficientFunds),
    (400, "under_min_total_ask", POST_ORDER, ex.BelowMinimum),
    (400, "under_min_total_bid", POST_ORDER, ex.BelowMinimum),
    (400, "over_krw_funds_bid", POST_ORDER, ex.AboveMaximum),
    (400, "invalid_price_bid", POST_ORDER, ex.InvalidPrice),
    (400, "invalid_price_ask", POST_ORDER, ex.InvalidPrice),
    (400, "invalid_volume", POST_ORDER, ex.InvalidVolume),
    (400, "invalid_volume_bid", POST_ORDER, ex.InvalidVolume),
    (400, "invalid_volume_ask", POST_ORDER, ex.InvalidVolume),
    (400, "invalid_time_in_force", POST_ORDER, ex.InvalidOrderParameter),
    (400, "invalid_post_only", POST_ORDER, ex.InvalidOrderParameter),
    (400, "duplicated_identifier", POST_ORDER, ex.DuplicateIdentifier),
    (400, "validation_error", POST_ORDER, ex.InvalidOrderParameter),
    (400, "invalid_parameter", POST_ORDER, ex.InvalidOrderParameter),
    (400, "validation_error", GET_ORDER, ex.InvalidRequest),
    (400, "invalid_parameter", GET_ORDER, ex.InvalidRequest),
    (400, "notfoundmarket", POST_ORDER, ex.MarketNotFound),
    (400, "withdraw_address_not_registered", ("POST", "/v1/withdraws/coin"), ex.WithdrawalRefused),
    (400, 400, POST_ORDER, ex.InvalidOrderParameter),
    (400, 400, ("GET", "/v1/candles/minutes/1"), ex.InvalidRequest),
    # A2 / A7 auth
    (401, "jwt_verification", GET_ORDER, ex.InvalidSignature),
    (401, "invalid_query_payload", GET_ORDER, ex.InvalidSignature),
    (401, "nonce_used", GET_ORDER, ex.NonceReused),
    (401, "expired_access_key", GET_ORDER, ex.InvalidAccessKey),
    (401, "no_authorization_ip", GET_ORDER, ex.IpNotAllowed),
    (401, "no_authorization_token", GET_ORDER, ex.MissingToken),
    (401, "invalid_access_key", GET_ORDER, ex.InvalidAccessKey),
    (401, "out_of_scope", POST_ORDER, ex.PermissionDenied),
    (403, "out_of_scope", POST_ORDER, ex.PermissionDenied),
    (403, "market_offline", POST_ORDER, ex.MarketOffline),
    (403, "open_api_withdraw_locked", ("POST", "/v1/withdraws/coin"), ex.WithdrawalRefused),
    (401, "something_new", GET_ORDER, AuthError),
    # A7 not found
    (404, "order_not_found", ("DELETE", "/v1/order"), ex.OrderNotFound),
    (404, "pocket_not_found", GET_ORDER, ex.ResourceNotFound),
    (404, "currency_not_found", ("GET", "/v1/accounts"), ex.ResourceNotFound),
    (404, 404, ("GET", "/v1/ticker"), ex.MarketNotFound),  # "Code not found" (message checked below)
    # B6 Bithumb
    (400, "invalid_price", POST_ORDER, ex.InvalidPrice),
    (400, "under_price_limit_bid", POST_ORDER, ex.BelowMinimum),
    (400, "under_price_limit_ask", POST_ORDER, ex.BelowMinimum),
    (400, "bank_account_required", POST_ORDER, ex.AccountNotReady),
    (400, "two_factor_auth_required", POST_ORDER, ex.AccountNotReady),
    (400, "currency does not have a valid value", POST_ORDER, ex.UnsupportedCurrency),
    (400, "cross_trading", POST_ORDER, ex.SelfTradeRejected),
    (400, "withdraw_insufficient_balance", ("POST", "/v1/withdraws/coin"), ex.WithdrawalRefused),
    (401, "expired_jwt", GET_ORDER, ex.TokenExpired),
    (401, "NotAllowIP", GET_ORDER, ex.IpNotAllowed),
    (403, "blocked_member_id", POST_ORDER, ex.AccountBlocked),
    (404, "deposit_not_found", ("GET", "/v1/deposit"), ex.ResourceNotFound),
    (404, "withdraw_not_found", ("GET", "/v1/withdraw"), ex.ResourceNotFound),
    (422, "order_not_ready", ("DELETE", "/v1/order"), ex.OrderNotReady),
    # Upbit-style names client libraries also see on Bithumb
    (400, "too_many_orders", POST_ORDER, ex.TooManyOrders),
    (429, "too_many_requests", POST_ORDER, RateLimited),
    (400, "too_many_requests", GET_ORDER, RateLimited),
    # statuses without names
    (429, "", GET_ORDER, RateLimited),
    (418, "", GET_ORDER, ex.IpBlocked),
    (500, "", GET_ORDER, ex.ServerError),
    (503, "", ("DELETE", "/v1/order"), ex.ServerError),
    (500, "", POST_ORDER, OrderStateUnknown),
    (502, "", ("POST", "/v2/orders"), OrderStateUnknown),
]


def _body(name: str | int, message: str = "message") -> bytes:
    if name == "":
        return b""
    return json.dumps({"error": {"name": name, "message": message}}).encode()


@pytest.mark.parametrize(("status", "name", "request_line", "expected"), TABLE, ids=lambda v: str(v))
def test_error_name_maps_to_exception(
    status: int, name: str | int, request_line: tuple[str, str], expected: type[VenueError]
) -> None:
    method, path = request_line
    message = "Code not found" if name == 404 else "message"
    error = classify(
        status, _body(name, message), headers={}, exchange="upbit", method=method, path=path, identifier="tt-1"
    )
    assert type(error) is expected
    if isinstance(error, OrderRejected) and name != "":
        assert error.name == str(name)
    if isinstance(error, OrderStateUnknown):
        assert error.identifier == "tt-1"


@pytest.mark.parametrize("exchange", ["upbit", "bithumb"])
def test_every_fixture_error_body_maps_to_a_specific_exception(exchange: str) -> None:
    table = json.loads((FIXTURES / exchange / "errors.json").read_text())
    for label, case in table.items():
        error = classify(
            case["status"],
            case["body"],
            headers={},
            exchange=exchange,
            method="POST",
            path="/v1/orders",
            identifier="x",
        )
        assert isinstance(error, VenueError), label
        assert type(error) not in (VenueError, ex.RequestRejected), label


def test_every_known_name_has_a_table_row() -> None:
    covered = {str(name).lower() for _, name, _, _ in TABLE if isinstance(name, str) and name}
    assert covered >= ex.KNOWN_ERROR_NAMES


def test_the_classes_sit_in_the_project_tree() -> None:
    assert issubclass(ex.IpBlocked, RateLimited)
    assert issubclass(ex.OrderNotReady, TransientVenueError)
    assert issubclass(ex.ServerError, TransientVenueError)
    assert issubclass(ex.MalformedResponse, TransientVenueError)
    assert issubclass(ex.OrderNotFound, VenueError) and not issubclass(ex.OrderNotFound, OrderRejected)
    for cls in (ex.InsufficientFunds, ex.BelowMinimum, ex.InvalidPrice, ex.DuplicateIdentifier, ex.MarketOffline):
        assert issubclass(cls, OrderRejected)


def test_429_carries_retry_after_from_the_header() -> None:
    error = classify(429, b"", headers={"Retry-After": "3"}, exchange="upbit", method="GET", path="/v1/ticker")
    assert isinstance(error, RateLimited)
    assert error.retry_after_s == 3.0


def test_418_block_duration_from_header_message_or_default() -> None:
    blocked = json.loads((FIXTURES / "upbit" / "errors.json").read_text())["blocked"]
    from_message = classify(418, blocked["body"], headers={}, exchange="upbit", method="GET", path="/v1/ticker")
    assert isinstance(from_message, ex.IpBlocked) and from_message.retry_after_s == 120.0
    assert parse_block_seconds({"retry-after": "30"}, blocked["body"], default_s=60) == 30.0
    assert parse_block_seconds({}, b"", default_s=75.0) == 75.0
    assert parse_block_seconds({}, {"error": {"name": "x", "message": "10분 동안 차단"}}, default_s=60) == 600.0


def test_bithumb_200_error_envelope_is_detected() -> None:
    body = (FIXTURES / "bithumb" / "error_200.json").read_bytes()
    assert error_in_body(body) == ("400", "Type mismatch error. Check the parameters type!")
    assert error_in_body(b'[{"market":"KRW-BTC"}]') is None
    assert error_in_body({"uuid": "C01"}) is None
    assert error_in_body(None) is None


def test_messages_name_the_request_and_the_error() -> None:
    error = classify(400, _body("insufficient_funds_bid", "부족"), exchange="upbit", method="POST", path="/v1/orders")
    assert "POST /v1/orders" in str(error) and "insufficient_funds_bid" in str(error) and "부족" in str(error)


def test_non_json_5xx_body_is_still_classified() -> None:
    error = classify(502, b"<html>Bad Gateway</html>", exchange="bithumb", method="GET", path="/v1/ticker")
    assert isinstance(error, ex.ServerError)
    assert "Bad Gateway" in str(error)
