"""JWT verification of private requests (A2, B2, D.2-D.3).

Order of checks: header present -> token readable -> known access key -> signature and algorithm
-> required claims (``nonce``; Bithumb ``timestamp`` fresh) -> query hash -> nonce not reused.
A nonce is remembered only once the request passed every check.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, unquote_plus, urlencode

import jwt

from tradetui.sandbox.accounts import Account
from tradetui.sandbox.context import SentBody
from tradetui.sandbox.wire import ApiError

UPBIT_ALGORITHMS = ("HS256", "HS512")
BITHUMB_ALGORITHMS = ("HS256",)


def _fail(name: str, message: str) -> ApiError:
    return ApiError(401, name, message)


def unverified_access_key(authorization: str | None) -> str | None:
    """The access key a request claims to be (for per-pocket rate limits), without verifying it."""
    if not authorization or not authorization.startswith("Bearer ") or not authorization.isascii():
        return None
    try:
        claims = jwt.decode(authorization[7:].strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    key = claims.get("access_key")
    return key if isinstance(key, str) else None


def _as_sent(profile: str, text: str) -> list[str]:
    """A query string or form body as transmitted: Upbit hashes the unencoded form (``+`` may
    stand for a space); Bithumb's samples hash the encoded one, so for Bithumb that too."""
    forms = [unquote(text), unquote_plus(text)]
    if profile != "upbit":
        forms.append(text)
    return list(dict.fromkeys(forms))


def hash_inputs(profile: str, raw_query: str, body: SentBody | None) -> list[str]:
    """The canonical strings a valid ``query_hash`` may be computed from; empty when no parameters.

    Query: as received without the ``?`` (A2). Form body (GET/DELETE): likewise, as sent. JSON
    body: the fields in body order as ``k=v&...`` (arrays as ``k[]=v``); Bithumb's samples
    URL-encode, so for Bithumb the encoded forms are accepted too (reference B2, unverified which
    one it checks). A request with both a query and a body hashes ``query&body``.
    """
    parts: list[list[str]] = []
    if raw_query:
        parts.append(_as_sent(profile, raw_query))
    if body is not None and body.pairs:
        if body.form_text is not None:
            parts.append(_as_sent(profile, body.form_text))
        else:
            plain = "&".join(f"{k}={v}" for k, v in body.pairs)
            parts.append([plain] if profile == "upbit" else list(dict.fromkeys([plain, urlencode(list(body.pairs))])))
    if not parts:
        return []
    if len(parts) == 1:
        return parts[0]
    return [f"{query}&{sent}" for query in parts[0] for sent in parts[1]]


@dataclass(slots=True)
class NonceMemory:
    """The last ``size`` nonces of each access key."""

    size: int
    _order: dict[str, deque[str]] = field(default_factory=dict)
    _seen: dict[str, set[str]] = field(default_factory=dict)

    def __contains__(self, item: tuple[str, str]) -> bool:
        key, nonce = item
        return nonce in self._seen.get(key, ())

    def to_json(self) -> dict[str, list[str]]:
        return {key: list(order) for key, order in self._order.items()}

    def restore(self, data: dict[str, list[str]]) -> None:
        for key, nonces in data.items():
            for nonce in nonces:
                self.remember(key, nonce)

    def remember(self, key: str, nonce: str) -> None:
        order = self._order.setdefault(key, deque())
        seen = self._seen.setdefault(key, set())
        order.append(nonce)
        seen.add(nonce)
        while len(order) > self.size:
            seen.discard(order.popleft())


def authenticate(
    *,
    profile: str,
    authorization: str | None,
    accounts: Mapping[str, Account],
    hash_candidates: list[str],
    nonces: NonceMemory,
    now_ms: int,
    max_age_ms: int,
) -> Account:
    if not authorization:
        raise _fail("no_authorization_token", "Authorization header is missing")
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token.strip():
        raise _fail("jwt_verification", "Authorization must be 'Bearer <JWT>'")
    token = token.strip()
    if not token.isascii():  # header bytes that are not UTF-8 arrive as lone surrogates
        raise _fail("jwt_verification", "the token cannot be read: a JWT is ASCII")
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise _fail("jwt_verification", f"the token cannot be read: {exc}") from None
    algorithms = UPBIT_ALGORITHMS if profile == "upbit" else BITHUMB_ALGORITHMS
    if header.get("alg") not in algorithms:
        raise _fail("jwt_verification", f"alg must be one of {', '.join(algorithms)}")
    access_key = unverified.get("access_key")
    if not isinstance(access_key, str) or not access_key:
        raise _fail("jwt_verification", "the access_key claim is missing")
    account = accounts.get(access_key)
    if account is None:
        raise _fail("invalid_access_key", "unknown access key")
    try:
        with warnings.catch_warnings():
            # A short secret is the sandbox user's choice; PyJWT warns about it, the exchanges don't.
            warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
            claims = jwt.decode(token, account.secret_key, algorithms=list(algorithms))
    except jwt.ExpiredSignatureError:
        raise _fail("expired_jwt" if profile == "bithumb" else "jwt_verification", "the token has expired") from None
    except jwt.PyJWTError as exc:
        raise _fail("jwt_verification", f"signature verification failed: {exc}") from None
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise _fail("jwt_verification", "the nonce claim is missing")
    if profile == "bithumb":
        timestamp = claims.get("timestamp")
        if isinstance(timestamp, bool) or not isinstance(timestamp, int | float) or not math.isfinite(timestamp):
            raise _fail("jwt_verification", "the timestamp claim (epoch ms) is missing")
        if abs(now_ms - timestamp) > max_age_ms:
            raise _fail(
                "expired_jwt", f"timestamp {int(timestamp)} is more than {max_age_ms} ms from server time {now_ms}"
            )
    if hash_candidates:
        given = claims.get("query_hash")
        if claims.get("query_hash_alg", "SHA512") != "SHA512" or not isinstance(given, str):
            raise _fail("invalid_query_payload", "query_hash (SHA512) is required when the request has parameters")
        wanted = {hashlib.sha512(text.encode()).hexdigest() for text in hash_candidates}
        if given.lower() not in wanted:
            raise _fail("invalid_query_payload", "query_hash does not match the parameters")
    if (access_key, nonce) in nonces:
        raise _fail("nonce_used", "this nonce was used before")
    nonces.remember(access_key, nonce)
    return account
