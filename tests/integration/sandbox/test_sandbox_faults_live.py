"""Injected faults of a running sandbox (``SandboxConfig.faults``): they change answers, never the
state. Seeded specs with high rates keep these fast and deterministic."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sibling import load_sibling  # tests/support/sibling.py
from websockets.exceptions import ConnectionClosed

from tradetui.sandbox import FaultSpec, SandboxServer

streams = load_sibling(__file__, "streams")
peer = streams.load("peer")
TICKER = [("markets", "KRW-BTC")]


async def _statuses(spec: str, count: int = 40) -> list[int]:
    async with peer.running("upbit", faults=FaultSpec.parse(spec), rate_limits_enabled=False) as sandbox:
        return [(await sandbox.public("/v1/ticker", TICKER)).status_code for _ in range(count)]


async def test_http_429_and_5xx_answer_in_the_error_envelope_before_auth() -> None:
    async with peer.running("upbit", faults=FaultSpec.parse("http_429=1")) as sandbox:
        reply = await sandbox.client.get("/v1/accounts")  # no token: the fault answers first
        assert reply.status_code == 429 and "error" in reply.json()
    async with peer.running("bithumb", faults=FaultSpec.parse("http_5xx=1,seed=3")) as sandbox:
        replies = [await sandbox.public("/v1/ticker", TICKER) for _ in range(6)]
        assert {r.status_code for r in replies} <= {500, 502, 503}
        assert all(r.json()["error"]["name"] == r.status_code for r in replies)


async def test_fault_rates_are_seeded_and_reproducible() -> None:
    first = await _statuses("http_429=0.3,http_5xx=0.2,seed=7")
    again = await _statuses("http_429=0.3,http_5xx=0.2,seed=7")
    other = await _statuses("http_429=0.3,http_5xx=0.2,seed=8")
    assert first == again and first != other
    assert 200 in first and 429 in first and any(s >= 500 for s in first)


async def test_latency_delays_every_answer() -> None:
    async with peer.running("upbit", faults=FaultSpec.parse("latency_ms=150")) as sandbox:
        loop = asyncio.get_running_loop()
        started = loop.time()
        reply = await sandbox.public("/v1/ticker", TICKER)
        assert reply.status_code == 200 and loop.time() - started >= 0.15


async def test_malformed_rest_body_is_truncated_json() -> None:
    async with peer.running("upbit", faults=FaultSpec.parse("malformed=1")) as sandbox:
        reply = await sandbox.public("/v1/ticker", TICKER)
        assert reply.status_code == 200 and reply.content
        with pytest.raises(json.JSONDecodeError):
            json.loads(reply.content)


async def test_malformed_websocket_frames() -> None:
    faults = FaultSpec.parse("malformed=1")
    async with (
        peer.running("bithumb", faults=faults, ws_status_interval_s=None) as sandbox,
        streams.open_ws(streams.ws_base(sandbox) + "/websocket/v1") as ws,
    ):
        await ws.send(streams.request({"type": "ticker", "codes": ["KRW-BTC"]}))
        frame = await asyncio.wait_for(ws.recv(), 3)
        assert isinstance(frame, bytes) and frame.startswith(b'{"type":"ticker"')
        with pytest.raises(json.JSONDecodeError):
            json.loads(frame)
        await ws.send("PING")  # status answers are not garbled
        assert await streams.recv(ws) == {"status": "UP"}


@pytest.mark.parametrize("profile", ["upbit", "bithumb"])
async def test_lost_response_still_places_the_order(profile: str) -> None:
    async with peer.running(profile, faults=FaultSpec.parse("lost_response=1")) as sandbox:
        book = (await sandbox.public("/v1/orderbook", [("markets", "KRW-BTC")])).json()[0]["orderbook_units"]
        price = str(int(book[0]["bid_price"]) - 5_000_000)
        if profile == "upbit":
            path, body = "/v1/orders", {"ord_type": "limit", "identifier": "lost-1"}
        else:
            path, body = "/v2/orders", {"order_type": "limit", "client_order_id": "lost-1"}
        body = {"market": "KRW-BTC", "side": "bid", "price": price, "volume": "0.01", **body}
        with pytest.raises(httpx.TransportError):
            await sandbox.post(path, body)
        ident = "identifier" if profile == "upbit" else "client_order_id"
        found = await sandbox.get("/v1/order", [(ident, "lost-1")])
        assert found.status_code == 200, found.text
        assert found.json()["state"] == "wait"
        krw = (await sandbox.balances())["KRW"]
        assert float(krw[1]) > 0  # the bid's KRW is locked
        assert (await sandbox.public("/v1/ticker", TICKER)).status_code == 200  # only order POSTs are lost


async def test_ws_drop_closes_every_socket_periodically() -> None:
    async with peer.running("upbit", faults=FaultSpec.parse("ws_drop=0.3"), ws_status_interval_s=None) as sandbox:
        url = streams.ws_base(sandbox) + "/websocket/v1"
        loop = asyncio.get_running_loop()
        for _ in range(2):  # a new connection is dropped again
            async with streams.open_ws(url) as ws:
                await ws.send(streams.request({"type": "ticker", "codes": ["KRW-BTC"], "is_only_realtime": True}))
                started = loop.time()
                with pytest.raises(ConnectionClosed):
                    for _ in range(200):
                        await streams.recv(ws, 2)
                assert ws.close_code == 1001 and loop.time() - started < 1.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def _restarting(spec: str) -> AsyncIterator[tuple[SandboxServer, Any]]:
    clock = peer.SimClock(peer.START_MS)
    config = peer.SandboxConfig(profile="upbit", history_minutes=120, faults=FaultSpec.parse(spec))
    state = peer.SandboxState(config, clock=clock, markets=peer.MARKETS)
    state.add_account(peer.ACCESS, peer.SECRET, {"KRW": "1000000000"})
    server = SandboxServer(state, port=_free_port())
    await asyncio.wait_for(server.start(), 10)
    try:
        async with httpx.AsyncClient(base_url=server.rest_url, timeout=5) as client:
            yield server, peer.Peer("upbit", state, clock, client)
    finally:
        await asyncio.wait_for(server.stop(), 10)


async def test_restart_keeps_state_and_port() -> None:
    async with _restarting("restart=0.4") as (server, sandbox):
        port = server.port
        book = (await sandbox.public("/v1/orderbook", [("markets", "KRW-BTC")])).json()[0]["orderbook_units"]
        price = str(int(book[0]["bid_price"]) - 5_000_000)
        reply = await sandbox.order(market="KRW-BTC", side="bid", ord_type="limit", price=price, volume="0.01")
        assert reply.status_code == 201
        async with streams.open_ws(server.ws_url) as ws:
            await ws.send(streams.request({"type": "ticker", "codes": ["KRW-BTC"], "is_only_realtime": True}))
            with pytest.raises(ConnectionClosed):
                for _ in range(200):
                    await streams.recv(ws, 2)
        for _ in range(100):
            if server.restarts >= 1:
                break
            await asyncio.sleep(0.05)
        assert server.restarts >= 1 and server.port == port
        found: httpx.Response | None = None
        for _ in range(20):  # the client may hit the short pause of a restart
            try:
                found = await sandbox.get("/v1/order", [("uuid", reply.json()["uuid"])])
                break
            except httpx.TransportError:
                await asyncio.sleep(0.1)
        assert found is not None and found.status_code == 200, found
        assert found.json()["state"] == "wait" and found.json()["locked"] == reply.json()["locked"]
