"""JWT request signing for Upbit (reference A2) and Bithumb API 2.0 (B2).

The parameters of a request are one ordered list of ``(key, str)`` pairs. The same list renders
the query string (GET/DELETE) or the JSON body (POST) and the string that is hashed into the
token's ``query_hash`` claim, so the two can never disagree. Array parameters repeat their
bracketed key: ``[("states[]", "done"), ("states[]", "cancel")]``.
"""

from __future__ import annotations

import hashlib
import uuid
import warnings
from collections.abc import Sequence
from urllib.parse import quote

import jwt

from tradetui.core.clock import LiveClock
from tradetui.exchanges.profiles import ExchangeProfile

Params = Sequence[tuple[str, str]]

QUERY_HASH_ALG = "SHA512"


def canonical_query(params: Params, *, encode: bool) -> str:
    """``k1=v1&k2=v2`` in the given order; values percent-encoded (``quote(safe="")``) when ``encode``.

    Keys are never encoded, so array keys keep their literal brackets (``states[]=done``).
    """
    if encode:
        return "&".join(f"{key}={quote(value, safe='')}" for key, value in params)
    return "&".join(f"{key}={value}" for key, value in params)


def query_hash(text: str) -> str:
    """Lowercase hex SHA-512 of ``text`` (UTF-8)."""
    return hashlib.sha512(text.encode("utf-8")).hexdigest()


def make_token(
    profile: ExchangeProfile,
    access_key: str,
    secret_key: str,
    *,
    params: Params | None = None,
    nonce: str | None = None,
    now_ms: int | None = None,
    alg: str | None = None,
) -> str:
    """A signed JWT for one request (a fresh UUID4 nonce unless ``nonce`` is given).

    ``query_hash``/``query_hash_alg`` are present only when the request has parameters; the
    ``timestamp`` claim (epoch ms) only when the profile requires it (Bithumb).
    """
    algorithm = alg or profile.jwt_alg
    if algorithm not in profile.accepted_jwt_algs:
        raise ValueError(
            f"{profile.exchange} does not accept JWT alg {algorithm}; use one of {profile.accepted_jwt_algs}"
        )
    claims: dict[str, str | int] = {"access_key": access_key, "nonce": nonce or str(uuid.uuid4())}
    if profile.requires_timestamp_claim:
        claims["timestamp"] = now_ms if now_ms is not None else LiveClock().now_ms()
    if params:
        claims["query_hash"] = query_hash(canonical_query(params, encode=profile.hash_encodes_values))
        claims["query_hash_alg"] = QUERY_HASH_ALG
    with warnings.catch_warnings():
        # The exchange issues the secret (40 characters on Upbit); PyJWT's advice to use a
        # longer HMAC key cannot be followed, so it is silenced here and only here.
        warnings.filterwarnings("ignore", message="The HMAC key is")
        return jwt.encode(claims, secret_key, algorithm=algorithm, headers={"typ": "JWT"})


def bearer(token: str) -> str:
    return f"Bearer {token}"
