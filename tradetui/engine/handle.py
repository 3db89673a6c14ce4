"""EngineHandle: the one door to a running engine for the UI, the headless runner and the
control API — commands going down, a read model and an event stream coming up.

Everything runs on one asyncio loop; commands are plain method calls between two bars, so the
engine never sees two things at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from tradetui.config import RiskConfig
from tradetui.core.clock import Clock
from tradetui.core.events import Event
from tradetui.core.market import Bar, Timeframe
from tradetui.core.orders import Order
from tradetui.core.ports import RunStore, SessionHistory
from tradetui.core.runs import BacktestRun, BacktestRunSummary, EquityPoint
from tradetui.core.trades import ClosedTrade
from tradetui.engine.engine import Engine
from tradetui.engine.read_model import (
    ChartData,
    EngineSnapshot,
    EventView,
    LinkStatus,
    MarketView,
    OrderView,
    PositionView,
    RiskView,
    StrategyView,
    build_snapshot,
    chart_data,
    market_views,
    score_grid,
)
from tradetui.risk.limits import AccountLimits
from tradetui.risk.sizing import SizingRules
from tradetui.strategies import registry

log = logging.getLogger(__name__)

__all__ = [
    "EngineControl",
    "EngineHandle",
    "EngineSnapshot",
    "EventView",
    "MarketView",
    "OrderView",
    "PositionView",
    "RiskChange",
    "RiskView",
    "StrategyView",
]


@dataclass(frozen=True, slots=True)
class RiskChange:
    """Risk settings a front end edited, checked as a config file's ``[risk]`` section is."""

    sizing: SizingRules
    limits: AccountLimits
    fields: dict[str, Any]
    """Every field of the checked section, JSON-safe (KRW amounts as strings): what goes into
    the config history."""


def check_risk_fields(fields: Mapping[str, Any]) -> RiskChange:
    """``fields`` ([risk] config fields, as :meth:`EngineControl.risk_fields` gives them, edited)
    checked like a config file; ValueError names every bad field."""
    config = RiskConfig.check(fields)
    sizing, limits = config.to_rules()
    return RiskChange(sizing, limits, config.model_dump(mode="json"))


def risk_fields(sizing: SizingRules, limits: AccountLimits) -> dict[str, Any]:
    """``sizing`` and ``limits`` as [risk] config fields (JSON-safe), what an edit starts from."""
    return RiskConfig.values(sizing, limits)


class EngineControl(Protocol):
    """What a front end (the TUI) needs of an engine: :class:`EngineHandle` in this process, or
    ``tradetui.control.remote_handle.RemoteHandle`` for an engine in another one."""

    @property
    def mode(self) -> str: ...

    @property
    def exchange(self) -> str: ...

    @property
    def is_remote(self) -> bool:
        """True when quitting the front end leaves the engine running (``tradetui attach``)."""
        ...

    async def run(self) -> None: ...

    def request_stop(self) -> None: ...

    async def shutdown(self) -> None: ...

    def pause(self, reason: str = ...) -> None: ...

    def resume(self, reason: str = ...) -> None: ...

    def kill(self, *, flatten: bool = False) -> None: ...

    def reset(self) -> str:
        """Lift the kill switch (HALTED → RUNNING); returns what it re-enabled ('' if not halted)."""
        ...

    def reset_description(self) -> str:
        """What :meth:`reset` would re-enable, for a confirmation before it is sent."""
        ...

    def reduce_only(self, reason: str = ...) -> None: ...

    def flatten(self) -> None: ...

    def set_strategy_enabled(self, name: str, enabled: bool) -> None: ...

    def set_params(self, name: str, changes: dict[str, Any]) -> None: ...

    def snapshot(self, *, max_events: int = 50) -> EngineSnapshot: ...

    def markets(self) -> tuple[MarketView, ...]: ...

    def link_status(self) -> LinkStatus: ...

    def market_codes(self) -> list[str]: ...

    def timeframe(self) -> str | None: ...

    def chart(self, market: str, bars: int = 120, timeframe: Timeframe | None = None) -> ChartData | None:
        """The last ``bars`` candles of ``market`` in ``timeframe`` (the engine's when None, else
        the same or a whole multiple of it: ValueError otherwise), with the bot's fills, stop,
        target, book and the overlays (the EMA line, then the strategies' levels). None for a
        market the engine does not trade."""
        ...

    def scores(self, bars: int = 30) -> dict[str, dict[str, tuple[float, ...]]]:
        """Each strategy's score per market over the last ``bars`` candles (the heatmap)."""
        ...

    def risk_settings(self) -> tuple[SizingRules, AccountLimits]: ...

    def risk_fields(self) -> dict[str, Any]:
        """The risk settings as the config's ``[risk]`` fields (JSON-safe): what an edit starts from."""
        ...

    def check_risk(self, fields: Mapping[str, Any]) -> RiskChange:
        """Edited ``[risk]`` fields checked as a config file's are (ValueError names every bad
        field); the change to hand to :meth:`set_risk`. Nothing is applied."""
        ...

    def set_risk(self, sizing: SizingRules, limits: AccountLimits, note: str = ...) -> None: ...

    async def save_config_change(self, text: str, note: str) -> bool:
        """Record a config version in the session's config history; False when it cannot."""
        ...

    async def orders(self, limit: int = 500) -> list[Order]:
        """Past and open orders of this profile, the newest first."""
        ...

    async def trade_history(self, limit: int = 500) -> list[ClosedTrade]:
        """Closed trades of this profile (earlier runs and this one), the newest first."""
        ...

    async def backtest_runs(self, limit: int = 200) -> list[BacktestRunSummary]:
        """Stored backtest runs, the newest first (empty without a run store)."""
        ...

    async def backtest_run(self, run_id: int) -> BacktestRun | None: ...

    async def save_backtest_run(
        self, summary: Mapping[str, Any], trades: Sequence[ClosedTrade], equity: Sequence[EquityPoint]
    ) -> int | None:
        """Store a backtest run made by the front end; its id, or None without a run store."""
        ...


class EngineHandle:
    is_remote = False

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
        history: SessionHistory | None = None,
        runs: RunStore | None = None,
        link: Callable[[], LinkStatus] | None = None,
        time_scale: float | None = None,
    ) -> None:
        """``companions`` run beside the feed for as long as it runs (a stream, a venue's
        order polling); they are cancelled when the engine stops. ``history`` is the session's
        database (orders, closed trades, config history), ``runs`` the stored backtest runs.
        ``time_scale``: the engine lives on market time running that many times faster than the
        wall clock (the demo, a replay, paper on candle time); None when its clock is the wall clock."""
        self.engine = engine
        self.mode = mode
        self.exchange = exchange
        self._feed = feed
        self._on_stop = on_stop
        self._queue_size = queue_size
        self._subscribers: list[asyncio.Queue[Event]] = []
        self._stopped = asyncio.Event()
        self._shut_down = False
        self._running = False
        self._companions = list(companions)
        self._history = history
        self._runs = runs
        self._link = link
        self.time_scale = time_scale
        engine.listeners.append(self._fan_out)

    # --- events --------------------------------------------------------------------------------

    def listen(self, listener: Callable[[Sequence[Event]], None]) -> None:
        """Call ``listener`` with every batch of events, synchronously, as the engine raises them
        (a log, an alert router, a counter); one that raises is logged and trading goes on."""
        self.engine.listeners.append(listener)

    def emit(self, events: Sequence[Event]) -> None:
        """Put events on the engine's timeline (and before every listener), e.g. a start-up warning."""
        self.engine.emit(events)

    def unlisten(self, listener: Callable[[Sequence[Event]], None]) -> None:
        with contextlib.suppress(ValueError):
            self.engine.listeners.remove(listener)

    @property
    def clock(self) -> Clock:
        """The engine's clock: market time in a simulated or sped-up run."""
        return self.engine.clock

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

        A venue that answers over the network (``reports_ready``) is pumped beside the feed, so
        fills reach the engine as they happen, not at the next bar.

        One run at a time: a second, while the first feeds, would take bars from the same feed
        and break it (``RuntimeError`` names the mistake instead)."""
        if self._running:
            raise RuntimeError("the engine is already running: EngineHandle.run() was called twice")
        self._running = True
        try:
            await self._run_engine()
        finally:
            self._running = False

    async def _run_engine(self) -> None:
        self.engine.announce_entry_check()  # settings that deny every entry are said before the first bar
        ready = self.engine.venue.reports_ready
        tasks = [asyncio.create_task(self._guard(c), name=f"companion-{k}") for k, c in enumerate(self._companions)]
        if ready is not None:
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
                    await asyncio.wait({next_bar})  # unlike awaiting it, never swallows a cancel of run()
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
            await asyncio.wait({stop_wait})
            aclose = getattr(feed, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()

    def request_stop(self) -> None:
        self._stopped.set()

    @property
    def is_shut_down(self) -> bool:
        """True once :meth:`shutdown` has run (or is running)."""
        return self._shut_down

    async def shutdown(self) -> None:
        """Stop cleanly: cancel open orders, let the owner store the state. Only the first call
        does anything, so every door out (quit, a signal, a crashed front end) may call it."""
        if self._shut_down:
            return
        self._shut_down = True
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

    def reset(self) -> str:
        return self.engine.reset()

    def reset_description(self) -> str:
        return self.engine.reset_description()

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

    def set_risk(self, sizing: SizingRules, limits: AccountLimits, note: str = "risk settings changed") -> None:
        self.engine.set_risk(sizing=sizing, limits=limits, note=note)

    def risk_settings(self) -> tuple[SizingRules, AccountLimits]:
        return self.engine.settings.sizing, self.engine.risk.limits

    def risk_fields(self) -> dict[str, Any]:
        return risk_fields(*self.risk_settings())

    def check_risk(self, fields: Mapping[str, Any]) -> RiskChange:
        return check_risk_fields(fields)

    def link_status(self) -> LinkStatus:
        if self._link is not None:
            return self._link()
        return LinkStatus("simulated")

    def market_codes(self) -> list[str]:
        return list(self.engine.markets)

    def timeframe(self) -> str | None:
        m = next(iter(self.engine.markets.values()), None)
        return m.timeframe.value if m is not None else None

    def scores(self, bars: int = 30) -> dict[str, dict[str, tuple[float, ...]]]:
        return score_grid(self.engine, bars)

    def closed_trades(self) -> list[ClosedTrade]:
        """This run's closed trades, oldest first (:meth:`trade_history` has the stored ones too)."""
        return list(self.engine.portfolio.closed)

    async def trade_history(self, limit: int = 500) -> list[ClosedTrade]:
        """Closed trades of this profile, earlier runs' and this one's, the newest first."""
        if self._history is not None:
            return await self._history.closed_trades(limit)
        return list(reversed(self.engine.portfolio.closed))[:limit]

    async def orders(self, limit: int = 500) -> list[Order]:
        """Past and open orders, newest first (from the database when there is one)."""
        if self._history is not None:
            return await self._history.orders(limit)
        journal = getattr(self.engine.journal, "orders", {})
        return sorted(journal.values(), key=lambda o: o.created_ms, reverse=True)[:limit]

    async def save_config_change(self, text: str, note: str) -> bool:
        """Record a settings change in config_history; False when there is no database."""
        if self._history is None:
            return False
        await self._history.save_config(text, note)
        return True

    async def backtest_runs(self, limit: int = 200) -> list[BacktestRunSummary]:
        return [] if self._runs is None else await self._runs.backtest_runs(limit)

    async def backtest_run(self, run_id: int) -> BacktestRun | None:
        return None if self._runs is None else await self._runs.backtest_run(run_id)

    async def save_backtest_run(
        self, summary: Mapping[str, Any], trades: Sequence[ClosedTrade], equity: Sequence[EquityPoint]
    ) -> int | None:
        return None if self._runs is None else await self._runs.save_backtest_run(summary, trades, equity)

    def snapshot(self, *, max_events: int = 50) -> EngineSnapshot:
        return build_snapshot(
            self.engine, mode=self.mode, exchange=self.exchange, max_events=max_events, time_scale=self.time_scale
        )

    def markets(self) -> tuple[MarketView, ...]:
        return market_views(self.engine)

    def chart(self, market: str, bars: int = 120, timeframe: Timeframe | None = None) -> ChartData | None:
        return chart_data(self.engine, market, bars, timeframe)
