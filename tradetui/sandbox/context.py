"""What a sandbox endpoint handler sees: the parsed parameters, the caller and the state."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tradetui.sandbox.wire import ApiError

if TYPE_CHECKING:
    from tradetui.sandbox.accounts import Account
    from tradetui.sandbox.state import SandboxState


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def body_pairs(raw: bytes) -> list[tuple[str, str]]:
    """A JSON object body as ``(key, text)`` pairs in body order; numbers keep their literal text.

    Arrays become repeated ``key[]`` pairs, ``null`` fields are left out, nested objects are not
    parameters (not hashed).
    """
    try:
        data = json.loads(raw, parse_float=str, parse_int=str)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "validation_error", "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ApiError(400, "validation_error", "the body must be a JSON object")
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
        try:
            value = int(text)
        except ValueError:
            raise ApiError(
                400, 400 if numeric else "validation_error", f"Type mismatch error. {name} must be an integer"
            ) from None
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
