"""Ports: the interfaces the engine needs from the outside, as Protocols so tests pass plain fakes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from tradetui.core.market import OrderBook
from tradetui.core.orders import Fill, Order
from tradetui.core.rules import MarketRules
from tradetui.core.runs import BacktestRun, BacktestRunSummary, EquityPoint
from tradetui.core.trades import ClosedTrade


@dataclass(frozen=True, slots=True)
class Balance:
    currency: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


def krw_total(balances: Mapping[str, Balance]) -> Decimal:
    """The KRW an account holds, free and locked (zero without a KRW balance)."""
    krw = balances.get("KRW")
    return krw.total if krw is not None else Decimal(0)


@dataclass(frozen=True, slots=True)
class VenueReport:
    """What a venue says happened to one order: its new version, and the fills that caused it."""

    order: Order
    fills: tuple[Fill, ...] = ()


class Venue(Protocol):
    """Where orders go. ``submit``/``cancel`` never block: results come back from ``drain``.

    The simulated venue answers at once; an exchange venue answers when the network does. The
    engine's decision step stays synchronous either way, and never asks which kind it has: what
    differs is said here (``answers_at_once``, ``reports_ready``), and the price updates a
    simulator fills by are methods an exchange venue accepts and ignores.
    """

    answers_at_once: bool
    """True: ``submit`` and ``cancel`` are answered before they return (drain right after);
    False: answers arrive over the network and ``reports_ready`` is set when they do."""

    @property
    def reports_ready(self) -> asyncio.Event | None:
        """Set whenever answers wait in ``drain`` (None for a venue that answers at once)."""
        ...

    def rules_at(self, now_ms: int) -> MarketRules:
        """The exchange rules in force at ``now_ms`` (ticks, fees, minimum order)."""
        ...

    def submit(self, order: Order) -> None: ...

    def cancel(self, identifier: str) -> None: ...

    def drain(self) -> list[VenueReport]: ...

    def balances(self) -> dict[str, Balance]: ...

    def open_orders(self) -> list[Order]: ...

    # the market's prices, for a venue that fills orders itself (an exchange venue ignores them)

    def mark(self, market: str, price: float) -> None:
        """The market trades at ``price`` now: waiting market orders fill there."""
        ...

    def touch(self, market: str, open_: float | None, high: float, low: float, volume: float | None = None) -> None:
        """A bar traded between ``low`` and ``high``: limit orders it went through fill."""
        ...

    def walk_book(self, market: str, book: OrderBook) -> None:
        """A live order book: waiting market orders fill against it, level by level."""
        ...

    def on_trade(self, market: str, price: Decimal) -> None:
        """A public trade at ``price``: limit orders it crossed fill."""
        ...


class OrderJournal(Protocol):
    """The intent log: an order is recorded here before it is sent, and on every change."""

    def record(self, order: Order) -> None: ...

    def record_fill(self, fill: Fill) -> None: ...


class ExchangeView(Protocol):
    """What reconciliation asks an exchange on start (implemented by the exchange venue)."""

    async def order_by_identifier(self, identifier: str) -> Order | None:
        """The exchange's version of our order, or None if it never reached the exchange."""
        ...

    async def open_orders(self) -> list[Order]: ...

    async def balances(self) -> dict[str, Balance]: ...


class SessionHistory(Protocol):
    """A trading session's stored records as the front ends read them (its profile's database)."""

    async def orders(self, limit: int) -> list[Order]:
        """Past and open orders, the newest first."""
        ...

    async def closed_trades(self, limit: int) -> list[ClosedTrade]:
        """Round trips, the newest (latest exit) first; this run's included."""
        ...

    async def save_config(self, text: str, note: str) -> None:
        """Record a settings change in config_history."""
        ...


class RunStore(Protocol):
    """Stored backtest runs (the research database)."""

    async def save_backtest_run(
        self, summary: Mapping[str, Any], trades: Sequence[ClosedTrade], equity: Sequence[EquityPoint]
    ) -> int:
        """Store a run; returns its id."""
        ...

    async def backtest_runs(self, limit: int) -> list[BacktestRunSummary]:
        """The newest ``limit`` runs, newest first."""
        ...

    async def backtest_run(self, run_id: int) -> BacktestRun | None: ...
