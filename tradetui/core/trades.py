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
    exit_fills: int = 1
    """Sell fills that closed it; above 1 (partial exits) ``exit_price`` is their average."""

    @property
    def has_partial_exits(self) -> bool:
        return self.exit_fills > 1

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


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """A position still held when a run ended, marked at the last close."""

    market: str
    strategy: str
    entry_ms: int
    volume: Decimal
    """Volume still held."""
    avg_price: Decimal
    """Average buy price."""
    last_price: Decimal
    """The last close of the market: the mark."""
    unrealized_pnl: Decimal
    """What the position adds to equity at the mark: the held volume's value, plus what its
    partial sells brought, minus everything it cost and every fee paid so far (the fee of
    selling the rest is not included). Closed trades' PnL plus this is the run's equity change."""

    @property
    def value(self) -> Decimal:
        return self.volume * self.last_price

    @property
    def return_pct(self) -> float:
        cost = self.avg_price * self.volume
        return float(self.unrealized_pnl / cost * 100) if cost else 0.0
