"""Alerts reach fake Slack and Telegram servers with the right text per event kind, through the
per-channel level and kind filters, deduplicated and rate limited."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from tradetui.core.events import (
    EngineState,
    EngineStateChanged,
    ExitTriggered,
    FeedStateChanged,
    Notice,
    OrderFilled,
    OrderUpdated,
    PositionClosed,
    RiskEvent,
    Severity,
    SignalRaised,
)
from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.types import Side
from tradetui.notify.alerts import AlertKind, ChannelRules

StartRouter = Callable[..., Awaitable[Any]]  # the conftest fixture: returns a Harness
TS = 1_756_690_200_000  # 2025-09-01 10:30:00 KST


def _fill() -> OrderFilled:
    fill = Fill("tt-1", "t-1", "KRW-BTC", Side.BID, Decimal("50000000"), Decimal("0.001"), Decimal("25"), TS)
    return OrderFilled(TS, fill, "entry")


def _rejected() -> OrderUpdated:
    order = Order(
        "tt-2",
        "KRW-ETH",
        Side.BID,
        OrdType.PRICE,
        Decimal("100000"),
        None,
        TS,
        OrderState.REJECTED,
        reason="insufficient_funds_bid",
    )
    return OrderUpdated(TS, order)


EVENTS = [
    _fill(),
    ExitTriggered(TS, "KRW-BTC", "stop", Decimal("49250000"), 1.0),
    ExitTriggered(TS, "KRW-BTC", "trailing", Decimal("51000000"), 0.5),
    ExitTriggered(TS, "KRW-BTC", "take_profit", Decimal("51500000"), 0.5),
    PositionClosed(TS, "KRW-BTC", Decimal("-12345.6"), -1.23, "stop"),
    EngineStateChanged(TS, EngineState.RUNNING, EngineState.PAUSED, "daily loss limit reached"),
    RiskEvent(TS, "cooldown", "3 losses in a row: no entries for 60 min", "KRW-BTC"),
    FeedStateChanged(TS, "upbit-ws", "disconnected", "ping timeout"),
    Notice(TS, "price < 0 & broken <b>row</b>", Severity.ERROR, "data"),
    _rejected(),
    SignalRaised(TS, "KRW-BTC", "breakout", "enter", Decimal("50000000")),  # off by default
    OrderUpdated(TS, Order("tt-3", "KRW-BTC", Side.BID, OrdType.LIMIT, Decimal("1"), Decimal("1"), TS)),  # routine
    FeedStateChanged(TS, "upbit-ws", "connected"),  # routine
]

EXPECTED = [
    ("Bought KRW-BTC", "0.001 @ 50,000,000 = 50,000 KRW, fee 25 KRW [entry]"),
    ("Stop hit KRW-BTC", "at 49,250,000, selling 100%"),
    ("Trailing stop hit KRW-BTC", "at 51,000,000, selling 50%"),
    ("Target hit KRW-BTC", "at 51,500,000, selling 50%"),
    ("Position closed KRW-BTC: -12,346 KRW (-1.23 %)", "by stop"),
    ("Engine PAUSED", "RUNNING → PAUSED: daily loss limit reached"),
    ("Risk cooldown KRW-BTC", "3 losses in a row: no entries for 60 min"),
    ("Feed upbit-ws disconnected", "ping timeout"),
    ("Error (data)", "price &lt; 0 &amp; broken &lt;b&gt;row&lt;/b&gt;"),
    ("Order rejected KRW-ETH", "insufficient_funds_bid"),
]


async def test_each_event_kind_arrives_with_its_text(start_router: StartRouter) -> None:
    h = await start_router()
    h.router.on_events(EVENTS)
    slack = await h.slack.wait_for(len(EXPECTED))
    telegram = await h.telegram.wait_for(len(EXPECTED))
    await asyncio.sleep(0.1)  # nothing else (signal, routine updates) follows
    assert len(h.slack.texts) == len(h.telegram.texts) == len(EXPECTED)
    for (title, body), s_text, t_text in zip(EXPECTED, slack, telegram, strict=True):
        assert f"*{title}*" in s_text and body in s_text, s_text  # Slack mrkdwn: bold title
        assert f"<b>{title}</b>" in t_text and body in t_text, t_text  # Telegram HTML, escaped
        assert "2025-09-01 10:30:00 KST" in t_text
    slack_body = h.slack.bodies[0]
    assert slack_body["blocks"][1]["elements"][0]["text"] == "2025-09-01 10:30:00 KST"
    assert slack_body["text"].startswith("Bought KRW-BTC")  # the notification fallback
    tg = h.telegram.bodies[0]
    assert tg["parse_mode"] == "HTML" and tg["chat_id"] == "4242"


async def test_signals_are_opt_in(start_router: StartRouter) -> None:
    h = await start_router(slack=ChannelRules("slack", kinds=frozenset(AlertKind)))
    h.router.on_events([SignalRaised(TS, "KRW-BTC", "breakout", "enter", Decimal("50000000"), "vol×3")])
    (text,) = await h.slack.wait_for(1)
    assert "Signal enter KRW-BTC" in text and "breakout at 50,000,000 — vol×3" in text
    await asyncio.sleep(0.1)
    assert h.telegram.texts == []


async def test_level_and_kind_filters_per_channel(start_router: StartRouter) -> None:
    h = await start_router(
        slack=ChannelRules("slack", min_severity=Severity.WARNING),
        telegram=ChannelRules("telegram", kinds=frozenset({AlertKind.FILL})),
    )
    h.router.on_events(EVENTS)
    slack = await h.slack.wait_for(5)
    (fill,) = await h.telegram.wait_for(1)
    await asyncio.sleep(0.15)
    assert "Bought KRW-BTC" in fill and len(h.telegram.texts) == 1
    # WARNING and above: engine paused, cooldown, feed down, error notice, order rejected (warning)
    titles = [re.search(r"\*(.+?)\*", t).group(1) for t in h.slack.texts]  # type: ignore[union-attr]
    assert titles == [
        "Engine PAUSED",
        "Risk cooldown KRW-BTC",
        "Feed upbit-ws disconnected",
        "Error (data)",
        "Order rejected KRW-ETH",
    ], slack


async def test_ten_identical_alerts_become_one_marked_x10(start_router: StartRouter) -> None:
    h = await start_router(dedup_window_s=1.0, dedup_hold_s=0.2)
    flood = [Notice(TS + k, "order book stale", Severity.ERROR, "feed") for k in range(10)]
    for event in flood:  # separate batches, as the engine would emit them
        h.router.on_events([event])
    (text,) = await h.slack.wait_for(1)
    (tg,) = await h.telegram.wait_for(1)
    assert "×10" in text and "×10" in tg and "order book stale" in text
    # a repeat inside the window is folded into one more ×N message when the window ends
    h.router.on_events([flood[0], flood[1]])
    texts = await h.slack.wait_for(2)
    assert "×2" in texts[1]
    await asyncio.sleep(0.2)
    assert len(h.slack.texts) == 2


def _suppressed(texts: list[str]) -> int:
    return sum(int(m.group(1)) for t in texts for m in re.finditer(r"(\d+) more alerts? suppressed", t))


async def test_a_burst_is_rate_limited_and_the_rest_summarised(start_router: StartRouter) -> None:
    h = await start_router(
        slack=ChannelRules("slack", rate_per_min=60, burst=3),  # 3 back to back, then one a second
        telegram=ChannelRules("telegram", rate_per_min=60, burst=3),
    )
    burst = [Notice(TS, f"problem {k}", Severity.ERROR) for k in range(30)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    h.router.on_events(burst)

    def accounted(texts: list[str]) -> bool:  # every alert sent or counted in a "suppressed" line
        return sum("problem" in t for t in texts) + _suppressed(texts) == 30

    async with asyncio.timeout(60):  # a hang guard: the condition, not a time budget, is the test
        while not (accounted(h.slack.texts) and accounted(h.telegram.texts)):
            await asyncio.sleep(0.02)
    elapsed_s = loop.time() - started
    for server in (h.slack, h.telegram):
        texts = server.texts
        regular = [t for t in texts if "problem" in t]
        # the burst, then at most one more a second however long the machine took (rate limited);
        # 30 sends inside the limit would need a second each, beyond the 1 s send timeout
        assert 3 <= len(regular) <= 3 + elapsed_s / 1.0 + 1, (elapsed_s, texts)
        assert len(regular) < 30 and any(re.search(r"\d+ more alerts suppressed", t) for t in texts)
    stats = h.router.stats()
    assert stats["slack"].suppressed == _suppressed(h.slack.texts)
