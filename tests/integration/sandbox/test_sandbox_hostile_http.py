"""Hostile and broken HTTP input to the sandbox exchange (issue 8): the corpus in
``tests/fixtures/hostile_http`` against its endpoints. Every answer is a 4xx in the exchange's
envelope ``{"error": {"name", "message"}}`` (as the real exchange answers), never a 500 or a
plain-text page, nothing logged at ERROR, and no order or balance changes."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostile_http import Body, assert_no_error_logged, bodies, expand, orders, queries, raw_requests, send_raw, stall
from sibling import load_sibling  # tests/support/sibling.py

peer = load_sibling(__file__, "peer")

QUERIES = queries()
ORDERS = orders()
START_BALANCES = {"KRW": ("1000000000", "0"), "BTC": ("2", "0"), "XRP": ("100000", "0")}


@pytest.fixture(params=["upbit", "bithumb"])
async def sandbox(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    async with peer.running(request.param) as running:
        yield running


def _envelope(reply: httpx.Response, what: str) -> dict[str, Any]:
    assert 400 <= reply.status_code < 500, (what, reply.status_code, reply.text[:300])
    assert reply.headers["Content-Type"].startswith("application/json"), (what, reply.headers, reply.text[:200])
    error = reply.json()["error"]
    assert set(error) == {"name", "message"}, (what, error)
    assert isinstance(error["message"], str) and error["message"].strip(), what
    assert len(error["message"]) < 500, (what, error["message"][:600])
    return dict(error)


def _body_routes(profile: str) -> list[tuple[str, str]]:
    """Endpoints that read a body: the order POSTs, and GET/DELETE (form or JSON bodies)."""
    posts = ["/v1/orders", "/v1/orders/test", "/v1/orders/cancel_and_new"] if profile == "upbit" else ["/v1/orders"]
    if profile == "bithumb":
        posts.append("/v2/orders")
    return [
        *(("POST", path) for path in posts),
        ("GET", "/v1/order"),
        ("DELETE", "/v1/order"),
        ("GET", "/v1/accounts"),
        ("GET", "/v1/ticker?markets=KRW-BTC"),
        ("GET", "/v1/candles/minutes/1?market=KRW-BTC"),
    ]


async def _unchanged(sandbox: Any) -> None:
    assert await sandbox.balances() == START_BALANCES
    assert not sandbox.state.engine.orders


@pytest.mark.parametrize("body", bodies())
async def test_every_body_reading_endpoint_refuses_every_hostile_body(
    sandbox: Any, body: Body, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for method, path in _body_routes(sandbox.profile):
        if body.parameters and path.startswith(("/v1/ticker", "/v1/candles")):
            continue  # public GETs ignore parameters they do not know, as the exchanges do
        headers = {"Authorization": sandbox.token(), **body.request_headers()}
        reply = await sandbox.client.request(method, path, content=body.data, headers=headers)
        _envelope(reply, f"{sandbox.profile} {method} {path} with {body.id} ({body.why})")
    await _unchanged(sandbox)
    assert_no_error_logged(caplog)


def _literal_pairs(text: str) -> list[tuple[str, str]]:
    """The body's fields with the literal text of each value, as a client hashes them."""
    document = json.loads(text, parse_float=str, parse_int=str, parse_constant=str)
    return [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in document.items() if not isinstance(v, dict)]


def _order_cases() -> list[Any]:
    cases = []
    for index, row in enumerate(ORDERS):
        for profile in ("upbit", "bithumb"):
            if row.get("profile", profile) == profile:
                cases.append(pytest.param(profile, row, id=f"{profile}-{index}-{row['name']}"))
    return cases


@pytest.mark.parametrize(("profile", "row"), _order_cases())
async def test_absurd_orders_get_a_named_400(
    profile: str, row: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    text = expand(row["body"])
    pairs = _literal_pairs(text)
    hashed = "&".join(f"{k}={v}" for k, v in pairs)
    paths = ["/v1/orders", "/v1/orders/test"] if profile == "upbit" else ["/v1/orders", "/v2/orders"]
    async with peer.running(profile) as sandbox:
        for path in paths:
            headers = {"Authorization": sandbox.token(hashed), "Content-Type": "application/json; charset=utf-8"}
            reply = await sandbox.client.post(path, content=text.encode(), headers=headers)
            error = _envelope(reply, f"{profile} POST {path} {text[:120]}")
            wanted = row["name"]
            if profile == "bithumb" and wanted == "validation_error":
                wanted = "invalid_parameter"
            if profile == "bithumb" and wanted.startswith("under_min_total"):
                wanted = wanted.replace("under_min_total", "under_price_limit")
            assert reply.status_code == 400 and error["name"] == wanted, (path, text[:120], error)
        await _unchanged(sandbox)
    assert_no_error_logged(caplog)


@pytest.mark.parametrize("row", QUERIES["sandbox"], ids=lambda row: f"{row['path'][:30]}?{row['query'][:40]}")
async def test_hostile_queries_are_refused_in_the_envelope(
    sandbox: Any, row: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    if row.get("profile", sandbox.profile) != sandbox.profile:
        pytest.skip(f"{row['path']} is {row['profile']}-only")  # the parameter does not exist there
    caplog.set_level(logging.INFO)
    target = f"{expand(row['path'])}?{expand(row['query'])}"
    reply = await sandbox.client.get(target)
    _envelope(reply, f"{sandbox.profile} GET {target[:80]}")
    assert_no_error_logged(caplog)


@pytest.mark.parametrize("case", raw_requests())
async def test_broken_framing_and_headers_are_refused(
    sandbox: Any, case: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    port = sandbox.client.base_url.port
    template = case.read_bytes().replace(b"{TOKEN}", b"x")
    for path in (b"/v1/orders", b"/v1/ticker?markets=KRW-BTC"):
        data = template.replace(b"{PATH}", path).replace(b"{AUTH}", sandbox.token().encode())
        answer = await send_raw(port, data)
        assert 400 <= answer.status < 500, (case.name, path, answer.status, answer.body[:300])
        assert answer.body.strip(), case.name
        if answer.is_json:
            assert set(answer.json()["error"]) == {"name", "message"}, (case.name, answer.body)
    await _unchanged(sandbox)
    assert_no_error_logged(caplog)


async def test_a_non_ascii_token_is_jwt_verification_not_a_500(sandbox: Any) -> None:
    port = sandbox.client.base_url.port
    request = b"GET /v1/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \xff\xfe.\xfd\r\n\r\n"
    answer = await send_raw(port, request)
    assert answer.status == 401 and answer.json()["error"]["name"] == "jwt_verification"


# --- slow-loris clients ----------------------------------------------------------------------

TIMEOUT_S = 0.5


@pytest.fixture
async def impatient() -> AsyncIterator[Any]:
    async with peer.running("upbit", request_timeout_s=TIMEOUT_S) as running:
        yield running


async def test_half_sent_headers_are_cut_with_a_408_envelope(impatient: Any) -> None:
    cut = await stall(impatient.client.base_url.port, b"POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthor")
    assert cut.after_s >= TIMEOUT_S * 0.9 and cut.status == 408
    assert json.loads(cut.body)["error"]["name"] == 408


async def test_a_body_that_never_arrives_is_cut_with_a_408_envelope(impatient: Any) -> None:
    head = (
        "POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: {impatient.token('market=KRW-BTC')}\r\nContent-Length: 200\r\n\r\n"
    ).encode()
    cut = await stall(impatient.client.base_url.port, head + b'{"market": "KRW-BTC"')
    assert cut.after_s >= TIMEOUT_S * 0.9 and cut.status == 408
    error = json.loads(cut.body)["error"]
    assert error["name"] == 408 and "body" in error["message"]
    assert not impatient.state.engine.orders


async def test_a_silent_connection_is_closed(impatient: Any) -> None:
    cut = await stall(impatient.client.base_url.port, b"")
    assert cut.data == b"" and cut.after_s >= TIMEOUT_S * 0.9


async def test_the_request_timeout_is_a_sandbox_setting() -> None:
    assert peer.SandboxConfig().request_timeout_s == 10.0
    with pytest.raises(ValueError, match="request_timeout_s"):
        peer.SandboxConfig(request_timeout_s=0)
