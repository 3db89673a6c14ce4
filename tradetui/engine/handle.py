"""EngineHandle: the one door to a running engine for the UI, the headless runner and the
control API — commands going down, a read model and an event stream coming up.

Everything runs on one asyncio loop; commands are plain method calls between two bars, so the
engine never sees two things at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tradetui.core.events import EngineState, Event
from tradetui.core.market import Bar
from tradetui.engine.engine import Engine
from tradetui.strategies import registry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PositionView:
    market: str
    strategy: str
    volume: Decimal
    avg_price: Decimal
    last_price: Decimal | None
    pnl_krw: Decimal
    pnl_pct: float
    stop: float | None
    target: float | None
    trailing: float | None


@dataclass(frozen=True, slots=True)
class OrderView:
    identifier: str
    market: str
    side: str
    ord_type: str
    price: Decimal | None
    volume: Decimal | None
    filled_pct: float
    state: str
    age_s: float
    purpose: str


@dataclass(frozen=True, slots=True)
class RiskView:
    state: EngineState
    reason: str
    day_pnl: Decimal
    daily_loss_limit_krw: Decimal | None
    daily_loss_used_pct: float
    exposure_krw: Decimal
    exposure_pct: float
    open_positions: int
    max_positions: int
    consecutive_losses: int
    cooldown_until_ms: int


@dataclass(frozen=True, slots=True)
class StrategyView:
    name: str
    enabled: bool
    markets: tuple[str, ...]
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventView:
    ts_ms: int
    severity: int
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    ts_ms: int
    mode: str
    exchange: str
    state: EngineState
    equity: Decimal
    cash: Decimal
    realized_pnl: Decimal
    fees_paid: Decimal
    positions: tuple[PositionView, ...]
    orders: tuple[OrderView, ...]
    risk: RiskView
    strategies: tuple[StrategyView, ...]
    events: tuple[EventView, ...]
    bars_processed: int
    trades_closed: int


class EngineHandle:
    def __init__(
        self,
        engine: Engine,
        *,
        mode: str,
        exchange: str,
        feed: AsyncIterator[Bar] | None = None,
        on_stop: Callable[[Engine], Any] | None = None,
        queue_size: int = 1000,
        companions: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        """``companions`` run beside the feed for as long as it runs (a stream, a venue's
        order polling); they are cancelled when the engine stops."""
        self.engine = engine
        self.mode = mode
        self.exchange = exchange
        self._feed = feed
        self._on_stop = on_stop
        self._queue_size = queue_size
        self._subscribers: list[asyncio.Queue[Event]] = []
        self._stopped = asyncio.Event()
        self._companions = list(companions)
        engine.listeners.append(self._fan_out)

    # --- events --------------------------------------------------------------------------------

    def _fan_out(self, events: Sequence[Event]) -> None:
        for queue in self._subscribers:
            for event in events:
                if queue.full():  # a slow consumer gets the newest events, not a stalled engine
                    with contextlib.suppress(asyncio.QueueEmpty):
                        queue.get_nowait()
                queue.put_nowait(event)

    async def events(self) -> AsyncIterator[Event]:
        """A bounded subscription to the engine's events (oldest dropped when the reader lags)."""
        queue: asyncio.Queue[Event] = asyncio.Queue(self._queue_size)
        self._subscribers.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.remove(queue)

    # --- running -------------------------------------------------------------------------------

    async def run(self) -> None:
        """Feed the engine until the feed ends or :meth:`request_stop` is called.

        A venue that answers over the network (it has a ``reports_ready`` event) is pumped
        beside the feed, so fills reach the engine as they happen, not at the next bar."""
        ready = getattr(self.engine.venue, "reports_ready", None)
        tasks = [asyncio.create_task(self._guard(c), name=f"companion-{k}") for k, c in enumerate(self._companions)]
        if isinstance(ready, asyncio.Event):
            tasks.append(asyncio.create_task(self._pump_venue(ready), name="venue-pump"))
        try:
            await self._run_feed()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _guard(self, companion: Callable[[], Awaitable[None]]) -> None:
        try:
            await companion()
        except asyncio.CancelledError:
            raise
        except Exception:  # a failed companion is logged; the engine keeps its exits working
            log.exception("a background task of the engine failed")

    async def _pump_venue(self, ready: asyncio.Event) -> None:
        while True:
            await ready.wait()
            try:
                self.engine.poll()
            except Exception:  # a bad report must not stop the pump
                log.exception("applying venue reports failed")
                ready.clear()

    async def _run_feed(self) -> None:
        feed = self._feed
        if feed is None:
            await self._stopped.wait()
            return
        stop_wait = asyncio.ensure_future(self._stopped.wait())
        try:
            while not self._stopped.is_set():
                next_bar = asyncio.ensure_future(anext(feed))
                done, _ = await asyncio.wait({next_bar, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
                if next_bar not in done:
                    next_bar.cancel()
                    with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                        await next_bar
                    break
                try:
                    bar = next_bar.result()
                except StopAsyncIteration:
                    break
                try:
                    self.engine.on_bar(bar)
                except Exception:  # one bad bar must not end the session
                    log.exception("engine failed on a bar of %s", bar.market)
        finally:
            stop_wait.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stop_wait
            aclose = getattr(feed, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    def request_stop(self) -> None:
        self._stopped.set()

    async def shutdown(self) -> None:
        """Stop cleanly: cancel open orders, let the owner store the state."""
        self.request_stop()
        self.engine.cancel_all_orders()
        if self._on_stop is not None:
            result = self._on_stop(self.engine)
            if asyncio.iscoroutine(result):
                await result

    # --- commands ------------------------------------------------------------------------------

    def pause(self, reason: str = "paused by the trader") -> None:
        self.engine.pause(reason)

    def resume(self, reason: str = "resumed by the trader") -> None:
        self.engine.resume(reason)

    def kill(self, *, flatten: bool = False) -> None:
        self.engine.kill(flatten=flatten)

    def reduce_only(self, reason: str = "reduce-only set by the trader") -> None:
        self.engine.reduce_only(reason)

    def flatten(self) -> None:
        """Sell every position at market without halting the engine."""
        self.engine.flatten()

    def set_strategy_enabled(self, name: str, enabled: bool) -> None:
        self.engine.set_strategy_enabled(name, enabled)

    def set_params(self, name: str, changes: dict[str, Any]) -> None:
        """Change some parameters of a running strategy (validated; ValueError names the bad key)."""
        current = self.engine.strategies.get(name)
        if current is None:
            raise KeyError(f"unknown strategy {name!r}; running: {', '.join(self.engine.strategies)}")
        merged = {**current.params.model_dump(), **changes}
        if merged.get("timeframe") != current.params.model_dump().get("timeframe"):
            raise ValueError("the timeframe of a running strategy cannot change; restart with a new config")
        self.engine.replace_strategy(registry.create(name, merged))

    # --- read model ----------------------------------------------------------------------------

    def snapshot(self, *, max_events: int = 50) -> EngineSnapshot:
        engine = self.engine
        now = engine.clock.now_ms()
        equity, exposure = engine.equity_and_exposure()
        positions = []
        for market, pos in engine.portfolio.positions.items():
            last = engine.mark_price(market)
            pnl = pos.unrealized(last) if last is not None else Decimal(0)
            cost = pos.avg_price * pos.volume
            tracker = pos.tracker
            positions.append(
                PositionView(
                    market,
                    pos.strategy,
                    pos.volume,
                    pos.avg_price,
                    last,
                    pnl,
                    float(pnl / cost * 100) if cost else 0.0,
                    tracker.stop_level if tracker is not None and tracker.stop_level > 0 else None,
                    tracker.next_target if tracker is not None else None,
                    tracker.trailing_level if tracker is not None else None,
                )
            )
        orders = []
        for o in engine.om.open_orders():
            if o.volume:
                filled = float(o.executed_volume / o.volume * 100)
            elif o.price:
                filled = float(o.executed_funds / o.price * 100)
            else:
                filled = 0.0
            orders.append(
                OrderView(
                    o.identifier,
                    o.market,
                    o.side.value,
                    o.ord_type.value,
                    o.price,
                    o.volume,
                    filled,
                    o.state.value,
                    max(0.0, (now - o.created_ms) / 1000),
                    o.purpose,
                )
            )
        guard = engine.risk
        limits = guard.limits
        limit_krw: Decimal | None = None
        if limits.daily_loss_pct is not None and guard.day_start_equity > 0:
            limit_krw = guard.day_start_equity * Decimal(repr(limits.daily_loss_pct)) / 100
        if limits.daily_loss_krw is not None:
            limit_krw = limits.daily_loss_krw if limit_krw is None else min(limit_krw, limits.daily_loss_krw)
        day_pnl = guard.day_pnl(equity) if guard.day_start_ms >= 0 else Decimal(0)
        used = float(-day_pnl / limit_krw * 100) if limit_krw and day_pnl < 0 else 0.0
        risk = RiskView(
            guard.state,
            guard.state_reason,
            day_pnl,
            limit_krw,
            used,
            exposure,
            float(exposure / equity * 100) if equity > 0 else 0.0,
            len(engine.portfolio.positions),
            limits.max_open_positions,
            guard.consecutive_losses,
            guard.cooldown_until_ms,
        )
        strategies = tuple(
            StrategyView(
                name,
                engine.enabled[name],
                tuple(m for m, names in engine.assignments.items() if name in names),
                s.params.model_dump(mode="json"),
            )
            for name, s in engine.strategies.items()
        )
        recent = list(engine.recent_events)[-max_events:]
        events = tuple(EventView(e.ts_ms, int(e.severity), type(e).__name__, e.describe()) for e in recent)
        return EngineSnapshot(
            now,
            self.mode,
            self.exchange,
            guard.state,
            equity,
            engine.portfolio.cash,
            engine.portfolio.realized_pnl,
            engine.portfolio.fees_paid,
            tuple(positions),
            tuple(orders),
            risk,
            strategies,
            events,
            engine.bars_processed,
            len(engine.portfolio.closed),
        )
