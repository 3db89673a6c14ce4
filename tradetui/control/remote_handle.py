"""RemoteHandle: the TUI's handle on an engine in another process (``tradetui attach``).

It has the methods the UI calls on :class:`~tradetui.engine.handle.EngineHandle`. Reads are served
from a local cache that :meth:`RemoteHandle.run` refreshes about four times a second (status,
watchlist and the chart the UI last asked for), so they return at once. Slower-moving reads ride
on the same poll only when due: the risk settings once (and again after a change was sent), the
score grid every two seconds once the UI has asked for it. The history (orders, closed trades,
stored backtest runs) and config history go to the engine directly (they are async on
``EngineHandle`` as well); a backtest the attached TUI runs is stored in the local run store.
Commands return at once too: they are validated locally where that is possible (unknown
strategy, bad parameters raise as they do on ``EngineHandle``), queued, and sent in order by
``run``; each answer replaces the cached status. :meth:`shutdown` only detaches: the remote
engine keeps running.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from tradetui.config import RiskConfig
from tradetui.control.client import AsyncControlClient, MarketList
from tradetui.control.endpoint import ControlError
from tradetui.control.wire_history import Scores
from tradetui.core.events import EngineState
from tradetui.core.market import Timeframe
from tradetui.core.orders import Order
from tradetui.core.ports import RunStore
from tradetui.core.runs import BacktestRun, BacktestRunSummary, EquityPoint
from tradetui.core.trades import ClosedTrade
from tradetui.engine.handle import RiskChange, check_risk_fields, risk_fields
from tradetui.engine.read_model import (
    ChartData,
    EngineSnapshot,
    EventView,
    LinkStatus,
    MarketView,
    check_chart_timeframe,
)
from tradetui.risk.limits import AccountLimits, reset_text
from tradetui.risk.sizing import SizingRules
from tradetui.strategies import registry

if TYPE_CHECKING:
    from tradetui.engine.handle import EngineControl, EngineHandle

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.25
DRAIN_TIMEOUT_S = 3.0
MAX_EVENTS = 2000
SCORES_REFRESH_S = 2.0
EXTRAS_RETRY_S = 2.0
"""After a failed fetch of risk settings or scores, they wait this long (the status does not)."""


@dataclass(frozen=True, slots=True)
class _Command:
    label: str
    send: Callable[[], Awaitable[EngineSnapshot]]


class RemoteHandle:
    is_remote = True

    def __init__(
        self, client: AsyncControlClient, *, poll_interval_s: float = POLL_INTERVAL_S, runs: RunStore | None = None
    ) -> None:
        """``runs``: where a backtest run made in the attached TUI is stored (the engine's data
        directory's research database, which the engine lists as well)."""
        self.client = client
        self._runs = runs
        self.poll_interval_s = poll_interval_s
        self.is_connected = False
        self.last_error: str | None = None
        self._snapshot: EngineSnapshot | None = None
        self._markets = MarketList(None, ())
        self._chart: ChartData | None = None
        self._wanted_chart: tuple[str, int, Timeframe | None] | None = None
        self._events_wanted = 50
        self._commands: asyncio.Queue[_Command] = asyncio.Queue(maxsize=100)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._running = False
        self._run_done = asyncio.Event()
        self._closed = False
        self._risk: tuple[SizingRules, AccountLimits] | None = None
        self._risk_version = 0
        """Counts local changes: a fetch that started before one must not undo it."""
        self._risk_fetched_version = -1
        self._risk_pending = 0
        self._scores: Scores = {}
        self._scores_bars: int | None = None
        self._scores_fetched: tuple[int, float] | None = None
        """(bars, monotonic time) of the last score grid."""
        self._extra_error: str | None = None
        self._extras_retry_at = 0.0

    # --- identity ------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._snapshot.mode if self._snapshot is not None else ""

    @property
    def exchange(self) -> str:
        return self._snapshot.exchange if self._snapshot is not None else ""

    # --- polling -------------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Fetch status, watchlist and the wanted chart now (raises :class:`ControlError`), then
        what else is due: risk settings, scores (their failures are logged only)."""
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
        if time.monotonic() < self._extras_retry_at:
            return
        due: list[Awaitable[None]] = []
        if self._risk_pending == 0 and self._risk_fetched_version != self._risk_version:
            due.append(self._fetch_risk())
        if self._scores_due():
            due.append(self._fetch_scores())
        if due:
            await asyncio.gather(*due)

    async def _fetch_risk(self) -> None:
        version = self._risk_version
        try:
            data = await self.client.risk()
            config = RiskConfig.model_validate(data)
        except ControlError as exc:
            self._extra_failed("risk settings", exc)
            return
        except ValidationError as exc:
            self._extra_failed("risk settings", ControlError(f"unexpected answer from the engine: {exc}"))
            return
        if version == self._risk_version and self._risk_pending == 0:  # no local change meanwhile
            self._risk = config.to_rules()
            self._risk_fetched_version = version

    def _scores_due(self) -> bool:
        if self._scores_bars is None:
            return False
        last = self._scores_fetched
        return last is None or last[0] != self._scores_bars or time.monotonic() - last[1] >= SCORES_REFRESH_S

    async def _fetch_scores(self) -> None:
        bars = self._scores_bars
        assert bars is not None
        try:
            grid = await self.client.scores(bars)
        except ControlError as exc:
            self._extra_failed("scores", exc)
            return
        self._scores_fetched = bars, time.monotonic()
        if bars == self._scores_bars:
            self._scores = grid

    def _extra_failed(self, what: str, exc: ControlError) -> None:
        message = f"{what}: {exc}"
        if self._extra_error != message:
            log.warning("control API: %s", message)
        self._extra_error = message
        self._extras_retry_at = time.monotonic() + EXTRAS_RETRY_S

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

    def reset_description(self) -> str:
        return reset_text({s.name: s.markets for s in self.snapshot().strategies if s.enabled})

    def reset(self) -> str:
        """Queued like every command; returns what the reset re-enables ('' when not halted)."""
        if self.snapshot().state is not EngineState.HALTED:
            return ""
        text = self.reset_description()
        self._queue("reset", self.client.reset)
        return text

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

    def chart(self, market: str, bars: int = 120, timeframe: Timeframe | None = None) -> ChartData | None:
        """The chart last fetched for ``market`` in ``timeframe`` (None until the next poll brings
        it). A timeframe the engine cannot show raises ValueError here, as on ``EngineHandle``,
        once the watchlist has said the engine's."""
        base = self._markets.timeframe
        if timeframe is not None and base is not None:
            check_chart_timeframe(Timeframe(base), timeframe)
        if self._wanted_chart != (market, bars, timeframe):
            self._wanted_chart = (market, bars, timeframe)
            self._wake.set()
        chart = self._chart  # until then the one before (it names its own timeframe)
        return chart if chart is not None and chart.market == market else None

    def scores(self, bars: int = 30) -> Scores:
        """The last score grid fetched (empty at first); asking starts a refresh every two seconds."""
        if self._scores_bars != bars:
            self._scores_bars = bars
            self._wake.set()
        return self._scores if self._scores_fetched is not None and self._scores_fetched[0] == bars else {}

    def risk_settings(self) -> tuple[SizingRules, AccountLimits]:
        if self._risk is None:
            detail = f" ({self._extra_error})" if self._extra_error else ""
            raise ControlError(f"the engine's risk settings have not been fetched yet{detail}; try again in a moment")
        return self._risk

    def risk_fields(self) -> dict[str, Any]:
        return risk_fields(*self.risk_settings())

    def check_risk(self, fields: Mapping[str, Any]) -> RiskChange:
        """Checked here as the engine checks them (the same rules, so the same answer)."""
        return check_risk_fields(fields)

    # --- history and settings (straight to the engine) ----------------------------------------

    async def orders(self, limit: int = 500) -> list[Order]:
        """Past and open orders, the newest first; empty (and logged) when the engine does not answer."""
        try:
            return await self.client.orders(limit)
        except ControlError as exc:
            log.warning("control API: order history: %s", exc)
            self.last_error = f"order history: {exc}"
            return []

    async def trade_history(self, limit: int = 500) -> list[ClosedTrade]:
        """Closed trades of the engine's profile, the newest first; empty (and logged) when it does not answer."""
        try:
            return await self.client.closed_trades(limit)
        except ControlError as exc:
            log.warning("control API: closed trades: %s", exc)
            self.last_error = f"closed trades: {exc}"
            return []

    async def backtest_runs(self, limit: int = 200) -> list[BacktestRunSummary]:
        """Stored backtest runs, the newest first; empty (and logged) when the engine does not answer."""
        try:
            return await self.client.backtest_runs(limit)
        except ControlError as exc:
            log.warning("control API: backtest runs: %s", exc)
            self.last_error = f"backtest runs: {exc}"
            return []

    async def backtest_run(self, run_id: int) -> BacktestRun | None:
        """One stored run (equity curve thinned for the wire); None when unknown or unreachable (logged)."""
        try:
            return await self.client.backtest_run(run_id)
        except ControlError as exc:
            log.warning("control API: backtest run #%d: %s", run_id, exc)
            self.last_error = f"backtest run #{run_id}: {exc}"
            return None

    async def save_backtest_run(
        self, summary: Mapping[str, Any], trades: Sequence[ClosedTrade], equity: Sequence[EquityPoint]
    ) -> int | None:
        """Store a run the attached TUI made in the local run store; None without one."""
        return None if self._runs is None else await self._runs.save_backtest_run(summary, trades, equity)

    async def save_config_change(self, text: str, note: str) -> bool:
        """Record a config version in the engine's config_history; False when it has no database
        or does not answer (logged)."""
        try:
            return await self.client.save_config_change(text, note)
        except ControlError as exc:
            log.error("control API: recording the config change failed: %s", exc)
            self.last_error = f"config history: {exc}"
            return False

    def set_risk(self, sizing: SizingRules, limits: AccountLimits, note: str = "risk settings changed") -> None:
        """Queued like the other commands; :meth:`risk_settings` answers the new values at once
        and the engine's own once the change has been sent."""
        values = risk_fields(sizing, limits)

        async def send() -> EngineSnapshot:
            try:
                return await self.client.set_risk(values, note)
            finally:
                self._risk_pending -= 1  # then the next poll fetches the engine's values (it may have refused)

        self._queue("risk settings", send)
        self._risk_pending += 1
        self._risk_version += 1
        self._risk = sizing, limits


async def _none() -> None:
    return None


if TYPE_CHECKING:  # mypy checks both handles against the front end's protocol
    _remote: type[EngineControl] = RemoteHandle
    _local: type[EngineControl] = EngineHandle
