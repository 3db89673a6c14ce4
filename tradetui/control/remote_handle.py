"""RemoteHandle: the TUI's handle on an engine in another process (``tradetui attach``).

It has the methods the UI calls on :class:`~tradetui.engine.handle.EngineHandle`. Reads are served
from a local cache that :meth:`RemoteHandle.run` refreshes about four times a second (status,
watchlist and the chart the UI last asked for), so they return at once. Commands return at once
too: they are validated locally where that is possible (unknown strategy, bad parameters raise
as they do on ``EngineHandle``), queued, and sent in order by ``run``; each answer replaces the
cached status. :meth:`shutdown` only detaches: the remote engine keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from tradetui.control.client import AsyncControlClient, MarketList
from tradetui.control.endpoint import ControlError
from tradetui.core.orders import Order
from tradetui.core.trades import ClosedTrade
from tradetui.engine.read_model import ChartData, EngineSnapshot, EventView, LinkStatus, MarketView
from tradetui.risk.limits import AccountLimits
from tradetui.risk.sizing import SizingRules
from tradetui.strategies import registry

if TYPE_CHECKING:
    from tradetui.engine.handle import EngineControl, EngineHandle

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.25
DRAIN_TIMEOUT_S = 3.0
MAX_EVENTS = 2000


@dataclass(frozen=True, slots=True)
class _Command:
    label: str
    send: Callable[[], Awaitable[EngineSnapshot]]


class RemoteHandle:
    is_remote = True

    def __init__(self, client: AsyncControlClient, *, poll_interval_s: float = POLL_INTERVAL_S) -> None:
        self.client = client
        self.poll_interval_s = poll_interval_s
        self.is_connected = False
        self.last_error: str | None = None
        self._snapshot: EngineSnapshot | None = None
        self._markets = MarketList(None, ())
        self._chart: ChartData | None = None
        self._wanted_chart: tuple[str, int] | None = None
        self._events_wanted = 50
        self._commands: asyncio.Queue[_Command] = asyncio.Queue(maxsize=100)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._running = False
        self._run_done = asyncio.Event()
        self._closed = False

    # --- identity ------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._snapshot.mode if self._snapshot is not None else ""

    @property
    def exchange(self) -> str:
        return self._snapshot.exchange if self._snapshot is not None else ""

    # --- polling -------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Fetch status, watchlist and the wanted chart now (raises :class:`ControlError`)."""
        wanted = self._wanted_chart
        status, markets, chart = await asyncio.gather(
            self.client.status(events=self._events_wanted),
            self.client.markets(),
            self.client.chart(*wanted) if wanted is not None else _none(),
        )
        self._snapshot = status
        self._markets = markets
        if wanted == self._wanted_chart:
            self._chart = chart
        self.is_connected = True
        self.last_error = None

    async def run(self) -> None:
        """Poll until :meth:`request_stop`, sending queued commands beside; then send what is left."""
        self._running = True
        self._run_done.clear()
        sender = asyncio.create_task(self._send_commands(), name="remote-commands")
        try:
            while not self._stop.is_set():
                try:
                    await self.refresh()
                except ControlError as exc:
                    self._lost(exc)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval_s):
                        await self._wake.wait()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DRAIN_TIMEOUT_S):
                    await self._commands.join()
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            self._running = False
            self._run_done.set()

    def _lost(self, exc: ControlError) -> None:
        if self.last_error != str(exc):
            log.warning("control API: %s", exc)
        self.is_connected = False
        self.last_error = str(exc)

    async def _send_commands(self) -> None:
        while True:
            command = await self._commands.get()
            try:
                await self._send(command)
            finally:
                self._commands.task_done()

    async def _send(self, command: _Command) -> None:
        try:
            self._snapshot = await command.send()
        except ControlError as exc:
            log.error("control API: %s failed: %s", command.label, exc)
            self.last_error = f"{command.label} failed: {exc}"
        self._wake.set()

    def request_stop(self) -> None:
        """Stop polling (the remote engine is not touched)."""
        self._stop.set()
        self._wake.set()

    async def shutdown(self) -> None:
        """Detach: send the commands still queued, stop polling, close the connection.
        The remote engine keeps running."""
        self.request_stop()
        if self._running:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DRAIN_TIMEOUT_S + 1):
                    await self._run_done.wait()
        else:
            while not self._commands.empty():
                command = self._commands.get_nowait()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(DRAIN_TIMEOUT_S):
                        await self._send(command)
        if not self._closed:
            self._closed = True
            await self.client.aclose()

    async def events(self) -> AsyncIterator[EventView]:
        """Engine events as they arrive (polled); views, not the engine's event objects."""
        after = self._snapshot.events[-1].ts_ms if self._snapshot is not None and self._snapshot.events else -1
        while not self._stop.is_set():
            try:
                batch = await self.client.events(after_ms=after)
            except ControlError as exc:
                self._lost(exc)
                batch = ()
            for event in batch:
                after = max(after, event.ts_ms)
                yield event
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval_s):
                    await self._stop.wait()

    # --- commands ------------------------------------------------------------------------------

    def _queue(self, label: str, send: Callable[[], Awaitable[EngineSnapshot]]) -> None:
        try:
            self._commands.put_nowait(_Command(label, send))
        except asyncio.QueueFull:
            raise ControlError(f"{label}: too many commands waiting for the engine; is it still running?") from None

    def pause(self, reason: str = "paused by the trader (attached)") -> None:
        self._queue("pause", lambda: self.client.pause(reason))

    def resume(self, reason: str = "resumed by the trader (attached)") -> None:
        self._queue("resume", lambda: self.client.resume(reason))

    def reduce_only(self, reason: str = "reduce-only set by the trader (attached)") -> None:
        self._queue("reduce-only", lambda: self.client.reduce_only(reason))

    def kill(self, *, flatten: bool = False) -> None:
        self._queue("kill", lambda: self.client.kill(flatten=flatten))

    def flatten(self) -> None:
        self._queue("flatten", self.client.flatten)

    def _strategy_params(self, name: str) -> dict[str, Any]:
        for view in self.snapshot().strategies:
            if view.name == name:
                return dict(view.params)
        running = ", ".join(s.name for s in self.snapshot().strategies)
        raise KeyError(f"unknown strategy {name!r}; running: {running}")

    def set_strategy_enabled(self, name: str, enabled: bool) -> None:
        self._strategy_params(name)
        self._queue(
            f"strategy {name} {'on' if enabled else 'off'}", lambda: self.client.set_strategy_enabled(name, enabled)
        )

    def set_params(self, name: str, changes: dict[str, Any]) -> None:
        """Validated here as the engine would (ValueError names the bad key), then sent."""
        current = self._strategy_params(name)
        merged = {**current, **changes}
        if merged.get("timeframe") != current.get("timeframe"):
            raise ValueError("the timeframe of a running strategy cannot change; restart with a new config")
        valid = registry.create(name, merged).params.model_dump(mode="json")
        wire = {key: valid[key] for key in changes if key in valid}
        self._queue(f"parameters of {name}", lambda: self.client.set_params(name, wire))

    # --- read model (cached) -------------------------------------------------------------------

    def snapshot(self, *, max_events: int = 50) -> EngineSnapshot:
        if self._snapshot is None:
            raise RuntimeError("not attached yet: await refresh() first")
        if max_events > self._events_wanted:
            self._events_wanted = min(max_events, MAX_EVENTS)
        snap = self._snapshot
        return snap if len(snap.events) <= max_events else replace(snap, events=snap.events[-max_events:])

    def markets(self) -> tuple[MarketView, ...]:
        return self._markets.rows

    def link_status(self) -> LinkStatus:
        return LinkStatus("attached")

    def market_codes(self) -> list[str]:
        return [row.market for row in self._markets.rows]

    def timeframe(self) -> str | None:
        return self._markets.timeframe

    def chart(self, market: str, bars: int = 120) -> ChartData | None:
        if self._wanted_chart != (market, bars):
            self._wanted_chart = (market, bars)
            self._wake.set()
        chart = self._chart
        return chart if chart is not None and chart.market == market else None

    # --- not served over the control API (yet): empty, or a ControlError for risk settings --

    def scores(self, bars: int = 30) -> dict[str, dict[str, tuple[float, ...]]]:
        return {}

    def closed_trades(self) -> list[ClosedTrade]:
        return []

    async def orders(self, limit: int = 500) -> list[Order]:
        return []

    async def save_config_change(self, text: str, note: str) -> bool:
        return False

    def risk_settings(self) -> tuple[SizingRules, AccountLimits]:
        raise ControlError("risk settings are not served over the control API; change them where the engine runs")

    def set_risk(self, sizing: SizingRules, limits: AccountLimits, note: str = "risk settings changed") -> None:
        raise ControlError("risk settings are not served over the control API; change them where the engine runs")


async def _none() -> None:
    return None


if TYPE_CHECKING:  # mypy checks both handles against the front end's protocol
    _remote: type[EngineControl] = RemoteHandle
    _local: type[EngineControl] = EngineHandle
