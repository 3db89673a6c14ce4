"""Helpers shared by :mod:`~tradetui.control.wire` and :mod:`~tradetui.control.wire_history`.

Decimals go out as strings; the ``_to_*`` parsers accept only the JSON type they expect and raise
``ValueError`` naming the value; ``_many``, ``_obj`` and ``_field`` check a document's shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

JsonDict = dict[str, Any]
T = TypeVar("T")


def _dec(value: Decimal) -> str:
    return str(value)


def _opt_dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _to_dec(value: Any) -> Decimal:
    if not isinstance(value, str | int):
        raise ValueError(f"expected a decimal string, got {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a decimal: {value!r}") from None


def _to_opt_dec(value: Any) -> Decimal | None:
    return None if value is None else _to_dec(value)


def _money(value: float | None) -> str | None:
    """An amount held as a float in the read model (a stop level, a turnover), as JSON money: a
    string (``repr``, so it reads back to the same float)."""
    return None if value is None else repr(float(value))


def _to_money(value: Any) -> float | None:
    """The float behind a money string (a bare number from an older engine is taken too)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"not an amount: {value!r}") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError(f"not a finite amount: {value!r}")
        return number
    return _to_float(value)


def _to_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _to_opt_float(value: Any) -> float | None:
    return None if value is None else _to_float(value)


def _to_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _many(items: Any, parse: Callable[[Any], T]) -> tuple[T, ...]:
    if not isinstance(items, list | tuple):
        raise ValueError(f"expected a list, got {type(items).__name__}")
    return tuple(parse(item) for item in items)


def _obj(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{what}: expected an object, got {type(data).__name__}")
    return data


def _field(data: Mapping[str, Any], key: str, what: str) -> Any:
    try:
        return data[key]
    except KeyError:
        raise ValueError(f"{what}: missing {key!r}") from None
