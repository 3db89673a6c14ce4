"""Portfolio: cash, positions, realised and unrealised PnL, equity — built from fills."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tradetui.core.orders import Fill
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import ZERO, Side
from tradetui.risk.exits import ExitTracker


@dataclass(slots=True)
class Position:
    market: str
    strategy: str
    entry_ms: int
    volume: Decimal = ZERO
    bought_volume: Decimal = ZERO
    bought_funds: Decimal = ZERO
    buy_fees: Decimal = ZERO
    sold_volume: Decimal = ZERO
    sold_funds: Decimal = ZERO
    sell_fees: Decimal = ZERO
    sell_fills: int = 0
    tracker: ExitTracker | None = None
    exit_reason: str = ""

    @property
    def avg_price(self) -> Decimal:
        return self.bought_funds / self.bought_volume if self.bought_volume else ZERO

    def unrealized(self, mark: Decimal) -> Decimal:
        """Mark-to-market PnL of the volume still held, before the fee of selling it."""
        if not self.volume:
            return ZERO
        return (mark - self.avg_price) * self.volume

    def marked_pnl(self, mark: Decimal) -> Decimal:
        """What the position adds to equity at ``mark``: the held volume's value plus its sells so
        far, minus all it cost and every fee paid (not the fee of selling the rest)."""
        return self.volume * mark + self.sold_funds - self.sell_fees - self.bought_funds - self.buy_fees

    def realized(self) -> Decimal:
        """PnL of what was sold so far, net of sell fees and the matching share of buy fees."""
        if not self.sold_volume or not self.bought_volume:
            return ZERO
        share = self.sold_volume / self.bought_volume
        return self.sold_funds - self.sell_fees - self.bought_funds * share - self.buy_fees * share


@dataclass(slots=True)
class Portfolio:
    cash: Decimal
    """All KRW, free and locked in orders."""
    positions: dict[str, Position] = field(default_factory=dict)
    closed: list[ClosedTrade] = field(default_factory=list)
    fees_paid: Decimal = ZERO
    realized_pnl: Decimal = ZERO

    def apply_fill(self, fill: Fill, *, strategy: str) -> tuple[Position, ClosedTrade | None]:
        """Book one fill; returns the position and, if it went flat, the closed trade."""
        pos = self.positions.get(fill.market)
        funds = fill.funds
        self.fees_paid += fill.fee
        if fill.side is Side.BID:
            self.cash -= funds + fill.fee
            if pos is None:
                pos = self.positions[fill.market] = Position(fill.market, strategy, fill.ts_ms)
            pos.volume += fill.volume
            pos.bought_volume += fill.volume
            pos.bought_funds += funds
            pos.buy_fees += fill.fee
            return pos, None
        if pos is None or fill.volume > pos.volume:
            held = ZERO if pos is None else pos.volume
            raise ValueError(f"sell fill {fill.identifier} of {fill.volume} {fill.market} exceeds the held {held}")
        self.cash += funds - fill.fee
        pos.volume -= fill.volume
        pos.sold_volume += fill.volume
        pos.sold_funds += funds
        pos.sell_fees += fill.fee
        pos.sell_fills += 1
        if pos.volume > 0:
            return pos, None
        del self.positions[fill.market]
        pnl = pos.sold_funds - pos.sell_fees - pos.bought_funds - pos.buy_fees
        self.realized_pnl += pnl
        trade = ClosedTrade(
            market=pos.market,
            strategy=pos.strategy,
            entry_ms=pos.entry_ms,
            exit_ms=fill.ts_ms,
            volume=pos.bought_volume,
            entry_price=pos.avg_price,
            exit_price=pos.sold_funds / pos.sold_volume,
            pnl=pnl,
            fees=pos.buy_fees + pos.sell_fees,
            exit_reason=pos.exit_reason or "exit",
            exit_fills=pos.sell_fills,
        )
        self.closed.append(trade)
        return pos, trade

    def equity(self, marks: dict[str, Decimal]) -> Decimal:
        total = self.cash
        for market, pos in self.positions.items():
            mark = marks.get(market)
            total += pos.volume * (mark if mark is not None else pos.avg_price)
        return total
