"""Strategy registry: names → classes, and creation with validated parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from tradetui.strategies.base import Strategy
from tradetui.strategies.breakout import BreakoutMomentum

_REGISTRY: dict[str, type[Strategy]] = {cls.name: cls for cls in (BreakoutMomentum,)}


class UnknownStrategy(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def available() -> list[str]:
    return sorted(_REGISTRY)


def strategy_class(name: str) -> type[Strategy]:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownStrategy(f"unknown strategy {name!r}; available: {', '.join(available())}") from None


def create(name: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """Build a strategy; bad parameters raise ``ValueError`` naming the key and the fix."""
    cls = strategy_class(name)
    try:
        parsed = cls.params_type.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise ValueError(describe_validation_error(exc, prefix=f"strategies.{name}.params")) from None
    return cls(parsed)


def describe_validation_error(exc: ValidationError, *, prefix: str) -> str:
    """One line per problem: ``path: message``, with a hint for unknown keys."""
    lines = []
    for err in exc.errors():
        path = ".".join([prefix, *(str(p) for p in err["loc"])])
        if err["type"] == "extra_forbidden":
            lines.append(f"{path}: unknown key (check the spelling; it is not a parameter here)")
        else:
            lines.append(f"{path}: {err['msg']}")
    return "; ".join(lines)
