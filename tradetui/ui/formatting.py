"""How numbers look on screen: KRW with thousands separators, signed percents, KST times."""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text

from tradetui.core.clock import to_kst
from tradetui.ui.tones import Tones


def krw(value: Decimal | float | None, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+,.0f}" if signed else f"{value:,.0f}"


def price(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    v = float(value)
    if abs(v) >= 100:
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"
    if abs(v) >= 1:
        return f"{v:,.4f}".rstrip("0").rstrip(".")
    return f"{v:.8f}".rstrip("0").rstrip(".")


def volume(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.8f}".rstrip("0").rstrip(".")


def pct(value: float | None, tones: Tones, *, digits: int = 2) -> Text:
    """A signed percent in the gain or loss tone."""
    if value is None:
        return Text("—", style="dim")
    return Text(f"{value:+.{digits}f}%", style=tones.signed(value))


def signed_krw(value: Decimal | float | None, tones: Tones) -> Text:
    """A signed KRW amount in the gain or loss tone."""
    if value is None:
        return Text("—", style="dim")
    v = float(value)
    return Text(f"{v:+,.0f}", style=tones.signed(v))


def compact_krw(value: float) -> str:
    """1.2억 / 3.4천만 style is lovely but hard to sort by eye; use SI-like suffixes."""
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= limit:
            return f"{value / limit:,.1f}{suffix}"
    return f"{value:,.0f}"


def kst_time(ts_ms: int, *, seconds: bool = True) -> str:
    return to_kst(ts_ms).strftime("%H:%M:%S" if seconds else "%H:%M")


def kst_datetime(ts_ms: int) -> str:
    return to_kst(ts_ms).strftime("%m-%d %H:%M")


def age(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"
