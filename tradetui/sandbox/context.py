"""What a sandbox endpoint handler sees: the parsed parameters, the caller and the state."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from tradetui.errors import RequestError
from tradetui.http_guard import json_document
from tradetui.sandbox.wire import ApiError

if TYPE_CHECKING:
    from tradetui.sandbox.accounts import Account
    from tradetui.sandbox.state import SandboxState


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def body_pairs(
    raw: bytes, *, charset: str | None = None, error_name: str | int = "validation_error"
) -> list[tuple[str, str]]:
    """A JSON object body as ``(key, text)`` pairs in body order; numbers keep their literal text.

    Arrays become repeated ``key[]`` pairs, ``null`` fields are left out, nested objects are not
    parameters (not hashed). Anything but a strict JSON object (see
    :func:`~tradetui.http_guard.json_document`) is a 400 ``error_name`` naming the problem.
    """
    try:
        data = json_document(raw, charset=charset, keep_number_text=True)
    except RequestError as exc:
        raise ApiError(400, error_name, f"the body must be a JSON object: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(400, error_name, f"the body must be a JSON object, not {type(data).__name__}")
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        if value is None or isinstance(value, dict):
            continue
        if isinstance(value, list):
            name = key if key.endswith("[]") else f"{key}[]"
            pairs.extend((name, _text(item)) for item in value if not isinstance(item, dict | list))
        else:
            pairs.append((key, _text(value)))
    return pairs


def form_pairs(raw: bytes, *, error_name: str | int = "validation_error") -> tuple[list[tuple[str, str]], str]:
    """A form-encoded body (``k=v&k2=v2``) as decoded pairs and the text as sent."""
    try:
        text = raw.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, encoding="utf-8", errors="strict")
    except ValueError as exc:  # UnicodeError is a ValueError
        reason = " ".join(str(exc).split())[:80]
        raise ApiError(400, error_name, f"the body is not a valid form (k=v&k2=v2, UTF-8): {reason}") from None
    return pairs, text


@dataclass(frozen=True, slots=True)
class SentBody:
    """The parameters a request body carried: JSON pairs, or a form with its text as sent."""

    pairs: tuple[tuple[str, str], ...]
    form_text: str | None = None

    @property
    def is_form(self) -> bool:
        return self.form_text is not None


def read_body(
    method: str, content_type: str, charset: str | None, raw: bytes, *, error_name: str | int = "validation_error"
) -> SentBody | None:
    """The parameters in a request body, as the exchanges take them (reference A1, B1).

    POST: a JSON object (form bodies were retired in 2022: refused by name). GET and DELETE:
    a JSON object or a form, as widely used clients send them (pyupbit sends forms); without a
    telling ``Content-Type`` a body starting with ``{`` is JSON. None: no body. Refusals are
    400 ``error_name`` (the profile's name for a bad parameter).
    """
    if not raw.strip():
        return None
    is_form = content_type == "application/x-www-form-urlencoded"
    if method == "POST":
        if is_form:
            raise ApiError(
                400,
                error_name,
                "POST bodies must be JSON (Content-Type: application/json; charset=utf-8); form bodies were retired",
            )
        return SentBody(tuple(body_pairs(raw, charset=charset, error_name=error_name)))
    if is_form or (content_type != "application/json" and not raw.lstrip().startswith(b"{")):
        pairs, text = form_pairs(raw, error_name=error_name)
        return SentBody(tuple(pairs), form_text=text)
    return SentBody(tuple(body_pairs(raw, charset=charset, error_name=error_name)))


_INTEGER = re.compile(r"-?[0-9]{1,18}")


@dataclass(frozen=True, slots=True)
class Params:
    pairs: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        for key, value in self.pairs:
            if key == name:
                return value
        return None

    def all(self, name: str) -> list[str]:
        """Values of ``name`` and ``name[]``; a comma list in a plain ``name`` is not split."""
        return [value for key, value in self.pairs if key in (name, f"{name}[]")]

    def scalars(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in self.pairs:
            if not key.endswith("[]"):
                out.setdefault(key, value)
        return out

    def int_in(self, name: str, default: int, low: int, high: int, *, numeric: bool = False) -> int:
        text = self.get(name)
        if text is None or text == "":
            return default
        if not _INTEGER.fullmatch(text):
            raise ApiError(
                400, 400 if numeric else "validation_error", f"Type mismatch error. {name} must be an integer"
            )
        value = int(text)
        if not low <= value <= high:
            raise ApiError(400, 400 if numeric else "validation_error", f"{name} must be between {low} and {high}")
        return value


@dataclass(slots=True)
class Ctx:
    state: SandboxState
    params: Params
    now_ms: int
    path: dict[str, str] = field(default_factory=dict)
    account: Account | None = None

    @property
    def me(self) -> Account:
        assert self.account is not None, "private endpoint without an authenticated account"
        return self.account


Reply = tuple[int, Any]
Handler = Callable[[Ctx], Reply]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    upbit_group: str = "default"
    bithumb_category: str = "private-other"
    is_private: bool = False
    profiles: Sequence[str] = ("upbit", "bithumb")
