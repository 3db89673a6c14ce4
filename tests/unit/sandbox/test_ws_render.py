"""The sandbox's WebSocket rendering of a batch of market events: one message per market and
type, computed once, whatever the backlog (a busy machine lets events pile up between sends)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tradetui.core.clock import SimClock
from tradetui.sandbox import FaultSpec, MarketSpec, SandboxConfig, SandboxState
from tradetui.sandbox import websocket as ws
from tradetui.sandbox.events import BookMoved, SandboxEvent, TradePrinted
from tradetui.sandbox.faults import FaultDice
from tradetui.sandbox.ws_messages import ticker_message
from tradetui.sandbox.ws_subscription import parse_subscription

START_MS = 1_760_000_000_000
MARKETS = (
    MarketSpec("KRW-BTC", "비트코인", "Bitcoin", seed=1, start_price=50_000_000.0),
    MarketSpec("KRW-ETH", "이더리움", "Ethereum", seed=2, start_price=4_000_000.0),
)


def _session() -> tuple[ws.StreamSession, SandboxState]:
    clock = SimClock(START_MS)
    state = SandboxState(SandboxConfig(profile="upbit", history_minutes=60), clock=clock, markets=MARKETS)
    streams = ws.WebSocketStreams(state, FaultDice(FaultSpec()))
    session = ws.StreamSession(streams, None, None, False)  # type: ignore[arg-type]  # rendering needs no socket
    request = [
        {"ticket": "t"},
        {"type": "ticker", "codes": ["KRW-BTC", "KRW-ETH"]},
        {"type": "orderbook", "codes": ["KRW-BTC"]},
    ]
    session.subscription = parse_subscription(
        json.dumps(request), profile="upbit", is_private=False, markets=state.markets, max_depth=15
    )
    clock.set_ms(START_MS + 60_000)
    state.advance()
    return session, state


def test_a_backlog_of_events_renders_each_market_message_once(monkeypatch: pytest.MonkeyPatch) -> None:
    session, _ = _session()
    rendered: list[str] = []
    real = ticker_message

    def counted(*args: Any, **kwargs: Any) -> dict[str, Any]:
        message = real(*args, **kwargs)
        rendered.append(str(message["code"]))
        return message

    monkeypatch.setattr(ws, "ticker_message", counted)
    backlog: list[SandboxEvent] = []
    for k in range(250):  # the book moves on every path step, the ticker on every trade
        for code in ("KRW-BTC", "KRW-ETH"):
            backlog.append(BookMoved(code, START_MS + k))
            backlog.append(TradePrinted(code, START_MS + k, Decimal(1000), Decimal(1), "BID", k))
    messages = session.render(backlog)
    assert sorted(rendered) == ["KRW-BTC", "KRW-ETH"]  # not 500 renders
    assert sorted((m["type"], m["code"]) for m in messages) == [
        ("orderbook", "KRW-BTC"),
        ("ticker", "KRW-BTC"),
        ("ticker", "KRW-ETH"),
    ]
