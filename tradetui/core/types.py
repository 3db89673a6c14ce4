"""Decimal value types for prices, volumes and KRW amounts.

Money never travels as ``float``. The aliases below are ``NewType``s over ``Decimal`` so they
cost nothing at run time; the constructor functions are the only sanctioned way in from text
or integers and they fail fast on floats, NaN, infinities and negative values.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import NewType

Price = NewType("Price", Decimal)
"""Price of one unit of the base asset, in the quote currency (KRW)."""
Volume = NewType("Volume", Decimal)
"""Quantity of the base asset (for example BTC)."""
Krw = NewType("Krw", Decimal)
"""An amount of KRW: notional, fee, balance or PnL (PnL may be negative)."""

ZERO = Decimal(0)


class Side(StrEnum):
    """Order side, spelled as both exchanges spell it on the wire."""

    BID = "bid"  # buy
    ASK = "ask"  # sell

    @property
    def opposite(self) -> Side:
        return Side.ASK if self is Side.BID else Side.BID


def to_decimal(value: str | int | Decimal, *, what: str = "value") -> Decimal:
    """Parse ``value`` as a finite Decimal; floats are refused (they are not money)."""
    if isinstance(value, (bool, float)):
        raise TypeError(f"{what} must be a str, int or Decimal, not {type(value).__name__}: {value!r}")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(value)
        except (InvalidOperation, ValueError) as exc:
            raise ValueError(f"{what} is not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"{what} must be finite, got {value!r}")
    return result


def price(value: str | int | Decimal) -> Price:
    """A price: finite and strictly positive."""
    result = to_decimal(value, what="price")
    if result <= 0:
        raise ValueError(f"price must be > 0, got {value!r}")
    return Price(result)


def volume(value: str | int | Decimal) -> Volume:
    """A volume: finite and not negative."""
    result = to_decimal(value, what="volume")
    if result < 0:
        raise ValueError(f"volume must be >= 0, got {value!r}")
    return Volume(result)


def krw(value: str | int | Decimal) -> Krw:
    """A KRW amount: finite, any sign (PnL can be negative)."""
    return Krw(to_decimal(value, what="KRW amount"))


def decimal_from_float(value: float) -> Decimal:
    """Exact-as-printed conversion of a float that came from decimal text (CSV, JSON numbers).

    ``repr`` gives the shortest string that round-trips, which is the original text for
    every price with at most 15 significant digits.
    """
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"not a finite number: {value!r}")
    if value.is_integer() and abs(value) < 1e15:
        return Decimal(int(value))
    return Decimal(repr(value))
