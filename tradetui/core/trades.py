"""Closed round trips: what a position earned from first buy to last sell."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """One position from entry to flat. Partial exits are folded into ``exit_price`` (average)."""

    market: str
    strategy: str
    entry_ms: int
    exit_ms: int
    volume: Decimal
    """Total volume bought."""
    entry_price: Decimal
    """Average buy price."""
    exit_price: Decimal
    """Average sell price."""
    pnl: Decimal
    """Realised KRW profit net of all fees of the round trip."""
    fees: Decimal
    exit_reason: str

    @property
    def cost(self) -> Decimal:
        return self.entry_price * self.volume

    @property
    def return_pct(self) -> float:
        cost = self.cost
        return float(self.pnl / cost * 100) if cost else 0.0

    @property
    def holding_ms(self) -> int:
        return self.exit_ms - self.entry_ms

    @property
    def is_win(self) -> bool:
        return self.pnl > 0
