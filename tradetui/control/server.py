"""The control API server: an :class:`EngineHandle` over HTTP, on loopback or a Unix socket only.

A random bearer token is made at start and written, with the address and the pid, to the token
file (mode 0600, see :mod:`tradetui.control.endpoint`); the file is removed on stop. Every request
needs ``Authorization: Bearer <token>``.

=======================================  ==========================================================
``GET /health``                          ``{"status": "ok", "state", "mode", "exchange", "pid"}``
``GET /status[?events=N]``               the snapshot (:func:`tradetui.control.wire.snapshot_to_dict`)
``GET /metrics``                         Prometheus text format
``GET /markets``                         ``{"timeframe", "markets": [...]}`` (watchlist rows)
``GET /chart/{market}?bars=N``           candles, fills, stop/target, the book and the overlays (the
``[&timeframe=TF]``                      EMA line, the strategies' levels) of one market; in TF
                                         candles (e.g. 15m), 400 unless the engine's or a multiple
``GET /events?after=TS_MS[&limit=N]``    ``{"events": [...]}``, newer than ``after``, oldest first
``POST /pause`` / ``/resume``            optional ``{"reason": str}``; 409 for ``/resume`` when HALTED
``POST /reset``                          lift the kill switch (HALTED → RUNNING); 409 when not halted
``POST /reduce-only``                    optional ``{"reason": str}``
``POST /kill``                           ``{"flatten": bool}`` (default false)
``POST /flatten``                        sell every position at market, keep running
``POST /strategies/{name}``              ``{"enabled": bool}``; 404 for an unknown name
``POST /strategies/{name}/params``       ``{"param": value, ...}``; 400 with the reason when invalid
``GET /risk``                            the risk settings as ``[risk]`` config fields (KRW as strings)
``POST /risk``                           ``{"risk": {field: value, ...}, "note": str}``; fields left
                                         out keep their value; 400 names a bad field
``POST /config-history``                 ``{"text": str, "note": str}`` → ``{"stored": bool}``
                                         (false: no database); 413 over 32 KiB of text
``GET /history/trades?limit=N``          ``{"trades": [...]}`` closed trades of this profile (earlier
                                         runs' too), the newest first
``GET /history/orders?limit=N``          ``{"orders": [...]}`` past and open orders, the newest first
``GET /history/backtests?limit=N``       ``{"runs": [...]}`` stored backtest runs, the newest first
``GET /history/backtests/{id}``          ``{"run", "trades", "equity"}`` one stored run; 404 if unknown
``GET /scores?bars=N``                   ``{"bars": N, "scores": {strategy: {market: [score|null]}}}``
=======================================  ==========================================================

Commands answer with the new status (the same document as ``GET /status``). Errors are JSON
``{"error": "..."}`` with 400, 401, 404, 405, 408, 409, 413 or 415, never a 500 for anything a
client sends. Handlers are short calls between two bars on the engine's own loop (order history and
config history await the database), so the engine never waits for a client.

Every request passes the :class:`~tradetui.http_guard.RequestGuard` first: its head must arrive
within ``request_timeout_s`` of its first byte and its body within as long again (408 and closed
otherwise), and the body is read before a handler runs. A command body must be a strict JSON
object (UTF-8, no NaN, no duplicate keys, bounded nesting; see
:func:`~tradetui.http_guard.json_document`) with only the fields the command takes.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from tradetui.control.endpoint import (
    ControlError,
    Endpoint,
    EngineNotRunning,
    read_endpoint,
    remove_endpoint,
    token_file_path,
    write_endpoint,
)
from tradetui.control.metrics import CONTENT_TYPE, render_metrics
from tradetui.control.wire import chart_to_dict, event_to_dict, markets_to_list, snapshot_to_dict
from tradetui.control.wire_history import (
    backtest_run_to_dict,
    backtest_summary_to_dict,
    closed_trade_to_dict,
    history_order_to_dict,
    scores_to_dict,
)
from tradetui.core.events import EngineState, Event
from tradetui.core.market import Timeframe
from tradetui.engine.handle import EngineHandle
from tradetui.errors import RequestError
from tradetui.http_guard import DEFAULT_REQUEST_TIMEOUT_S, GuardedSite, RequestGuard, json_document
from tradetui.risk.limits import RESUME_REFUSED

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_EVENTS = 2000
MAX_CHART_BARS = 5000
MAX_HISTORY = 5000
MAX_RUN_POINTS = 5000
"""Points of a stored run's equity curve sent over the wire (plots are a terminal wide)."""
MAX_SCORE_BARS = 1000
MAX_CONFIG_TEXT_BYTES = 32 * 1024
MAX_NOTE_CHARS = 1000
MAX_ERROR_CHARS = 300
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,18}")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def require_loopback(host: str) -> str:
    """The host to bind, or ``ValueError`` when it is not a loopback address."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the control API binds loopback only (127.0.0.1 or ::1); {host!r} is not an IP") from None
    if not address.is_loopback:
        raise ValueError(f"the control API binds loopback only (127.0.0.1 or ::1), not {host}")
    return host


class _ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _clip(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """One line of at most ``limit`` characters: an error never echoes a whole hostile input."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _error_document(status: int, message: str) -> bytes:
    return json.dumps({"error": _clip(message)}).encode()


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": _clip(message)}, status=status)


class ControlServer:
    """Serve ``handle`` until :meth:`stop`; ``async with ControlServer(...) as server:`` does both."""

    def __init__(
        self,
        handle: EngineHandle,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        unix_socket: Path | None = None,
        token_file: Path,
        request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
    ) -> None:
        self.handle = handle
        self.unix_socket = unix_socket
        self.host = require_loopback(host) if unix_socket is None else None
        self.port = port
        self.token_file = token_file
        self.token = ""
        self.endpoint: Endpoint | None = None
        self._runner: web.AppRunner | None = None
        self._events: Counter[str] = Counter()
        self._guard = RequestGuard(_error_document, timeout_s=request_timeout_s)

    # --- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> ControlServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self.unix_socket is not None:
            return "http://localhost"
        host = f"[{self.host}]" if self.host is not None and ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        if self._runner is not None:
            raise RuntimeError("the control server is already running")
        self.token = secrets.token_urlsafe(32)
        runner = web.AppRunner(self._build_app(), access_log=None, handle_signals=False, **self._guard.runner_options())
        await runner.setup()
        try:
            if self.unix_socket is not None:
                self.unix_socket.parent.mkdir(parents=True, exist_ok=True)
                if self.unix_socket.is_socket():  # left over by a process that died
                    self.unix_socket.unlink()
                site = GuardedSite(runner, self._guard, path=self.unix_socket)
                await site.start()
                os.chmod(self.unix_socket, 0o600)
            else:
                assert self.host is not None
                site = GuardedSite(runner, self._guard, host=self.host, port=self.port)
                await site.start()
                self.port = site.port
            self.endpoint = Endpoint(
                pid=os.getpid(),
                url=self.url,
                host=self.host,
                port=self.port if self.unix_socket is None else None,
                unix_socket=None if self.unix_socket is None else str(self.unix_socket),
                token=self.token,
                started_ms=int(time.time() * 1000),
            )
            write_endpoint(self.token_file, self.endpoint)
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.handle.listen(self._count_events)

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self.handle.unlisten(self._count_events)
        remove_endpoint(self.token_file, self.token)
        await runner.cleanup()
        if self.unix_socket is not None:
            with contextlib.suppress(FileNotFoundError):
                self.unix_socket.unlink()

    def routes(self) -> list[tuple[str, str]]:
        """``(method, path template)`` of every route, e.g. ``("POST", "/strategies/{name}")``."""
        app = self._runner.app if self._runner is not None else self._build_app()
        return [(r.method, r.resource.canonical) for r in app.router.routes() if r.resource is not None]

    def _count_events(self, events: Sequence[Event]) -> None:
        for event in events:
            self._events[event.severity.name.lower()] += 1

    # --- app -----------------------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self._guard.middleware, self._errors, self._auth], client_max_size=MAX_BODY_BYTES
        )
        app.add_routes(
            [
                web.get("/health", self._health),
                web.get("/status", self._status),
                web.get("/metrics", self._metrics),
                web.get("/markets", self._markets),
                web.get("/chart/{market}", self._chart),
                web.get("/events", self._event_list),
                web.post("/pause", self._pause),
                web.post("/resume", self._resume),
                web.post("/reduce-only", self._reduce_only),
                web.post("/kill", self._kill),
                web.post("/reset", self._reset),
                web.post("/flatten", self._flatten),
                web.post("/strategies/{name}", self._strategy_enabled),
                web.post("/strategies/{name}/params", self._strategy_params),
                web.get("/risk", self._risk),
                web.post("/risk", self._set_risk),
                web.post("/config-history", self._config_history),
                web.get("/history/trades", self._trades),
                web.get("/history/orders", self._orders),
                web.get("/history/backtests", self._backtests),
                web.get("/history/backtests/{run_id}", self._backtest),
                web.get("/scores", self._scores),
            ]
        )
        return app

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except _ApiError as exc:
            return _error(exc.status, exc.message)
        except RequestError as exc:
            return _error(exc.status, str(exc))
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _error(exc.status, exc.reason)
        except Exception:
            log.exception("control API: %s %s failed", request.method, request.path)
            return _error(500, "internal error (see the engine's log)")

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        expected = self.token.encode()
        # header bytes that are not UTF-8 arrive as lone surrogates: compare them as the bytes they were
        offered = presented.strip().encode("utf-8", "surrogateescape")
        if scheme.lower() != "bearer" or not hmac.compare_digest(offered, expected):
            response = _error(401, "missing or wrong bearer token (see the token file)")
            response.headers["WWW-Authenticate"] = 'Bearer realm="tradetui"'
            return response
        return await handler(request)

    # --- helpers -------------------------------------------------------------------------------

    async def _body(self, request: web.Request, fields: Collection[str] | None = None) -> dict[str, Any]:
        """The request's JSON object ({} without a body). ``fields``: the only keys it may have."""
        raw = await request.read()  # already read, within the deadline, by the guard
        if not raw:
            return {}
        data = json_document(raw, charset=request.charset or None)
        if not isinstance(data, dict):
            raise _ApiError(400, f"the body must be a JSON object, not {type(data).__name__}")
        if fields is not None:
            unknown = sorted(set(data) - set(fields))
            if unknown:
                takes = ", ".join(repr(f) for f in fields) if fields else "no fields"
                raise _ApiError(400, f"unknown field {unknown[0]!r} for {request.path}; it takes {takes}")
        return data

    @staticmethod
    def _int_query(request: web.Request, key: str, default: int, low: int, high: int) -> int:
        text = request.query.get(key)
        if text is None:
            return default
        if not _WHOLE_NUMBER.fullmatch(text):
            raise _ApiError(400, f"{key} must be a whole number (ASCII digits), not {_clip(repr(text), 40)}")
        value = int(text)
        if not low <= value <= high:
            raise _ApiError(400, f"{key} must be between {low} and {high}")
        return value

    @staticmethod
    def _flag(body: dict[str, Any], key: str, default: bool | None) -> bool:
        value = body.get(key, default)
        if not isinstance(value, bool):
            raise _ApiError(400, f"{key!r} must be true or false")
        return value

    @staticmethod
    def _reason(body: dict[str, Any], default: str) -> str:
        reason = body.get("reason", default)
        if not isinstance(reason, str) or not reason.strip():
            raise _ApiError(400, "'reason' must be a non-empty string")
        return reason[:200]

    @staticmethod
    def _note(body: dict[str, Any], default: str) -> str:
        note = body.get("note", default)
        if not isinstance(note, str):
            raise _ApiError(400, "'note' must be a string")
        note = note.encode(errors="replace").decode()  # no lone surrogates in the event log
        return " ".join(note.split())[:MAX_NOTE_CHARS] or default

    def _status_response(self) -> web.Response:
        return web.json_response(snapshot_to_dict(self.handle.snapshot()))

    # --- reads ---------------------------------------------------------------------------------

    async def _health(self, request: web.Request) -> web.Response:
        snap = self.handle.snapshot(max_events=1)
        return web.json_response(
            {
                "status": "ok",
                "state": snap.state.value,
                "mode": self.handle.mode,
                "exchange": self.handle.exchange,
                "pid": os.getpid(),
            }
        )

    async def _status(self, request: web.Request) -> web.Response:
        events = self._int_query(request, "events", 50, 1, MAX_EVENTS)
        return web.json_response(snapshot_to_dict(self.handle.snapshot(max_events=events)))

    async def _metrics(self, request: web.Request) -> web.Response:
        text = render_metrics(self.handle.snapshot(max_events=1), events_by_severity=self._events)
        return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE})

    async def _markets(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"timeframe": self.handle.timeframe(), "markets": markets_to_list(self.handle.markets())}
        )

    async def _chart(self, request: web.Request) -> web.Response:
        market = request.match_info["market"]
        bars = self._int_query(request, "bars", 120, 1, MAX_CHART_BARS)
        text = request.query.get("timeframe")
        try:
            timeframe = None if text is None else Timeframe(text)
        except ValueError:
            known = ", ".join(t.value for t in Timeframe)
            raise _ApiError(400, f"timeframe must be one of {known}, not {text!r}") from None
        try:
            chart = self.handle.chart(market, bars, timeframe)
        except ValueError as exc:  # finer than the engine's candles, or not a whole multiple
            raise _ApiError(400, str(exc)) from None
        if chart is None:
            raise _ApiError(404, f"unknown market {market!r}; trading: {', '.join(self.handle.market_codes())}")
        return web.json_response(chart_to_dict(chart))

    async def _event_list(self, request: web.Request) -> web.Response:
        after = self._int_query(request, "after", -1, -1, 2**62)
        limit = self._int_query(request, "limit", 200, 1, MAX_EVENTS)
        events = [e for e in self.handle.snapshot(max_events=MAX_EVENTS).events if e.ts_ms > after][-limit:]
        return web.json_response({"events": [event_to_dict(e) for e in events]})

    async def _risk(self, request: web.Request) -> web.Response:
        return web.json_response(self.handle.risk_fields())

    async def _trades(self, request: web.Request) -> web.Response:
        limit = self._int_query(request, "limit", 500, 1, MAX_HISTORY)
        trades = await self.handle.trade_history(limit)
        return web.json_response({"trades": [closed_trade_to_dict(t) for t in trades[:limit]]})

    async def _orders(self, request: web.Request) -> web.Response:
        limit = self._int_query(request, "limit", 500, 1, MAX_HISTORY)
        orders = await self.handle.orders(limit)
        return web.json_response({"orders": [history_order_to_dict(o) for o in orders[:limit]]})

    async def _backtests(self, request: web.Request) -> web.Response:
        limit = self._int_query(request, "limit", 200, 1, MAX_HISTORY)
        runs = await self.handle.backtest_runs(limit)
        return web.json_response({"runs": [backtest_summary_to_dict(r) for r in runs[:limit]]})

    async def _backtest(self, request: web.Request) -> web.Response:
        text = request.match_info["run_id"]
        if not (text.isascii() and text.isdigit() and len(text) <= 18) or int(text) == 0:
            raise _ApiError(400, f"a run id is a whole number from 1 (see GET /history/backtests), not {text!r}")
        run = await self.handle.backtest_run(int(text))
        if run is None:
            raise _ApiError(404, f"no stored backtest run #{text}")
        return web.json_response(backtest_run_to_dict(run, max_points=MAX_RUN_POINTS))

    async def _scores(self, request: web.Request) -> web.Response:
        bars = self._int_query(request, "bars", 30, 1, MAX_SCORE_BARS)
        return web.json_response({"bars": bars, "scores": scores_to_dict(self.handle.scores(bars))})

    # --- commands ------------------------------------------------------------------------------

    async def _pause(self, request: web.Request) -> web.Response:
        self.handle.pause(self._reason(await self._body(request, ("reason",)), "paused through the control API"))
        return self._status_response()

    async def _resume(self, request: web.Request) -> web.Response:
        self.handle.resume(self._reason(await self._body(request, ("reason",)), "resumed through the control API"))
        if self.handle.snapshot(max_events=1).state is EngineState.HALTED:  # refused (and logged) by the engine
            raise _ApiError(409, RESUME_REFUSED)
        return self._status_response()

    async def _reset(self, request: web.Request) -> web.Response:
        await self._body(request, ())
        state = self.handle.snapshot(max_events=1).state
        if state is not EngineState.HALTED:
            raise _ApiError(409, f"nothing to reset: the engine is {state.value}, the kill switch is not on")
        self.handle.reset()
        return self._status_response()

    async def _reduce_only(self, request: web.Request) -> web.Response:
        body = await self._body(request, ("reason",))
        self.handle.reduce_only(self._reason(body, "reduce-only set through the control API"))
        return self._status_response()

    async def _kill(self, request: web.Request) -> web.Response:
        flatten = self._flag(await self._body(request, ("flatten",)), "flatten", False)
        self.handle.kill(flatten=flatten)
        return self._status_response()

    async def _flatten(self, request: web.Request) -> web.Response:
        await self._body(request, ())
        self.handle.flatten()
        return self._status_response()

    async def _strategy_enabled(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        enabled = self._flag(await self._body(request, ("enabled",)), "enabled", None)
        try:
            self.handle.set_strategy_enabled(name, enabled)
        except KeyError as exc:
            raise _ApiError(404, str(exc.args[0]) if exc.args else f"unknown strategy {name!r}") from None
        return self._status_response()

    async def _strategy_params(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        changes = await self._body(request)
        try:
            self.handle.set_params(name, changes)
        except KeyError as exc:
            raise _ApiError(404, str(exc.args[0]) if exc.args else f"unknown strategy {name!r}") from None
        except ValueError as exc:
            raise _ApiError(400, str(exc)) from None
        return self._status_response()

    async def _set_risk(self, request: web.Request) -> web.Response:
        body = await self._body(request, ("risk", "note"))
        changes = body.get("risk")
        if not isinstance(changes, dict):
            raise _ApiError(400, "'risk' must be an object of [risk] fields, e.g. {\"max_open_positions\": 2}")
        note = self._note(body, "risk settings changed through the control API")
        try:
            change = self.handle.check_risk({**self.handle.risk_fields(), **changes})
        except ValueError as exc:
            raise _ApiError(400, "invalid risk settings: " + " ".join(str(exc).split())) from None
        self.handle.set_risk(change.sizing, change.limits, note=note)
        return self._status_response()

    async def _config_history(self, request: web.Request) -> web.Response:
        body = await self._body(request, ("text", "note"))
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "'text' must be the config text (a non-empty string)")
        try:
            size = len(text.encode())
        except UnicodeEncodeError:
            raise _ApiError(400, "'text' is not valid Unicode (a lone surrogate)") from None
        if size > MAX_CONFIG_TEXT_BYTES:
            raise _ApiError(413, f"'text' is larger than {MAX_CONFIG_TEXT_BYTES // 1024} KiB")
        note = self._note(body, "changed through the control API")
        return web.json_response({"stored": await self.handle.save_config_change(text, note)})


async def start_control_server(
    handle: EngineHandle, *, data_dir: Path, request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
) -> ControlServer | None:
    """The control API of a session (headless or TUI) on 127.0.0.1, its token file in ``data_dir``.

    None (with a warning) when another live engine already owns that token file or the server
    cannot start: the engine runs on without a control API rather than not at all."""
    token_file = token_file_path(data_dir)
    try:
        other = read_endpoint(token_file)
    except (EngineNotRunning, ControlError):
        other = None  # none, stale or unreadable: ours to replace
    if other is not None and other.pid != os.getpid():
        log.warning(
            "another engine (pid %d) serves the control API from %s; this one runs without it", other.pid, token_file
        )
        return None
    server = ControlServer(handle, token_file=token_file, request_timeout_s=request_timeout_s)
    try:
        await server.start()
    except OSError as exc:
        log.warning("the control API could not start (%s); the engine runs without it", exc)
        return None
    log.info("control API on %s (token file %s)", server.url, token_file)
    return server
