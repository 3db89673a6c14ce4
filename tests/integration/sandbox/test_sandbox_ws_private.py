"""Private WebSocket streams (myOrder, myAsset) of the sandbox with a plain ``websockets`` client
(A8.3, B8, D.18): handshake auth, the per-order event sequence, changed-currency assets, Bithumb v2 names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sibling import load_sibling  # tests/support/sibling.py
from websockets.exceptions import ConnectionClosed

streams = load_sibling(__file__, "streams")
peer = streams.load("peer")
PRIVATE = {"upbit": "/websocket/v1/private", "bithumb": "/websocket/v2/private"}
SUBSCRIBE = ({"type": "myOrder", "codes": ["KRW-BTC"]}, {"type": "myAsset"})


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


@pytest.fixture
async def upbit() -> AsyncIterator[Any]:
    # two book levels, so a big bid takes both and rests for the path to fill it later
    async with peer.running("upbit", book_depth=2, ws_status_interval_s=None) as sandbox:
        yield sandbox


@pytest.fixture
async def bithumb() -> AsyncIterator[Any]:
    async with peer.running("bithumb", book_depth=2, ws_status_interval_s=None) as sandbox:
        yield sandbox


@pytest.mark.parametrize("profile", ["upbit", "bithumb"])
@pytest.mark.parametrize("token", ["none", "bad-signature", "unknown-key", "garbage"])
async def test_handshake_without_a_valid_jwt_is_refused(profile: str, token: str) -> None:
    async with peer.running(profile) as sandbox:
        authorization = {
            "none": None,
            "bad-signature": sandbox.token(secret="wrong-secret-" + "y" * 51),
            "unknown-key": sandbox.token(access="nobody"),
            "garbage": "Bearer not.a.jwt",
        }[token]
        async with streams.open_ws(streams.ws_base(sandbox) + PRIVATE[profile], authorization) as ws:
            reply = await streams.recv(ws)
            assert reply["error"]["name"] == "INVALID_AUTH"
            with pytest.raises(ConnectionClosed):
                await streams.recv(ws)


async def test_bithumb_v1_private_path_is_gone_and_public_types_are_refused(bithumb: Any) -> None:
    reply = await bithumb.client.get("/websocket/v1/private")
    assert reply.status_code == 404
    async with streams.open_ws(streams.ws_base(bithumb) + PRIVATE["bithumb"], bithumb.token()) as ws:
        await ws.send(streams.request({"type": "ticker", "codes": ["KRW-BTC"]}))
        assert (await streams.recv(ws))["error"]["name"] == "INVALID_PARAM"


async def _big_bid(sandbox: Any, path: str = "/v1/orders", **extra: str) -> tuple[dict[str, Any], Decimal]:
    """A limit bid above the two-level book for more than the book holds: fills now, rests, fills later."""
    book = (await sandbox.public("/v1/orderbook", [("markets", "KRW-BTC")])).json()[0]["orderbook_units"]
    volume = (_d(book[0]["ask_size"]) + _d(book[1]["ask_size"]) + _d("0.3")).quantize(_d("0.0001"))
    price = str(int(book[1]["ask_price"]) + 300_000)
    kind = "ord_type" if path == "/v1/orders" else "order_type"
    reply = await sandbox.post(
        path, {"market": "KRW-BTC", "side": "bid", kind: "limit", "price": price, "volume": str(volume), **extra}
    )
    assert reply.status_code == 201, reply.text
    body: dict[str, Any] = reply.json()
    return body, volume


async def test_upbit_my_order_sequence_of_an_order_filled_in_parts(upbit: Any) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + PRIVATE["upbit"], upbit.token()) as ws:
        await ws.send(streams.request(*SUBSCRIBE))
        assert await streams.drain(ws, 0.2) == []  # private streams have no snapshot
        order, volume = await _big_bid(upbit, identifier="ws-part-1")
        now = await streams.drain(ws, 0.3)
        orders = [m for m in now if m["type"] == "myOrder"]
        assert orders[0]["state"] == "wait" and orders[0]["uuid"] == order["uuid"]
        assert orders[0]["ask_bid"] == "BID" and orders[0]["order_type"] == "limit"
        assert orders[0]["identifier"] == "ws-part-1" and orders[0]["stream_type"] == "REALTIME"
        taker = [m for m in orders if m["state"] == "trade"]
        assert len(taker) == 2 and all(m["is_maker"] is False for m in taker)  # took both levels
        assert all(m["state"] != "done" for m in orders)
        for _ in range(40):
            upbit.clock.advance_ms(250)  # one path step each
            orders += [m for m in await streams.drain(ws, 0.05) if m["type"] == "myOrder"]
            if orders[-1]["state"] == "done":
                break
    trades = [m for m in orders if m["state"] == "trade"]
    assert [m["state"] for m in orders] == ["wait", *["trade"] * len(trades), "done"]
    assert any(m["is_maker"] for m in trades)  # later fills came from the clock
    assert sum(_d(m["volume"]) for m in trades) == volume
    assert len({m["trade_uuid"] for m in trades}) == len(trades)
    for message in trades:
        assert _d(message["price"]) > 0 and _d(message["trade_fee"]) > 0 and message["trade_timestamp"]
    executed = [_d(m["executed_volume"]) for m in trades]
    assert executed == sorted(executed) and executed[-1] == volume
    done = orders[-1]
    assert _d(done["remaining_volume"]) == 0 and done["trades_count"] == len(trades)
    assert _d(done["paid_fee"]) == sum(_d(m["trade_fee"]) for m in trades)
    assert _d(done["locked"]) == 0 and done["trade_uuid"] is None


async def test_my_asset_carries_only_changed_currencies(upbit: Any) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + PRIVATE["upbit"], upbit.token()) as ws:
        await ws.send(streams.request({"type": "myAsset"}))
        book = (await upbit.public("/v1/orderbook", [("markets", "KRW-BTC")])).json()[0]["orderbook_units"]
        resting = str(int(book[0]["bid_price"]) - 5_000_000)
        reply = await upbit.order(market="KRW-BTC", side="bid", ord_type="limit", price=resting, volume="0.01")
        assert reply.status_code == 201
        lock = await streams.recv(ws)
        assert lock["type"] == "myAsset" and lock["stream_type"] == "REALTIME"
        assert [a["currency"] for a in lock["assets"]] == ["KRW"]  # BTC and XRP did not change
        krw = lock["assets"][0]
        assert _d(krw["locked"]) == _d(reply.json()["locked"])
        assert _d(krw["balance"]) + _d(krw["locked"]) == _d("1000000000")
        assert lock["asset_timestamp"] and lock["asset_uuid"]
        await _big_bid(upbit)
        fills = [m for m in await streams.drain(ws, 0.3) if m["type"] == "myAsset"]
        assert {a["currency"] for m in fills for a in m["assets"]} == {"KRW", "BTC"}


async def test_upbit_simple_private_keys(upbit: Any) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + PRIVATE["upbit"], upbit.token()) as ws:
        await ws.send(streams.request(*SUBSCRIBE, fmt="SIMPLE"))
        await _big_bid(upbit)
        messages = await streams.drain(ws, 0.3)
    wait = next(m for m in messages if m.get("ty") == "myOrder")
    assert {"cd", "uid", "ab", "ot", "s", "p", "v", "rv", "ev", "tc", "rsf", "pf", "l", "ef", "otms", "tms"} <= set(
        wait
    )
    trade = next(m for m in messages if m.get("ty") == "myOrder" and m["s"] == "trade")
    assert {"tuid", "tf", "im", "ttms", "ap"} <= set(trade)
    asset = next(m for m in messages if m.get("ty") == "myAsset")
    assert {"astuid", "ast", "asttms"} <= set(asset) and set(asset["ast"][0]) == {"cu", "b", "l"}


async def test_my_order_codes_filter(upbit: Any) -> None:
    async with streams.open_ws(streams.ws_base(upbit) + PRIVATE["upbit"], upbit.token()) as ws:
        await ws.send(streams.request({"type": "myOrder", "codes": ["KRW-XRP"]}))
        await _big_bid(upbit)
        assert await streams.drain(ws, 0.3) == []


async def test_bithumb_v2_names_and_cancel(bithumb: Any) -> None:
    async with streams.open_ws(streams.ws_base(bithumb) + PRIVATE["bithumb"], bithumb.token()) as ws:
        await ws.send(streams.request({"type": "myOrder"}, {"type": "myAsset"}))
        created, volume = await _big_bid(bithumb, "/v2/orders", client_order_id="v2-part-1")
        messages = [m for m in await streams.drain(ws, 0.3) if m["type"] == "myOrder"]
        wait, trade = messages[0], messages[1]
        assert wait["state"] == "wait" and wait["order_id"] == created["order_id"]
        assert wait["order_id"].startswith("C") and wait["side"] == "buy"
        assert wait["client_order_id"] == "v2-part-1" and _d(wait["order_quantity"]) == volume
        assert _d(wait["order_amount"]) == _d(wait["order_price"]) * volume
        for old in ("uuid", "ask_bid", "volume", "price", "remaining_volume", "executed_volume", "trades_count"):
            assert old not in wait
        assert trade["state"] == "trade" and trade["trade_id"] and trade["is_maker"] is False
        assert _d(trade["trade_amount"]) == _d(trade["trade_price"]) * _d(trade["trade_quantity"])
        assert {"remaining_quantity", "executed_quantity", "executed_amount", "trade_fee"} <= set(trade)

        book = (await bithumb.public("/v1/orderbook", [("markets", "KRW-BTC")])).json()[0]["orderbook_units"]
        resting = str(int(book[0]["bid_price"]) - 5_000_000)
        reply = await bithumb.post(
            "/v2/orders",
            {
                "market": "KRW-BTC",
                "side": "ask",
                "order_type": "limit",
                "price": str(int(resting) * 2),
                "volume": "0.01",
                "client_order_id": "v2-cancel",
            },
        )
        assert reply.status_code == 201, reply.text
        order_id = reply.json()["order_id"]
        cancel = await bithumb.delete("/v2/order", [("order_id", order_id)])
        assert cancel.status_code == 200, cancel.text
        bithumb.clock.advance_ms(1)
        ends = [m for m in await streams.drain(ws, 0.3) if m["type"] == "myOrder" and m["order_id"] == order_id]
        assert [m["state"] for m in ends][-1] == "cancel"
        assert ends[-1]["side"] == "sell" and ends[-1]["cancel_type"] == "user_cancel"


async def test_bithumb_v2_simple_keys(bithumb: Any) -> None:
    async with streams.open_ws(streams.ws_base(bithumb) + PRIVATE["bithumb"], bithumb.token()) as ws:
        await ws.send(streams.request({"type": "myOrder"}, fmt="SIMPLE"))
        await _big_bid(bithumb, "/v2/orders", client_order_id="v2-simple")
        messages = await streams.drain(ws, 0.3)
    trade = next(m for m in messages if m["s"] == "trade")
    assert {"oid", "sd", "op", "oq", "oa", "tid", "tp", "tq", "ta", "rq", "eq", "ea", "coid"} <= set(trade)
    assert trade["sd"] == "buy" and trade["coid"] == "v2-simple"
