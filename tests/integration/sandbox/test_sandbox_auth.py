"""JWT verification of the sandbox over real sockets (reference A2, B2, D.2-D.3)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sibling import load_sibling  # tests/support/sibling.py

peer = load_sibling(__file__, "peer")


@pytest.fixture
async def upbit() -> AsyncIterator[Any]:
    async with peer.running("upbit") as sandbox:
        yield sandbox


@pytest.fixture
async def bithumb() -> AsyncIterator[Any]:
    async with peer.running("bithumb", jwt_max_age_ms=30_000) as sandbox:
        yield sandbox


@pytest.mark.parametrize("alg", ["HS256", "HS512"])
async def test_upbit_accepts_hs256_and_hs512(upbit: Any, alg: str) -> None:
    reply = await upbit.get("/v1/accounts", alg=alg)
    assert reply.status_code == 200
    assert {row["currency"] for row in reply.json()} == {"KRW", "BTC", "XRP"}


async def test_query_hash_over_unencoded_query_with_arrays(upbit: Any) -> None:
    params = [("market", "KRW-BTC"), ("states[]", "done"), ("states[]", "cancel")]
    reply = await upbit.get("/v1/orders/closed", params)
    assert reply.status_code == 200, reply.text
    assert reply.json() == []


async def test_missing_header_is_no_authorization_token(upbit: Any) -> None:
    reply = await upbit.client.get("/v1/accounts")
    assert reply.status_code == 401
    assert peer.error_name(reply) == "no_authorization_token"


async def test_bad_signature_is_jwt_verification(upbit: Any) -> None:
    reply = await upbit.get("/v1/accounts", secret="another-secret-" + "y" * 50)
    assert reply.status_code == 401
    assert peer.error_name(reply) == "jwt_verification"


async def test_garbage_token_is_jwt_verification(upbit: Any) -> None:
    reply = await upbit.client.get("/v1/accounts", headers={"Authorization": "Bearer not.a.jwt"})
    assert (reply.status_code, peer.error_name(reply)) == (401, "jwt_verification")


async def test_unknown_key_is_invalid_access_key(upbit: Any) -> None:
    reply = await upbit.get("/v1/accounts", access="nobody")
    assert (reply.status_code, peer.error_name(reply)) == (401, "invalid_access_key")


async def test_missing_nonce_is_rejected(upbit: Any) -> None:
    reply = await upbit.get("/v1/accounts", drop=("nonce",))
    assert (reply.status_code, peer.error_name(reply)) == (401, "jwt_verification")


async def test_wrong_or_missing_query_hash_is_invalid_query_payload(upbit: Any) -> None:
    headers = {"Authorization": upbit.token("market=KRW-ETH")}
    reply = await upbit.client.get("/v1/orders/chance", params={"market": "KRW-BTC"}, headers=headers)
    assert (reply.status_code, peer.error_name(reply)) == (401, "invalid_query_payload")
    headers = {"Authorization": upbit.token()}
    reply = await upbit.client.get("/v1/orders/chance", params={"market": "KRW-BTC"}, headers=headers)
    assert (reply.status_code, peer.error_name(reply)) == (401, "invalid_query_payload")


async def test_body_hash_must_follow_body_order(upbit: Any) -> None:
    body = {"market": "KRW-BTC", "side": "bid", "volume": "0.001", "price": "40000000", "ord_type": "limit"}
    shuffled = "&".join(f"{k}={body[k]}" for k in ("side", "market", "volume", "price", "ord_type"))
    headers = {"Authorization": upbit.token(shuffled), "Content-Type": "application/json"}
    reply = await upbit.client.post("/v1/orders", json=body, headers=headers)
    assert (reply.status_code, peer.error_name(reply)) == (401, "invalid_query_payload")
    reply = await upbit.post("/v1/orders", body)
    assert reply.status_code == 201, reply.text


async def test_nonce_reuse_is_nonce_used(upbit: Any) -> None:
    assert (await upbit.get("/v1/accounts", nonce="fixed-nonce")).status_code == 200
    reply = await upbit.get("/v1/accounts", nonce="fixed-nonce")
    assert (reply.status_code, peer.error_name(reply)) == (401, "nonce_used")


async def test_bithumb_accepts_hs256_with_fresh_timestamp(bithumb: Any) -> None:
    reply = await bithumb.get("/v1/accounts")
    assert reply.status_code == 200, reply.text


async def test_bithumb_rejects_stale_or_missing_timestamp_and_hs512(bithumb: Any) -> None:
    stale = await bithumb.get("/v1/accounts", timestamp=peer.START_MS - 31_000)
    assert (stale.status_code, peer.error_name(stale)) == (401, "expired_jwt")
    missing = await bithumb.get("/v1/accounts", drop=("timestamp",))
    assert (missing.status_code, peer.error_name(missing)) == (401, "jwt_verification")
    hs512 = await bithumb.get("/v1/accounts", alg="HS512")
    assert (hs512.status_code, peer.error_name(hs512)) == (401, "jwt_verification")


async def test_bithumb_token_goes_stale_as_the_clock_moves(bithumb: Any) -> None:
    token = bithumb.token()
    bithumb.clock.advance_ms(31_000)
    reply = await bithumb.client.get("/v1/accounts", headers={"Authorization": token})
    assert (reply.status_code, peer.error_name(reply)) == (401, "expired_jwt")


async def test_bithumb_accepts_url_encoded_body_hash(bithumb: Any) -> None:
    body = {"market": "KRW-BTC", "side": "bid", "volume": "0.001", "price": "40000000", "ord_type": "limit"}
    from urllib.parse import urlencode

    headers = {"Authorization": bithumb.token(urlencode(body)), "Content-Type": "application/json"}
    reply = await bithumb.client.post("/v1/orders", json=body, headers=headers)
    assert reply.status_code == 201, reply.text
