"""What an exchange says about trading one market: fees and limits (``/v1/orders/chance``), tick size."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class OrderChance:
    """Fees (rates, e.g. ``0.0005``) and order limits for one market, from ``GET /v1/orders/chance``."""

    market: str
    bid_fee: Decimal
    ask_fee: Decimal
    maker_bid_fee: Decimal
    maker_ask_fee: Decimal
    bid_min_total: Decimal
    ask_min_total: Decimal
    max_total: Decimal | None
    bid_types: tuple[str, ...]
    ask_types: tuple[str, ...]
    state: str = "active"

    @property
    def min_total(self) -> Decimal:
        """The larger of the two sides' minimum order totals (KRW on KRW markets)."""
        return max(self.bid_min_total, self.ask_min_total)


@dataclass(frozen=True, slots=True)
class TickInfo:
    """Upbit ``/v1/orderbook/instruments``: the current price unit of a market."""

    market: str
    quote_currency: str
    tick_size: Decimal
    supported_levels: tuple[Decimal, ...] = ()
