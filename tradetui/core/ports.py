"""Ports: the interfaces the engine needs from the outside, as Protocols so tests pass plain fakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from tradetui.core.orders import Fill, Order
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


@dataclass(frozen=True, slots=True)
class VenueReport:
    """What a venue says happened to one order: its new version, and the fills that caused it."""

    order: Order
    fills: tuple[Fill, ...] = ()


class Venue(Protocol):
    """Where orders go. ``submit``/``cancel`` never block: results come back from ``drain``.

    The simulated venue answers at once; an exchange venue answers when the network does. The
    engine's decision step stays synchronous either way.
    """

    def submit(self, order: Order) -> None: ...

    def cancel(self, identifier: str) -> None: ...

    def drain(self) -> list[VenueReport]: ...

    def balances(self) -> dict[str, Balance]: ...

    def open_orders(self) -> list[Order]: ...


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
