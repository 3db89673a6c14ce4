"""The sandbox exchange served over HTTP by aiohttp, on loopback only.

Start it programmatically::

    state = SandboxState(SandboxConfig(profile="upbit"), clock=SimClock(start_ms))
    state.add_account("access", "secret", {"KRW": "10000000"})
    runner, port = await serve(state)          # http://127.0.0.1:{port}/v1/...
    ...
    await runner.cleanup()

Each request first passes the :class:`~tradetui.http_guard.RequestGuard` (head and body must each
arrive within ``request_timeout_s``; the body is read before anything else), then lets the state catch
up with the clock, counts against its rate group, (private endpoints) verifies the JWT, and runs
the handler. Errors use the exchanges' ``{"error": {"name", "message"}}`` envelope, whatever a
client sends: an unexpected failure is logged and answered as a 500 in the envelope too.

Parameters come from the query string and from the body (:func:`~tradetui.sandbox.context.read_body`):
JSON for POST; JSON or a form for GET and DELETE, as widely used clients send them. The query
hash is checked against the parameters as sent (:func:`~tradetui.sandbox.auth.hash_inputs`).

The WebSocket streams (:mod:`tradetui.sandbox.websocket`) share the port. A server task plays the
clock every ``tick_interval_ms`` of wall time, so market data flows without REST calls (with a
``SimClock`` it moves as soon as the test moves the clock).

Faults (``SandboxConfig.faults``) wrap the REST answers before anything else runs: latency, 429,
5xx, a truncated body, and for order POSTs a dropped answer after the order was placed.
``ws_drop`` closes the sockets periodically; ``restart`` needs :class:`SandboxServer`, which
stops and starts the site on the same port around the same state.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from tradetui.http_guard import GuardedSite, RequestGuard
from tradetui.sandbox import routes_private, routes_public
from tradetui.sandbox.auth import authenticate, hash_inputs, unverified_access_key
from tradetui.sandbox.context import Ctx, Endpoint, Params, read_body
from tradetui.sandbox.faults import FaultDice
from tradetui.sandbox.state import SandboxState
from tradetui.sandbox.websocket import PRIVATE_PATHS, PUBLIC_PATH, WebSocketStreams
from tradetui.sandbox.wire import ApiError

log = logging.getLogger(__name__)

STATE_KEY = web.AppKey("sandbox_state", SandboxState)
DICE_KEY = web.AppKey("sandbox_fault_dice", FaultDice)
STREAMS_KEY = web.AppKey("sandbox_streams", WebSocketStreams)
GUARD_KEY = web.AppKey("sandbox_request_guard", RequestGuard)
ORDER_POSTS = frozenset({"/v1/orders", "/v2/orders"})
RESTART_PAUSE_S = 0.2
ALL_ENDPOINTS: tuple[Endpoint, ...] = (*routes_public.ENDPOINTS, *routes_private.ENDPOINTS)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _error_response(error: ApiError, headers: dict[str, str], status: int | None = None) -> web.Response:
    merged = {**headers, **error.headers}
    return web.json_response(error.body(), status=status or error.status, headers=merged, dumps=_dumps)


def _envelope_bytes(status: int, message: str) -> bytes:
    """The guard's refusals (408, 413, 415, 400) in the exchange envelope, the status as the name."""
    return _dumps(ApiError(status, status, message).body()).encode()


def _handler(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        state.advance()
        now = state.now_ms()
        headers: dict[str, str] = {}
        try:
            bad_name: str | int = 400
            if endpoint.is_private:
                bad_name = "validation_error" if state.is_upbit else "invalid_parameter"
            raw_body = await request.read()  # already read, within the deadline, by the guard
            body = read_body(request.method, request.content_type, request.charset, raw_body, error_name=bad_name)
            query = tuple((k, v) for k, v in request.query.items())
            params = Params(query + (body.pairs if body is not None else ()))
            authorization = request.headers.get("Authorization")
            caller = request.remote or "unknown"
            if endpoint.is_private and state.is_upbit:
                caller = f"pocket:{unverified_access_key(authorization) or caller}"
            group = endpoint.upbit_group if state.is_upbit else endpoint.bithumb_category
            headers = state.limits.admit(group, caller, state.wall_ms())
            ctx = Ctx(state, params, now, dict(request.match_info))
            if endpoint.is_private:
                ctx.account = authenticate(
                    profile=state.profile,
                    authorization=authorization,
                    accounts=state.accounts,
                    hash_candidates=hash_inputs(state.profile, request.rel_url.raw_query_string, body),
                    nonces=state.nonces,
                    now_ms=state.wall_ms(),
                    max_age_ms=state.config.jwt_max_age_ms,
                )
            status, data = endpoint.handler(ctx)
        except ApiError as error:
            status_override = None
            if (
                not state.is_upbit
                and not endpoint.is_private
                and state.config.public_errors_http_200
                and error.status in (400, 404)
            ):
                status_override = 200
            return _error_response(error, headers, status_override)
        except Exception:  # a bug of ours: still the exchange's envelope, never a plain-text page
            log.exception("sandbox: %s %s failed", request.method, request.path)
            return _error_response(ApiError(500, 500, "internal error of the sandbox (see its log)"), headers)
        return web.json_response(data, status=status, headers=headers, dumps=_dumps)

    return handle


@web.middleware
async def _envelope(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Unknown paths and methods answer in the exchange envelope too."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error_response(ApiError(exc.status, exc.status, exc.reason), {})


@web.middleware
async def _faults(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Injected faults of the REST answers (never of the state), and the debug request log."""
    if request.path in (PUBLIC_PATH, *PRIVATE_PATHS.values()):
        return await handler(request)
    dice = request.app[DICE_KEY]
    spec = dice.spec
    delay_s = dice.latency_s() if spec.latency_ms != (0.0, 0.0) else 0.0
    if delay_s > 0:
        await asyncio.sleep(delay_s)
    if dice.roll(spec.http_429):
        response: web.StreamResponse = _error_response(ApiError(429, 429, "Too many requests (injected fault)"), {})
    elif dice.roll(spec.http_5xx):
        status = dice.server_error_status()
        response = _error_response(ApiError(status, status, "Internal server error (injected fault)"), {})
    else:
        is_order_post = request.method == "POST" and request.path in ORDER_POSTS
        lose = is_order_post and dice.roll(spec.lost_response)
        response = await handler(request)
        if lose and request.transport is not None:
            log.debug(
                "fault lost_response: %s %s answered %d, dropping the answer",
                request.method,
                request.path,
                response.status,
            )
            request.transport.abort()
            return response
        if isinstance(response, web.Response) and dice.roll(spec.malformed):
            raw = response.body if isinstance(response.body, bytes) else b""
            response = web.Response(
                body=raw[: len(raw) // 2], status=response.status, content_type="application/json", charset="utf-8"
            )
    log.debug("%s %s -> %d", request.method, request.path_qs, response.status)
    return response


async def _play_clock(state: SandboxState) -> None:
    """Let the state catch up with the clock every ``tick_interval_ms`` so streams flow by themselves."""
    interval_s = state.config.tick_interval_ms / 1000
    while True:
        await asyncio.sleep(interval_s)
        try:
            state.advance()
        except Exception:
            log.exception("the sandbox clock task failed to advance the state; it keeps trying")


def _background(state: SandboxState, streams: WebSocketStreams) -> Callable[[web.Application], AsyncIterator[None]]:
    async def tasks(app: web.Application) -> AsyncIterator[None]:
        running = [asyncio.create_task(_play_clock(state), name="sandbox-clock")]
        drop_s = state.config.faults.ws_drop_s
        if drop_s is not None:
            running.append(asyncio.create_task(streams.drop_every(drop_s), name="sandbox-ws-drop"))
        yield
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    return tasks


def create_app(state: SandboxState, *, dice: FaultDice | None = None) -> web.Application:
    """The aiohttp app of one state. ``dice``: share fault decisions across restarts."""
    guard = RequestGuard(_envelope_bytes, timeout_s=state.config.request_timeout_s)
    app = web.Application(middlewares=[guard.middleware, _faults, _envelope])
    app[GUARD_KEY] = guard
    app[STATE_KEY] = state
    app[DICE_KEY] = dice or FaultDice(state.config.faults)
    streams = WebSocketStreams(state, app[DICE_KEY])
    app[STREAMS_KEY] = streams
    for endpoint in ALL_ENDPOINTS:
        if state.profile in endpoint.profiles:
            app.router.add_route(endpoint.method, endpoint.path, _handler(endpoint))
    streams.add_routes(app)
    app.cleanup_ctx.append(_background(state, streams))
    return app


def _require_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"the sandbox binds loopback only; {host!r} is not an IP address") from None
    if not address.is_loopback:
        raise ValueError(f"the sandbox binds loopback only (127.0.0.1 or ::1), not {host}")


async def serve(
    state: SandboxState, host: str = "127.0.0.1", port: int = 0, *, dice: FaultDice | None = None
) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner (``await runner.cleanup()`` to stop) and the bound port.

    Every fault but ``restart`` applies; :class:`SandboxServer` also restarts.
    """
    _require_loopback(host)
    app = create_app(state, dice=dice)
    guard = app[GUARD_KEY]
    runner = web.AppRunner(app, access_log=None, **guard.runner_options())
    await runner.setup()
    site = GuardedSite(runner, guard, host=host if host != "localhost" else "127.0.0.1", port=port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, site.port


class SandboxServer:
    """The sandbox on one loopback port, restartable around the same state (the ``restart`` fault).

    ::

        async with SandboxServer(state) as server:   # server.port, server.rest_url, server.ws_url
            ...
    """

    def __init__(self, state: SandboxState, host: str = "127.0.0.1", port: int = 0) -> None:
        _require_loopback(host)
        self.state = state
        self.host = "127.0.0.1" if host == "localhost" else host
        self.port = port
        self.dice = FaultDice(state.config.faults)
        self.restarts = 0
        self._runner: web.AppRunner | None = None
        self._restart_task: asyncio.Task[None] | None = None

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}{PUBLIC_PATH}"

    @property
    def ws_private_url(self) -> str:
        return f"ws://{self.host}:{self.port}{PRIVATE_PATHS[self.state.profile]}"

    async def start(self) -> int:
        self._runner, self.port = await serve(self.state, self.host, self.port, dice=self.dice)
        restart_s = self.state.config.faults.restart_s
        if restart_s is not None and self._restart_task is None:
            self._restart_task = asyncio.create_task(self._restart_every(restart_s), name="sandbox-restart")
        return self.port

    async def restart(self) -> None:
        """Stop (dropping every connection) and serve again on the same port with the same state."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await asyncio.sleep(RESTART_PAUSE_S)
        self._runner, self.port = await serve(self.state, self.host, self.port, dice=self.dice)
        self.restarts += 1
        log.info("sandbox restarted on port %d (restart #%d)", self.port, self.restarts)

    async def _restart_every(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s if self._runner is not None else RESTART_PAUSE_S)
            try:
                await self.restart()
            except OSError as exc:  # the port is briefly taken: try again soon
                log.warning("sandbox restart on port %d failed (%s); retrying", self.port, exc)

    async def stop(self) -> None:
        if self._restart_task is not None:
            self._restart_task.cancel()
            await asyncio.gather(self._restart_task, return_exceptions=True)
            self._restart_task = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
