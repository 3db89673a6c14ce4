"""Where the sandbox takes request parameters from (issue 8; reference A1, A2, B2): the query
string, and for GET/DELETE also a form-encoded or JSON body, as widely used Upbit clients send
them (pyupbit sends ``requests.get(url, data=params)``: a form body). The query hash is checked
against the parameters as sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from sibling import load_sibling  # tests/support/sibling.py

peer = load_sibling(__file__, "peer")

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def upbit() -> AsyncIterator[Any]:
    async with peer.running("upbit", cancel_delay_ms=0) as sandbox:
        yield sandbox


@pytest.fixture
async def bithumb() -> AsyncIterator[Any]:
    async with peer.running("bithumb") as sandbox:
        yield sandbox


async def _resting_bid(sandbox: Any, identifier: str) -> dict[str, Any]:
    book = (await sandbox.public("/v1/orderbook", [("markets", "KRW-BTC")])).json()[0]
    price = str(book["orderbook_units"][0]["bid_price"] - 1_000_000)
    body = {"market": "KRW-BTC", "side": "bid", "volume": "0.001", "price": price, "ord_type": "limit"}
    if sandbox.profile == "upbit":
        body["identifier"] = identifier
    reply = await sandbox.post("/v1/orders", body)
    assert reply.status_code == 201, reply.text
    order: dict[str, Any] = reply.json()
    return order


async def _send(sandbox: Any, method: str, path: str, body: bytes, hashed: str | None, **headers: str) -> Any:
    sent = {"Authorization": sandbox.token(hashed), **{k.replace("_", "-"): v for k, v in headers.items()}}
    return await sandbox.client.request(method, path, content=body, headers=sent)


async def test_a_form_encoded_get_is_read_like_a_query(upbit: Any) -> None:
    order = await _resting_bid(upbit, "form-get")
    pairs = [("uuid", order["uuid"])]
    reply = await _send(
        upbit, "GET", "/v1/order", urlencode(pairs).encode(), f"uuid={order['uuid']}", Content_Type=FORM
    )
    assert reply.status_code == 200, reply.text  # was: 400 "the body must be a JSON object"
    assert reply.json()["uuid"] == order["uuid"] and reply.json()["trades"] == []


async def test_a_form_encoded_delete_cancels(upbit: Any) -> None:
    order = await _resting_bid(upbit, "form-delete")
    body = urlencode([("identifier", "form-delete")]).encode()
    reply = await _send(upbit, "DELETE", "/v1/order", body, "identifier=form-delete", Content_Type=FORM)
    assert reply.status_code == 200, reply.text
    assert reply.json()["uuid"] == order["uuid"]


async def test_form_arrays_hash_as_bracketed_keys_unencoded(upbit: Any) -> None:
    """pyupbit: ``urlencode(query, doseq=True).replace("%5B%5D=", "[]=")`` is what it hashes."""
    pairs = [("market", "KRW-BTC"), ("states[]", "done"), ("states[]", "cancel")]
    body = urlencode(pairs).encode()  # states%5B%5D=done on the wire
    assert b"%5B%5D" in body
    hashed = "market=KRW-BTC&states[]=done&states[]=cancel"
    reply = await _send(upbit, "GET", "/v1/orders/closed", body, hashed, Content_Type=FORM)
    assert reply.status_code == 200, reply.text
    assert reply.json() == []
    encoded = await _send(upbit, "GET", "/v1/orders/closed", body, body.decode(), Content_Type=FORM)
    assert (encoded.status_code, peer.error_name(encoded)) == (401, "invalid_query_payload")  # Upbit: unencoded


async def test_bithumb_also_takes_the_encoded_form_hash(bithumb: Any) -> None:
    pairs = [("market", "KRW-BTC"), ("states[]", "wait")]
    body = urlencode(pairs).encode()
    for hashed in ("market=KRW-BTC&states[]=wait", body.decode()):
        reply = await _send(bithumb, "GET", "/v1/orders", body, hashed, Content_Type=FORM)
        assert reply.status_code == 200, (hashed, reply.text)


async def test_a_json_body_on_a_get(upbit: Any) -> None:
    body = json.dumps({"market": "KRW-BTC"}).encode()
    reply = await _send(upbit, "GET", "/v1/orders/chance", body, "market=KRW-BTC", Content_Type="application/json")
    assert reply.status_code == 200, reply.text
    assert reply.json()["market"]["id"] == "KRW-BTC"
    bare = await _send(upbit, "GET", "/v1/orders/chance", body, "market=KRW-BTC")  # no Content-Type: sniffed
    assert bare.status_code == 200, bare.text


async def test_the_hash_must_cover_the_body_as_sent(upbit: Any) -> None:
    body = urlencode([("market", "KRW-BTC")]).encode()
    wrong = await _send(upbit, "GET", "/v1/orders/chance", body, "market=KRW-ETH", Content_Type=FORM)
    assert (wrong.status_code, peer.error_name(wrong)) == (401, "invalid_query_payload")
    missing = await _send(upbit, "GET", "/v1/orders/chance", body, None, Content_Type=FORM)
    assert (missing.status_code, peer.error_name(missing)) == (401, "invalid_query_payload")


async def test_query_and_body_together_hash_as_query_then_body(upbit: Any) -> None:
    await _resting_bid(upbit, "both")
    body = urlencode([("states[]", "wait")]).encode()
    hashed = "market=KRW-BTC&states[]=wait"
    reply = await _send(upbit, "GET", "/v1/orders/open?market=KRW-BTC", body, hashed, Content_Type=FORM)
    assert reply.status_code == 200, reply.text
    assert [row["identifier"] for row in reply.json()] == ["both"]


async def test_a_form_post_is_refused_by_name(upbit: Any) -> None:
    pairs = [("market", "KRW-BTC"), ("side", "bid"), ("price", "5000"), ("ord_type", "price")]
    hashed = "&".join(f"{k}={v}" for k, v in pairs)
    reply = await _send(upbit, "POST", "/v1/orders", urlencode(pairs).encode(), hashed, Content_Type=FORM)
    assert (reply.status_code, peer.error_name(reply)) == (400, "validation_error")
    assert "JSON" in reply.json()["error"]["message"]
    assert not upbit.state.engine.orders


async def test_a_broken_form_is_a_validation_error(upbit: Any, bithumb: Any) -> None:
    for sandbox, name in ((upbit, "validation_error"), (bithumb, "invalid_parameter")):
        for body in (b"market=%FF%FE", b"no-equals-sign", b"market=\xff"):
            reply = await _send(sandbox, "GET", "/v1/orders/chance", body, "x", Content_Type=FORM)
            assert (reply.status_code, peer.error_name(reply)) == (400, name), (sandbox.profile, body)
