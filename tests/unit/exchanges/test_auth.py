"""JWT signing: hand-computed hashes, every claim decoded back with PyJWT."""

from __future__ import annotations

import hashlib
import uuid
import warnings

import jwt
import pytest

from tradetui.exchanges.auth import canonical_query, make_token, query_hash
from tradetui.exchanges.profiles import BITHUMB, UPBIT

ACCESS = "test-access-key"
SECRET = "s" * 64  # long enough for HS512 without PyJWT's key-length warning when decoding
ORDER_PARAMS = [
    ("market", "KRW-BTC"),
    ("side", "bid"),
    ("volume", "0.01"),
    ("price", "100000000"),
    ("ord_type", "limit"),
]
REFERENCE_STRING = "market=KRW-BTC&side=bid&volume=0.01&price=100000000&ord_type=limit"


def _decode(token: str, alg: str) -> dict[str, object]:
    return jwt.decode(token, SECRET, algorithms=[alg])


def test_canonical_query_of_the_reference_example_is_unencoded_and_ordered() -> None:
    assert canonical_query(ORDER_PARAMS, encode=False) == REFERENCE_STRING
    assert canonical_query(ORDER_PARAMS, encode=True) == REFERENCE_STRING  # plain values: both forms agree


def test_query_hash_is_sha512_hex_of_the_string() -> None:
    expected = hashlib.sha512(REFERENCE_STRING.encode()).hexdigest()
    assert query_hash(REFERENCE_STRING) == expected
    assert len(expected) == 128 and expected == expected.lower()


def test_array_keys_repeat_with_literal_brackets() -> None:
    params = [("states[]", "done"), ("states[]", "cancel")]
    assert canonical_query(params, encode=False) == "states[]=done&states[]=cancel"
    assert canonical_query(params, encode=True) == "states[]=done&states[]=cancel"


def test_encoding_differs_for_values_with_space_or_colon() -> None:
    params = [("start_time", "2025-09-01T00:00:00+09:00"), ("note", "a b")]
    raw = canonical_query(params, encode=False)
    encoded = canonical_query(params, encode=True)
    assert raw == "start_time=2025-09-01T00:00:00+09:00&note=a b"
    assert encoded == "start_time=2025-09-01T00%3A00%3A00%2B09%3A00&note=a%20b"
    assert query_hash(raw) != query_hash(encoded)


def test_upbit_token_claims_and_header() -> None:
    nonce = str(uuid.uuid4())
    token = make_token(UPBIT, ACCESS, SECRET, params=ORDER_PARAMS, nonce=nonce)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "HS512"
    assert header["typ"] == "JWT"
    claims = _decode(token, "HS512")
    assert claims == {
        "access_key": ACCESS,
        "nonce": nonce,
        "query_hash": hashlib.sha512(REFERENCE_STRING.encode()).hexdigest(),
        "query_hash_alg": "SHA512",
    }


def test_upbit_accepts_hs256_and_refuses_unknown_algs() -> None:
    token = make_token(UPBIT, ACCESS, SECRET, alg="HS256")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    with pytest.raises(ValueError, match="does not accept"):
        make_token(BITHUMB, ACCESS, SECRET, alg="HS512")


def test_token_without_params_has_no_hash_and_a_fresh_uuid4_nonce() -> None:
    first = _decode(make_token(UPBIT, ACCESS, SECRET), "HS512")
    second = _decode(make_token(UPBIT, ACCESS, SECRET), "HS512")
    assert set(first) == {"access_key", "nonce"}
    assert uuid.UUID(str(first["nonce"])).version == 4
    assert first["nonce"] != second["nonce"]


def test_bithumb_token_is_hs256_with_ms_timestamp_and_encoded_hash() -> None:
    params = [("market", "KRW-BTC"), ("start_time", "2025-09-01 09:00:00")]
    token = make_token(BITHUMB, ACCESS, SECRET, params=params, nonce="n-1", now_ms=1_756_684_800_123)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = _decode(token, "HS256")
    expected_string = "market=KRW-BTC&start_time=2025-09-01%2009%3A00%3A00"
    assert claims == {
        "access_key": ACCESS,
        "nonce": "n-1",
        "timestamp": 1_756_684_800_123,
        "query_hash": hashlib.sha512(expected_string.encode()).hexdigest(),
        "query_hash_alg": "SHA512",
    }


def test_upbit_has_no_timestamp_claim() -> None:
    claims = _decode(make_token(UPBIT, ACCESS, SECRET, now_ms=123), "HS512")
    assert "timestamp" not in claims


def test_a_real_length_secret_signs_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        token = make_token(UPBIT, ACCESS, "x" * 40, params=ORDER_PARAMS)
    assert token.count(".") == 2
