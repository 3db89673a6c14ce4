"""How amounts are written for people: the one notation the events, the logs, the alerts and the
panes share (``48,211,000`` KRW, never ``48211000`` or ``4.8211E+7``).

Plain functions of the stdlib, so the core's events can describe themselves with them.
"""

from __future__ import annotations

from decimal import Decimal

_WHOLE = Decimal(1)


def number(value: Decimal | int) -> str:
    """Grouped digits, no exponent, no trailing zeros: ``50,000,000``, ``0.00123``, ``1,234.5``."""
    normal = Decimal(value).normalize()
    if normal == normal.to_integral_value():
        normal = normal.quantize(_WHOLE)
    return format(normal, ",f")


def krw(value: Decimal | int | float, *, signed: bool = False, unit: bool = True) -> str:
    """A KRW amount rounded to the won: ``2,500,000 KRW``, ``+12,345 KRW`` with ``signed``."""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    text = format(amount.quantize(_WHOLE), "+," if signed else ",")
    if text in ("-0", "+0", "+-0"):
        text = "+0" if signed else "0"
    return text + " KRW" if unit else text


def price(value: Decimal | int) -> str:
    """A price as traders read it: whole won above 100 KRW (``48,211,000``), up to 4 decimals
    above 1 KRW, up to 8 below; the tick grid is never rounded away (``1,234.5`` stays)."""
    amount = Decimal(value)
    places = 2 if abs(amount) >= 100 else 4 if abs(amount) >= 1 else 8
    return number(amount.quantize(_WHOLE.scaleb(-places)))


def volume(value: Decimal | int) -> str:
    """A quantity of a coin, up to the 8 decimals the exchanges allow: ``0.05185538``."""
    return number(Decimal(value).quantize(_WHOLE.scaleb(-8)))
