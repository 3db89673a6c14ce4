"""Clients of the control API: :class:`ControlClient` (blocking, for ``tradetui ctl``) and
:class:`AsyncControlClient` (for :class:`~tradetui.control.remote_handle.RemoteHandle`).

Both read the token file once, at construction. "Nothing is running" (no token file, a stale
pid, a refused connection) raises :class:`EngineNotRunning`; a refused or failed request raises
:class:`ControlError` with the HTTP status and the server's message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx

from tradetui.control.endpoint import ControlError, Endpoint, EngineNotRunning, read_endpoint
from tradetui.control.wire import chart_from_dict, events_from_list, markets_from_list, snapshot_from_dict
from tradetui.control.wire_history import (
    Scores,
    backtest_run_from_dict,
    backtest_summaries_from_list,
    closed_trades_from_list,
    history_orders_from_list,
    scores_from_dict,
)
from tradetui.core.market import Timeframe
from tradetui.core.orders import Order
from tradetui.core.runs import BacktestRun, BacktestRunSummary
from tradetui.core.trades import ClosedTrade
from tradetui.engine.read_model import ChartData, EngineSnapshot, EventView, MarketView

__all__ = ["AsyncControlClient", "ControlClient", "ControlError", "EngineNotRunning", "MarketList"]

T = TypeVar("T")
DEFAULT_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class MarketList:
    timeframe: str | None
    rows: tuple[MarketView, ...]


@dataclass(frozen=True, slots=True)
class _Call(Generic[T]):
    method: str
    path: str
    decode: Callable[[Any], T]
    body: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    missing_ok: bool = False
    """A 404 decodes as ``None`` (a chart of a market the engine does not trade)."""
    text: bool = False


def _json(data: Any) -> Any:
    return data


def _markets(data: Any) -> MarketList:
    if not isinstance(data, dict):
        raise ValueError("markets: expected an object")
    timeframe = data.get("timeframe")
    return MarketList(None if timeframe is None else str(timeframe), markets_from_list(data.get("markets")))


def _events(data: Any) -> tuple[EventView, ...]:
    if not isinstance(data, dict):
        raise ValueError("events: expected an object")
    return events_from_list(data.get("events"))


def _member(data: Any, key: str, what: str) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{what}: expected an object")
    if key not in data:
        raise ValueError(f"{what}: missing {key!r}")
    return data[key]


def _risk(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError("risk: expected an object")
    return data


def _trades(data: Any) -> list[ClosedTrade]:
    return list(closed_trades_from_list(_member(data, "trades", "trades")))


def _orders(data: Any) -> list[Order]:
    return list(history_orders_from_list(_member(data, "orders", "orders")))


def _backtests(data: Any) -> list[BacktestRunSummary]:
    return list(backtest_summaries_from_list(_member(data, "runs", "backtest runs")))


def _scores(data: Any) -> Scores:
    return scores_from_dict(_member(data, "scores", "scores"))


def _stored(data: Any) -> bool:
    stored = _member(data, "stored", "config history")
    if not isinstance(stored, bool):
        raise ValueError(f"config history: 'stored' must be true or false, got {stored!r}")
    return stored


def _reason(reason: str | None) -> dict[str, Any]:
    return {} if reason is None else {"reason": reason}


class _Api:
    """The calls, shared by both clients (each only sends them)."""

    @staticmethod
    def health() -> _Call[dict[str, Any]]:
        return _Call("GET", "/health", _json)

    @staticmethod
    def status(events: int = 50) -> _Call[EngineSnapshot]:
        return _Call("GET", "/status", snapshot_from_dict, params={"events": str(events)})

    @staticmethod
    def status_dict(events: int = 50) -> _Call[dict[str, Any]]:
        return _Call("GET", "/status", _json, params={"events": str(events)})

    @staticmethod
    def metrics() -> _Call[str]:
        return _Call("GET", "/metrics", str, text=True)

    @staticmethod
    def markets() -> _Call[MarketList]:
        return _Call("GET", "/markets", _markets)

    @staticmethod
    def chart(market: str, bars: int, timeframe: Timeframe | None) -> _Call[ChartData]:
        params = {"bars": str(bars)} if timeframe is None else {"bars": str(bars), "timeframe": timeframe.value}
        return _Call("GET", f"/chart/{market}", chart_from_dict, params=params, missing_ok=True)

    @staticmethod
    def events(after_ms: int, limit: int) -> _Call[tuple[EventView, ...]]:
        return _Call("GET", "/events", _events, params={"after": str(after_ms), "limit": str(limit)})

    @staticmethod
    def risk() -> _Call[dict[str, Any]]:
        return _Call("GET", "/risk", _risk)

    @staticmethod
    def closed_trades(limit: int) -> _Call[list[ClosedTrade]]:
        return _Call("GET", "/history/trades", _trades, params={"limit": str(limit)})

    @staticmethod
    def orders(limit: int) -> _Call[list[Order]]:
        return _Call("GET", "/history/orders", _orders, params={"limit": str(limit)})

    @staticmethod
    def backtest_runs(limit: int) -> _Call[list[BacktestRunSummary]]:
        return _Call("GET", "/history/backtests", _backtests, params={"limit": str(limit)})

    @staticmethod
    def backtest_run(run_id: int) -> _Call[BacktestRun]:
        return _Call("GET", f"/history/backtests/{run_id}", backtest_run_from_dict, missing_ok=True)

    @staticmethod
    def scores(bars: int) -> _Call[Scores]:
        return _Call("GET", "/scores", _scores, params={"bars": str(bars)})

    @staticmethod
    def save_config_change(text: str, note: str) -> _Call[bool]:
        return _Call("POST", "/config-history", _stored, body={"text": text, "note": note})

    @staticmethod
    def command(path: str, body: dict[str, Any] | None = None) -> _Call[EngineSnapshot]:
        return _Call("POST", path, snapshot_from_dict, body=body or {})

    @staticmethod
    def set_risk(changes: dict[str, Any], note: str | None) -> _Call[EngineSnapshot]:
        body: dict[str, Any] = {"risk": changes}
        if note is not None:
            body["note"] = note
        return _Api.command("/risk", body)


def _client_args(endpoint: Endpoint, timeout_s: float) -> dict[str, Any]:
    return {
        "base_url": endpoint.url,
        "headers": {"Authorization": f"Bearer {endpoint.token}", "Accept": "application/json"},
        "timeout": httpx.Timeout(timeout_s, connect=min(timeout_s, 2.0)),
        "trust_env": False,  # loopback only: never through a proxy
    }


def _decode(call: _Call[T], response: httpx.Response) -> T | None:
    if response.status_code == 404 and call.missing_ok:
        return None
    if response.status_code >= 400:
        try:
            message = str(response.json().get("error", response.text))
        except (ValueError, AttributeError):
            message = response.text.strip() or response.reason_phrase
        raise ControlError(message, status=response.status_code)
    try:
        return call.decode(response.text if call.text else response.json())
    except (ValueError, KeyError, TypeError) as exc:
        raise ControlError(f"unexpected answer from the engine to {call.method} {call.path}: {exc}") from None


def _transport_error(endpoint: Endpoint, exc: httpx.TransportError) -> ControlError:
    where = endpoint.describe()
    if isinstance(exc, httpx.ConnectError):
        return EngineNotRunning(f"no running engine: nothing answers at {where} (pid {endpoint.pid})")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return ControlError(f"the engine at {where} closed the connection")
    if isinstance(exc, httpx.TimeoutException):
        return ControlError(f"the engine at {where} did not answer in time")
    return ControlError(f"talking to the engine at {where} failed: {type(exc).__name__}")


class ControlClient:
    """Blocking client; ``with ControlClient(token_file) as client: client.pause()``."""

    def __init__(self, token_file: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.endpoint = read_endpoint(token_file)
        transport = httpx.HTTPTransport(uds=self.endpoint.unix_socket) if self.endpoint.unix_socket else None
        self._http = httpx.Client(transport=transport, **_client_args(self.endpoint, timeout_s))

    def __enter__(self) -> ControlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: _Call[T]) -> T | None:
        try:
            response = self._http.request(call.method, call.path, params=call.params, json=call.body)
        except httpx.TransportError as exc:
            raise _transport_error(self.endpoint, exc) from None
        return _decode(call, response)

    def _must(self, call: _Call[T]) -> T:
        result = self._send(call)
        assert result is not None
        return result

    def health(self) -> dict[str, Any]:
        return self._must(_Api.health())

    def status(self, events: int = 50) -> EngineSnapshot:
        return self._must(_Api.status(events))

    def status_dict(self, events: int = 50) -> dict[str, Any]:
        return self._must(_Api.status_dict(events))

    def metrics(self) -> str:
        return self._must(_Api.metrics())

    def markets(self) -> MarketList:
        return self._must(_Api.markets())

    def chart(self, market: str, bars: int = 120, timeframe: Timeframe | None = None) -> ChartData | None:
        return self._send(_Api.chart(market, bars, timeframe))

    def events(self, after_ms: int = -1, limit: int = 200) -> tuple[EventView, ...]:
        return self._must(_Api.events(after_ms, limit))

    def pause(self, reason: str | None = None) -> EngineSnapshot:
        return self._must(_Api.command("/pause", _reason(reason)))

    def resume(self, reason: str | None = None) -> EngineSnapshot:
        return self._must(_Api.command("/resume", _reason(reason)))

    def reduce_only(self, reason: str | None = None) -> EngineSnapshot:
        return self._must(_Api.command("/reduce-only", _reason(reason)))

    def kill(self, *, flatten: bool = False) -> EngineSnapshot:
        return self._must(_Api.command("/kill", {"flatten": flatten}))

    def reset(self) -> EngineSnapshot:
        """Lift the kill switch (409 when the engine is not halted)."""
        return self._must(_Api.command("/reset"))

    def flatten(self) -> EngineSnapshot:
        return self._must(_Api.command("/flatten"))

    def set_strategy_enabled(self, name: str, enabled: bool) -> EngineSnapshot:
        return self._must(_Api.command(f"/strategies/{name}", {"enabled": enabled}))

    def set_params(self, name: str, changes: dict[str, Any]) -> EngineSnapshot:
        return self._must(_Api.command(f"/strategies/{name}/params", changes))

    def risk(self) -> dict[str, Any]:
        """The risk settings as ``[risk]`` config fields (KRW amounts as strings)."""
        return self._must(_Api.risk())

    def set_risk(self, changes: dict[str, Any], note: str | None = None) -> EngineSnapshot:
        """Change some ``[risk]`` fields (the others keep their value); ControlError names a bad one."""
        return self._must(_Api.set_risk(changes, note))

    def save_config_change(self, text: str, note: str) -> bool:
        return self._must(_Api.save_config_change(text, note))

    def closed_trades(self, limit: int = 500) -> list[ClosedTrade]:
        return self._must(_Api.closed_trades(limit))

    def orders(self, limit: int = 500) -> list[Order]:
        return self._must(_Api.orders(limit))

    def backtest_runs(self, limit: int = 200) -> list[BacktestRunSummary]:
        return self._must(_Api.backtest_runs(limit))

    def backtest_run(self, run_id: int) -> BacktestRun | None:
        return self._send(_Api.backtest_run(run_id))

    def scores(self, bars: int = 30) -> Scores:
        return self._must(_Api.scores(bars))


class AsyncControlClient:
    """The same calls for an event loop; ``async with AsyncControlClient(token_file) as client:``."""

    def __init__(self, token_file: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.endpoint = read_endpoint(token_file)
        transport = httpx.AsyncHTTPTransport(uds=self.endpoint.unix_socket) if self.endpoint.unix_socket else None
        self._http = httpx.AsyncClient(transport=transport, **_client_args(self.endpoint, timeout_s))

    async def __aenter__(self) -> AsyncControlClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: _Call[T]) -> T | None:
        try:
            response = await self._http.request(call.method, call.path, params=call.params, json=call.body)
        except httpx.TransportError as exc:
            raise _transport_error(self.endpoint, exc) from None
        return _decode(call, response)

    async def _must(self, call: _Call[T]) -> T:
        result = await self._send(call)
        assert result is not None
        return result

    async def health(self) -> dict[str, Any]:
        return await self._must(_Api.health())

    async def status(self, events: int = 50) -> EngineSnapshot:
        return await self._must(_Api.status(events))

    async def metrics(self) -> str:
        return await self._must(_Api.metrics())

    async def markets(self) -> MarketList:
        return await self._must(_Api.markets())

    async def chart(self, market: str, bars: int = 120, timeframe: Timeframe | None = None) -> ChartData | None:
        return await self._send(_Api.chart(market, bars, timeframe))

    async def events(self, after_ms: int = -1, limit: int = 200) -> tuple[EventView, ...]:
        return await self._must(_Api.events(after_ms, limit))

    async def pause(self, reason: str | None = None) -> EngineSnapshot:
        return await self._must(_Api.command("/pause", _reason(reason)))

    async def resume(self, reason: str | None = None) -> EngineSnapshot:
        return await self._must(_Api.command("/resume", _reason(reason)))

    async def reduce_only(self, reason: str | None = None) -> EngineSnapshot:
        return await self._must(_Api.command("/reduce-only", _reason(reason)))

    async def kill(self, *, flatten: bool = False) -> EngineSnapshot:
        return await self._must(_Api.command("/kill", {"flatten": flatten}))

    async def reset(self) -> EngineSnapshot:
        """Lift the kill switch (409 when the engine is not halted)."""
        return await self._must(_Api.command("/reset"))

    async def flatten(self) -> EngineSnapshot:
        return await self._must(_Api.command("/flatten"))

    async def set_strategy_enabled(self, name: str, enabled: bool) -> EngineSnapshot:
        return await self._must(_Api.command(f"/strategies/{name}", {"enabled": enabled}))

    async def set_params(self, name: str, changes: dict[str, Any]) -> EngineSnapshot:
        return await self._must(_Api.command(f"/strategies/{name}/params", changes))

    async def risk(self) -> dict[str, Any]:
        """The risk settings as ``[risk]`` config fields (KRW amounts as strings)."""
        return await self._must(_Api.risk())

    async def set_risk(self, changes: dict[str, Any], note: str | None = None) -> EngineSnapshot:
        """Change some ``[risk]`` fields (the others keep their value); ControlError names a bad one."""
        return await self._must(_Api.set_risk(changes, note))

    async def save_config_change(self, text: str, note: str) -> bool:
        """Record a config version in the engine's config_history; False when it has no database."""
        return await self._must(_Api.save_config_change(text, note))

    async def closed_trades(self, limit: int = 500) -> list[ClosedTrade]:
        """Closed trades of the engine's profile (earlier runs' too), the newest first."""
        return await self._must(_Api.closed_trades(limit))

    async def orders(self, limit: int = 500) -> list[Order]:
        """Past and open orders, the newest first."""
        return await self._must(_Api.orders(limit))

    async def backtest_runs(self, limit: int = 200) -> list[BacktestRunSummary]:
        """Stored backtest runs, the newest first."""
        return await self._must(_Api.backtest_runs(limit))

    async def backtest_run(self, run_id: int) -> BacktestRun | None:
        """One stored run with its trades and (thinned) equity curve; None when there is no such run."""
        return await self._send(_Api.backtest_run(run_id))

    async def scores(self, bars: int = 30) -> Scores:
        return await self._must(_Api.scores(bars))
