"""The sandbox exchange served over HTTP by aiohttp, on loopback only.

Start it programmatically::

    state = SandboxState(SandboxConfig(profile="upbit"), clock=SimClock(start_ms))
    state.add_account("access", "secret", {"KRW": "10000000"})
    runner, port = await serve(state)          # http://127.0.0.1:{port}/v1/...
    ...
    await runner.cleanup()

Each request first lets the state catch up with the clock, then counts against its rate group,
then (private endpoints) verifies the JWT, then runs the handler. Errors use the exchanges'
``{"error": {"name", "message"}}`` envelope.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tradetui.sandbox import routes_private, routes_public
from tradetui.sandbox.auth import authenticate, hash_inputs, unverified_access_key
from tradetui.sandbox.context import Ctx, Endpoint, Params, body_pairs
from tradetui.sandbox.state import SandboxState
from tradetui.sandbox.wire import ApiError

STATE_KEY = web.AppKey("sandbox_state", SandboxState)
ALL_ENDPOINTS: tuple[Endpoint, ...] = (*routes_public.ENDPOINTS, *routes_private.ENDPOINTS)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _error_response(error: ApiError, headers: dict[str, str], status: int | None = None) -> web.Response:
    merged = {**headers, **error.headers}
    return web.json_response(error.body(), status=status or error.status, headers=merged, dumps=_dumps)


def _handler(endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        state.advance()
        now = state.now_ms()
        headers: dict[str, str] = {}
        try:
            raw_body = await request.read() if request.can_read_body else b""
            pairs = body_pairs(raw_body) if raw_body.strip() else None
            query = tuple((k, v) for k, v in request.query.items())
            params = Params(tuple(pairs) if pairs is not None else query)
            authorization = request.headers.get("Authorization")
            caller = request.remote or "unknown"
            if endpoint.is_private and state.is_upbit:
                caller = f"pocket:{unverified_access_key(authorization) or caller}"
            group = endpoint.upbit_group if state.is_upbit else endpoint.bithumb_category
            headers = state.limits.admit(group, caller, now)
            ctx = Ctx(state, params, now, dict(request.match_info))
            if endpoint.is_private:
                ctx.account = authenticate(
                    profile=state.profile,
                    authorization=authorization,
                    accounts=state.accounts,
                    hash_candidates=hash_inputs(state.profile, request.rel_url.raw_query_string, pairs),
                    nonces=state.nonces,
                    now_ms=now,
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


def create_app(state: SandboxState) -> web.Application:
    app = web.Application(middlewares=[_envelope])
    app[STATE_KEY] = state
    for endpoint in ALL_ENDPOINTS:
        if state.profile in endpoint.profiles:
            app.router.add_route(endpoint.method, endpoint.path, _handler(endpoint))
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


async def serve(state: SandboxState, host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, int]:
    """Start serving; returns the runner (``await runner.cleanup()`` to stop) and the bound port."""
    _require_loopback(host)
    runner = web.AppRunner(create_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host if host != "localhost" else "127.0.0.1", port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    for address in runner.addresses:
        if isinstance(address, tuple):
            return runner, int(address[1])
    await runner.cleanup()
    raise RuntimeError("the sandbox server did not report a bound port")
