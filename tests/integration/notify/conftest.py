"""Fake Slack (incoming webhook) and Telegram (Bot API) servers on 127.0.0.1 for the alert tests.

Each records what it was sent and can be told to answer 500, to hang, or to answer 429 with a
Retry-After, for the next N requests or for good. Servers stop (and hung requests are released)
when the test ends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiohttp import web

from tradetui.core.clock import SimClock
from tradetui.notify.alerts import ChannelRules
from tradetui.notify.channels import Channel, SlackChannel, TelegramChannel
from tradetui.notify.router import AlertRouter

SLACK_PATH = "/services/T0FAKE/B0FAKE/xoxSecretWebhookPart0123456789"
TELEGRAM_TOKEN = "123456789:AAHfakeTelegramSecretToken_0123-xyz"


@dataclass
class Behaviour:
    mode: str = "ok"
    """ok | fail (HTTP 500) | hang | limited (HTTP 429 with retry_after_s)."""
    times: int | None = None
    """How many requests get this behaviour before it is back to "ok" (None: for good)."""
    retry_after_s: int = 1


@dataclass
class FakeService:
    kind: str
    base_url: str = ""
    texts: list[str] = field(default_factory=list)
    """The message text of each request that was answered 200."""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    attempts: int = 0
    """Every request, answered or not."""
    attempt_times: list[float] = field(default_factory=list)
    """Loop time of each request."""
    behaviour: Behaviour = field(default_factory=Behaviour)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def set(self, mode: str, *, times: int | None = None, retry_after_s: int = 1) -> None:
        self.behaviour = Behaviour(mode, times, retry_after_s)

    async def wait_for(self, count: int, timeout_s: float = 30.0) -> list[str]:
        """Wait until ``count`` messages have been delivered; the texts."""
        async with asyncio.timeout(timeout_s):
            while len(self.texts) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return list(self.texts)

    async def wait_attempts(self, count: int, timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s):
            while self.attempts < count:
                self.arrived.clear()
                await self.arrived.wait()

    def _next_mode(self) -> Behaviour:
        b = self.behaviour
        if b.times is not None:
            if b.times <= 0:
                return Behaviour()
            b.times -= 1
        return b

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.attempts += 1
        self.attempt_times.append(asyncio.get_running_loop().time())
        self.paths.append(request.path)
        b = self._next_mode()
        self.arrived.set()
        if b.mode == "hang":
            await self.release.wait()
            return web.Response(status=503, text="released")
        if b.mode == "fail":
            return web.Response(status=500, text="internal_error")
        if b.mode == "limited":
            if self.kind == "slack":
                return web.Response(status=429, text="rate_limited", headers={"Retry-After": str(b.retry_after_s)})
            answer = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {b.retry_after_s}",
                "parameters": {"retry_after": b.retry_after_s},
            }
            return web.json_response(answer, status=429)
        body = json.loads(await request.text())
        self.bodies.append(body)
        self.texts.append(body["blocks"][0]["text"]["text"] if self.kind == "slack" else body["text"])
        self.arrived.set()
        if self.kind == "slack":
            return web.Response(text="ok")
        return web.json_response({"ok": True, "result": {"message_id": len(self.texts)}})


async def _serve(service: FakeService, route: str) -> AsyncIterator[FakeService]:
    app = web.Application()
    app.router.add_post(route, service.handle)
    # no access log: the fake server's own log would quote the secret path (it plays Slack's side)
    runner = web.AppRunner(app, shutdown_timeout=1.0, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    service.base_url = f"http://127.0.0.1:{port}"
    try:
        yield service
    finally:
        service.release.set()  # hung requests end before the server stops
        await runner.cleanup()


@pytest.fixture
async def slack_server() -> AsyncIterator[FakeService]:
    async for service in _serve(FakeService("slack"), "/services/{team}/{bot}/{secret}"):
        yield service


@pytest.fixture
async def telegram_server() -> AsyncIterator[FakeService]:
    async for service in _serve(FakeService("telegram"), "/bot{token}/sendMessage"):
        yield service


# --- a router wired to both fake servers -------------------------------------------------------------


@dataclass
class Harness:
    router: AlertRouter
    slack: FakeService
    telegram: FakeService
    clock: SimClock


StartRouter = Callable[..., Awaitable[Harness]]

FAST = {
    "dedup_window_s": 0.0,
    "send_timeout_s": 1.0,
    "max_attempts": 3,
    "backoff_base_s": 0.05,
    "backoff_cap_s": 0.2,
    "report_check_s": 0.01,
}


@pytest.fixture
async def start_router(slack_server: FakeService, telegram_server: FakeService) -> AsyncIterator[StartRouter]:
    """``await start_router(slack=ChannelRules(...), telegram=..., clock=..., **router_kwargs)``:
    a running AlertRouter sending to both fake servers; closed and awaited at the end."""
    running: list[tuple[AlertRouter, asyncio.Task[None], list[Any]]] = []

    async def start(
        *,
        slack: ChannelRules | None = None,
        telegram: ChannelRules | None = None,
        clock: SimClock | None = None,
        **kwargs: Any,
    ) -> Harness:
        sim = clock or SimClock(1_756_690_200_000)  # 2025-09-01 10:30 KST
        http = httpx.AsyncClient(timeout=httpx.Timeout(2.0))
        channels: list[tuple[Channel, ChannelRules]] = [
            (SlackChannel(slack_server.base_url + SLACK_PATH, timeout_s=2.0), slack or ChannelRules("slack")),
            (
                TelegramChannel(TELEGRAM_TOKEN, "4242", base_url=telegram_server.base_url, http=http),
                telegram or ChannelRules("telegram"),
            ),
        ]
        router = AlertRouter(channels, sim, **{**FAST, **kwargs})
        task = asyncio.create_task(router.run())
        running.append((router, task, [http]))
        await asyncio.sleep(0)  # let run() start its workers
        return Harness(router, slack_server, telegram_server, sim)

    yield start
    for router, task, owned in running:
        slack_server.release.set()
        telegram_server.release.set()
        await router.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        for http in owned:
            await http.aclose()
