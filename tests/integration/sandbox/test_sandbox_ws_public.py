"""Public WebSocket streams of the sandbox with a plain ``websockets`` client (A8, B7, D.16, D.17)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sibling import load_sibling  # tests/support/sibling.py
from websockets.exceptions import ConnectionClosed

streams = load_sibling(__file__, "streams")
peer = streams.load("peer")
WS = "/websocket/v1"


@pytest.fixture
async def upbit() -> AsyncIterator[Any]:
    async with peer.running("upbit", ws_status_interval_s=None) as sandbox:
        yield sandbox


@pytest.fixture
async def bithumb() -> AsyncIterator[Any]:
    async with peer.running("bithumb", ws_status_interval_s=None) as sandbox:
        yield sandbox


async def _closed_after(ws: Any) -> int | None:
    with pytest.raises(ConnectionClosed):
        for _ in range(10):
            await streams.recv(ws)
    code: int | None = ws.close_code
    return code


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("not json", "WRONG_FORMAT"),
        ('{"ticket": "x"}', "WRONG_FORMAT"),
        ('[{"ticket": "x"}, 5]', "WRONG_FORMAT"),
        ('[{"type": "ticker", "codes": ["KRW-BTC"]}]', "NO_TICKET"),
        ('[{"ticket": "x"}]', "NO_TYPE"),
        ('[{"ticket": "x"}, {"type": "ticker"}]', "NO_CODES"),
        ('[{"ticket": "x"}, {"type": "ticker", "codes": []}]', "NO_CODES"),
        ('[{"ticket": "x"}, {"type": "bogus", "codes": ["KRW-BTC"]}]', "INVALID_PARAM"),
        ('[{"ticket": "x"}, {"type": "myOrder"}]', "INVALID_PARAM"),
        ('[{"ticket": "x"}, {"type": "ticker", "codes": ["KRW-BTC"]}, {"format": "XML"}]', "INVALID_PARAM"),
        ('[{"ticket": "x"}, {"type": "ticker", "codes": ["KRW-BTC"], "is_only_snapshot": "yes"}]', "INVALID_PARAM"),
    ],
)
async def test_bad_requests_get_an_error_then_a_close(upbit: Any, text: str, name: str) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + WS) as ws:
        await ws.send(text)
        reply = await streams.recv(ws)
        assert reply == {"error": {"name": name, "message": reply["error"]["message"]}}
        assert await _closed_after(ws) == 1000


async def test_bithumb_has_no_candle_stream(bithumb: Any) -> None:
    async with streams.open_ws(streams.ws_base(bithumb) + WS) as ws:
        await ws.send(streams.request({"type": "candle.1m", "codes": ["KRW-BTC"]}))
        assert (await streams.recv(ws))["error"]["name"] == "INVALID_PARAM"


async def test_snapshot_then_realtime_in_binary_frames_default_keys(upbit: Any) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + WS) as ws:
        await ws.send(
            streams.request({"type": "ticker", "codes": ["KRW-BTC"]}, {"type": "trade", "codes": ["KRW-BTC"]})
        )
        first = await streams.recv(ws)
        assert first["type"] == "ticker" and first["code"] == "KRW-BTC" and first["stream_type"] == "SNAPSHOT"
        for key in ("trade_price", "opening_price", "signed_change_rate", "acc_trade_price_24h", "timestamp"):
            assert key in first
        assert isinstance(first["trade_price"], int | float)  # public numbers are JSON numbers
        second = await streams.recv(ws)
        assert (second["type"], second["stream_type"]) == ("trade", "SNAPSHOT")
        upbit.clock.advance_ms(1000)  # four path steps at speed 1
        live = await streams.recv_until(ws, lambda m: m.get("type") == "trade")
        assert live["stream_type"] == "REALTIME" and live["trade_timestamp"] > second["trade_timestamp"]
        assert live["ask_bid"] in ("ASK", "BID") and "sequential_id" in live and "best_ask_price" in live
        ticker = await streams.recv_until(ws, lambda m: m.get("type") == "ticker")
        assert ticker["stream_type"] == "REALTIME"


@pytest.mark.parametrize(
    ("profile", "snapshot_flag", "realtime_flag"),
    [("upbit", "is_only_snapshot", "is_only_realtime"), ("bithumb", "isOnlySnapshot", "isOnlyRealtime")],
)
async def test_snapshot_flags_per_profile(profile: str, snapshot_flag: str, realtime_flag: str) -> None:
    async with peer.running(profile, ws_status_interval_s=None) as sandbox:
        url = streams.ws_base(sandbox) + WS
        async with streams.open_ws(url) as ws:
            await ws.send(streams.request({"type": "trade", "codes": ["KRW-BTC"], snapshot_flag: True}))
            assert (await streams.recv(ws))["stream_type"] == "SNAPSHOT"
            sandbox.clock.advance_ms(1000)
            assert await streams.drain(ws, 0.3) == []  # snapshot only: nothing more
        async with streams.open_ws(url) as ws:
            await ws.send(streams.request({"type": "trade", "codes": ["KRW-BTC"], realtime_flag: True}))
            assert await streams.drain(ws, 0.2) == []  # no snapshot
            sandbox.clock.advance_ms(1000)
            assert (await streams.recv(ws))["stream_type"] == "REALTIME"
        other = "isOnlySnapshot" if profile == "upbit" else "is_only_snapshot"
        async with streams.open_ws(url) as ws:  # the other spelling is ignored: snapshot + realtime
            await ws.send(streams.request({"type": "trade", "codes": ["KRW-BTC"], other: True}))
            assert (await streams.recv(ws))["stream_type"] == "SNAPSHOT"
            sandbox.clock.advance_ms(1000)
            assert (await streams.recv(ws))["stream_type"] == "REALTIME"


async def test_simple_format_abbreviates_keys(upbit: Any) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + WS) as ws:
        await ws.send(
            streams.request(
                {"type": "ticker", "codes": ["KRW-BTC"]},
                {"type": "trade", "codes": ["KRW-BTC"]},
                {"type": "orderbook", "codes": ["KRW-BTC"]},
                {"type": "candle.1m", "codes": ["KRW-BTC"]},
                fmt="SIMPLE",
            )
        )
        ticker, trade, book, candle = [await streams.recv(ws) for _ in range(4)]
    assert ticker["ty"] == "ticker" and ticker["cd"] == "KRW-BTC" and ticker["st"] == "SNAPSHOT"
    assert {"tp", "op", "hp", "lp", "pcp", "scr", "atp24h", "ttms", "tms"} <= set(ticker)
    assert "trade_price" not in ticker and "type" not in ticker
    assert {"tp", "tv", "ab", "sid", "td", "ttm", "bap", "bbp"} <= set(trade)
    assert {"tas", "tbs", "obu", "lv"} <= set(book) and set(book["obu"][0]) == {"ap", "bp", "as", "bs"}
    assert candle["ty"] == "candle.1m" and {"cdttmu", "cdttmk", "op", "tp", "catv", "catp"} <= set(candle)


async def test_list_format_wraps_each_message(upbit: Any) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + WS) as ws:
        await ws.send(streams.request({"type": "ticker", "codes": ["KRW-BTC"]}, fmt="SIMPLE_LIST"))
        message = await streams.recv(ws)
    assert isinstance(message, list) and message[0]["ty"] == "ticker"


@pytest.mark.parametrize(("profile", "full"), [("upbit", 30), ("bithumb", 15)])
async def test_depth_suffix_and_profile_depth(profile: str, full: int) -> None:
    async with (
        peer.running(profile, ws_status_interval_s=None) as sandbox,
        streams.open_ws(streams.ws_base(sandbox) + WS) as ws,
    ):
        await ws.send(streams.request({"type": "orderbook", "codes": ["KRW-BTC.5", "KRW-XRP"]}))
        books = {m["code"]: m for m in [await streams.recv(ws), await streams.recv(ws)]}
    assert len(books["KRW-BTC"]["orderbook_units"]) == 5
    assert len(books["KRW-XRP"]["orderbook_units"]) == full
    unit = books["KRW-BTC"]["orderbook_units"][0]
    assert unit["ask_price"] > unit["bid_price"] > 0
    digits = len(str(books["KRW-BTC"]["timestamp"]))
    assert digits == (16 if profile == "bithumb" else 13)  # Bithumb's book timestamp is in µs (B7)


async def test_unknown_and_lower_case_codes_are_ignored(upbit: Any) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + WS) as ws:
        await ws.send(streams.request({"type": "ticker", "codes": ["krw-btc", "KRW-NOPE", "KRW-XRP"]}))
        messages = [await streams.recv(ws)] + await streams.drain(ws, 0.2)
    assert [m["code"] for m in messages] == ["KRW-XRP"]


async def test_a_new_request_replaces_the_subscription(upbit: Any) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + WS) as ws:
        await ws.send(streams.request({"type": "trade", "codes": ["KRW-BTC"]}))
        assert (await streams.recv(ws))["code"] == "KRW-BTC"
        await ws.send(streams.request({"type": "ticker", "codes": ["KRW-XRP"], "is_only_realtime": True}))
        assert await streams.drain(ws, 0.2) == []
        upbit.clock.advance_ms(2000)
        messages = await streams.drain(ws, 0.4)
        assert messages and {(m["type"], m["code"]) for m in messages} == {("ticker", "KRW-XRP")}
        await ws.send(json.dumps([{"method": "LIST_SUBSCRIPTIONS", "ticket": "list"}]))
        listing = await streams.recv_until(ws, lambda m: m.get("method") == "LIST_SUBSCRIPTIONS")
        assert listing["result"] == [{"type": "ticker", "codes": ["KRW-XRP"]}]


async def test_ping_text_is_answered_up(upbit: Any) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + WS) as ws:
        await ws.send("PING")
        assert await streams.recv(ws) == {"status": "UP"}


async def test_status_up_is_sent_on_a_quiet_socket() -> None:
    async with (
        peer.running("upbit", ws_status_interval_s=0.2) as sandbox,
        streams.open_ws(streams.ws_base(sandbox) + WS) as ws,
    ):
        assert await streams.recv(ws, 2) == {"status": "UP"}


async def test_idle_connection_is_closed_but_pings_keep_it_open() -> None:
    async with peer.running("bithumb", ws_idle_timeout_s=0.3, ws_status_interval_s=None) as sandbox:
        url = streams.ws_base(sandbox) + WS
        async with streams.open_ws(url) as ws:
            await ws.send(streams.request({"type": "ticker", "codes": ["KRW-BTC"], "isOnlyRealtime": True}))
            for _ in range(2):  # client activity (text PING, ping frames) resets the idle timer
                await asyncio.sleep(0.2)
                await ws.send("PING")
                await asyncio.sleep(0.2)
                await asyncio.wait_for(await ws.ping(), 2)
            assert await streams.recv_until(ws, lambda m: m.get("status") == "UP")
            loop = asyncio.get_running_loop()
            started = loop.time()
            assert await _closed_after(ws) == 1000
            assert 0.15 < loop.time() - started < 2.0
