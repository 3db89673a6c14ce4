"""A channel that hangs, fails or is rate limited never stalls the engine or the other channel;
failures are retried with backoff (or the server's Retry-After), bounded, logged once, masked."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tradetui.core.clock import SimClock
from tradetui.core.events import Notice, Severity
from tradetui.notify.alerts import ChannelRules
from tradetui.notify.channels import Channel, SlackChannel, TelegramChannel
from tradetui.notify.router import AlertRouter

StartRouter = Callable[..., Awaitable[Any]]
TS = 1_756_690_200_000
SLACK_PATH = "/services/T0FAKE/B0FAKE/xoxSecretWebhookPart0123456789"
TELEGRAM_TOKEN = "123456789:AAHfakeTelegramSecretToken_0123-xyz"
SECRETS = ("xoxSecretWebhookPart0123456789", "AAHfakeTelegramSecretToken_0123-xyz", TELEGRAM_TOKEN)


def _notice(text: str, level: Severity = Severity.ERROR) -> Notice:
    return Notice(TS, text, level)


async def _until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_hanging_channel_delays_neither_the_engine_nor_the_other_channel(
    start_router: StartRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    h = await start_router(send_timeout_s=0.8, max_attempts=2, backoff_base_s=0.05)
    h.slack.set("hang")
    started = time.perf_counter()
    h.router.on_events([_notice("first")])
    listener_s = time.perf_counter() - started
    (text,) = await h.telegram.wait_for(1)
    # not behind Slack's hang: delivered while Slack's alert is still being tried (a router that
    # waited for Slack would deliver only after Slack's two 0.8 s attempts ended in a drop)
    assert "first" in text and h.router.stats()["slack"].dropped == 0
    assert listener_s < 0.5, listener_s  # the listener never waits for a channel (Slack hangs 0.8 s)

    many = [_notice(f"event {k}", Severity.INFO) for k in range(2000)]  # a heavy engine batch
    started = time.perf_counter()
    h.router.on_events(many)
    assert time.perf_counter() - started < 0.5  # enqueue only, however many and however slow Slack is

    await _until(lambda: h.router.stats()["slack"].dropped >= 1)  # timed out twice, given up
    assert h.slack.attempts >= 2
    assert h.router.stats()["telegram"].failures == 0
    failed = [r for r in caplog.records if "alert channel slack failed" in r.getMessage()]
    assert len(failed) == 1 and "no answer within 0.8 s" in failed[0].getMessage()  # logged once
    assert any("slack dropped an alert after 2 attempt(s)" in r.getMessage() for r in caplog.records)


async def test_a_failing_channel_backs_off_drops_and_recovers(
    start_router: StartRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    h = await start_router(max_attempts=3, backoff_base_s=0.05, backoff_cap_s=0.12)
    h.slack.set("fail")
    h.router.on_events([_notice("one"), _notice("two")])
    assert len(await h.telegram.wait_for(2)) == 2
    await _until(lambda: h.router.stats()["slack"].dropped == 2)
    assert h.slack.attempts == 6  # bounded: 3 attempts per alert
    gaps = [b - a for a, b in zip(h.slack.attempt_times, h.slack.attempt_times[1:], strict=False)]
    assert all(gap >= 0.035 for gap in gaps), gaps  # backoff between attempts (with jitter) …
    assert max(gaps) < 2.0, gaps  # … bounded (the gaps also hold a round trip: generous on a busy machine)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("alert channel slack failed" in w for w in warnings) == 1
    assert "HTTP 500" in next(w for w in warnings if "slack failed" in w)
    assert sum("dropped an alert" in w for w in warnings) == 2

    h.slack.set("ok")
    h.router.on_events([_notice("three")])
    (text,) = await h.slack.wait_for(1)
    assert "three" in text
    await _until(lambda: any("slack delivers again" in r.getMessage() for r in caplog.records))
    assert h.router.stats()["slack"].failures == 0


async def test_429_retry_after_is_honoured(start_router: StartRouter) -> None:
    h = await start_router(backoff_cap_s=0.1)  # Retry-After wins over the (smaller) backoff
    h.slack.set("limited", times=1, retry_after_s=1)
    h.telegram.set("limited", times=1, retry_after_s=1)
    h.router.on_events([_notice("after the wait")])
    await h.slack.wait_for(1)
    await h.telegram.wait_for(1)
    for server in (h.slack, h.telegram):
        assert server.attempts == 2 and len(server.texts) == 1
        assert server.attempt_times[1] - server.attempt_times[0] >= 0.95


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_secrets_never_reach_the_logs(
    slack_server: Any, telegram_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # slack-sdk and httpx would print URLs at DEBUG/INFO
    slack_server.set("fail")
    telegram_server.set("fail")
    dead = f"http://127.0.0.1:{_closed_port()}"
    async with httpx.AsyncClient() as http:
        channels: list[tuple[Channel, ChannelRules]] = [
            (SlackChannel(slack_server.base_url + SLACK_PATH, timeout_s=1), ChannelRules("slack")),
            (
                TelegramChannel(TELEGRAM_TOKEN, "4242", base_url=telegram_server.base_url, http=http),
                ChannelRules("telegram"),
            ),
            (SlackChannel(dead + SLACK_PATH, timeout_s=1), ChannelRules("slack-down")),
            (TelegramChannel(TELEGRAM_TOKEN, "4242", base_url=dead, http=http), ChannelRules("telegram-down")),
        ]
        router = AlertRouter(
            channels,
            SimClock(TS),
            dedup_window_s=0,
            send_timeout_s=1,
            max_attempts=2,
            backoff_base_s=0.02,
            backoff_cap_s=0.05,
        )
        task = asyncio.create_task(router.run())
        router.on_events([_notice("secret test")])
        await _until(lambda: all(s.dropped == 1 for s in router.stats().values()))
        await router.close()
        await task
    assert slack_server.attempts == 2 and telegram_server.attempts == 2
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "failed" in logged and "HTTP 500" in logged
    for secret in SECRETS:
        assert secret not in logged
        assert all(secret not in repr(channel) for channel, _ in channels)
