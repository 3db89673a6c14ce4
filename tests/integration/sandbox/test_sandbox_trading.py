"""Orders, balances, fills and cancels of the sandbox over real sockets (reference A4, A5, B4, D.8-D.14)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sibling import load_sibling  # tests/support/sibling.py

peer = load_sibling(__file__, "peer")


@pytest.fixture
async def upbit() -> AsyncIterator[Any]:
    async with peer.running("upbit", cancel_delay_ms=500) as sandbox:
        yield sandbox


@pytest.fixture
async def bithumb() -> AsyncIterator[Any]:
    async with peer.running("bithumb", order_not_ready_ms=200) as sandbox:
        yield sandbox


async def _book(sandbox: Any, market: str = "KRW-BTC") -> dict[str, Any]:
    reply = await sandbox.public("/v1/orderbook", [("markets", market)])
    book: dict[str, Any] = reply.json()[0]
    return book


def _d(text: str) -> Decimal:
    return Decimal(text)


async def test_resting_limit_bid_locks_then_cancel_is_asynchronous(upbit: Any) -> None:
    best_bid = (await _book(upbit))["orderbook_units"][0]["bid_price"]
    price = str(best_bid - 1_000_000)
    reply = await upbit.order(
        market="KRW-BTC", side="bid", volume="0.01", price=price, ord_type="limit", identifier="rest-1"
    )
    assert reply.status_code == 201, reply.text
    order = reply.json()
    assert order["state"] == "wait" and order["identifier"] == "rest-1"
    assert isinstance(order["price"], str) and order["created_at"].endswith("+09:00")
    total = _d(price) * _d("0.01")
    assert _d(order["reserved_fee"]) == total * _d("0.0005")
    assert _d(order["locked"]) == total + _d(order["reserved_fee"])
    balances = await upbit.balances()
    assert _d(balances["KRW"][1]) == _d(order["locked"])
    assert _d(balances["KRW"][0]) == _d("1000000000") - _d(order["locked"])

    cancel = await upbit.delete("/v1/order", [("uuid", order["uuid"])])
    assert cancel.status_code == 200
    assert cancel.json()["state"] == "wait"  # Upbit cancellation is asynchronous (A4.6)
    still = await upbit.get("/v1/order", [("uuid", order["uuid"])])
    assert still.json()["state"] == "wait"
    upbit.clock.advance_ms(500)
    done = (await upbit.get("/v1/order", [("identifier", "rest-1")])).json()
    assert done["state"] == "cancel" and done["locked"] == "0" and done["trades"] == []
    assert (await upbit.balances())["KRW"] == ("1000000000", "0")
    again = await upbit.delete("/v1/order", [("uuid", order["uuid"])])
    assert (again.status_code, peer.error_name(again)) == (404, "order_not_found")


async def test_market_buy_by_amount_ends_cancel_with_fills_and_refund(upbit: Any) -> None:
    reply = await upbit.order(market="KRW-BTC", side="bid", price="1000000", ord_type="price")
    assert reply.status_code == 201, reply.text
    order = reply.json()
    assert order["state"] == "cancel" and order["volume"] is None and order["remaining_volume"] is None
    assert _d(order["executed_volume"]) > 0 and order["trades_count"] >= 1
    spent = _d(order["executed_funds"]) + _d(order["paid_fee"])
    balances = await upbit.balances()
    krw, btc = balances["KRW"], balances["BTC"]
    assert _d(krw[0]) == _d("1000000000") - spent and krw[1] == "0"  # the unspent reserve came back
    assert _d(btc[0]) == _d("2") + _d(order["executed_volume"])
    detail = (await upbit.get("/v1/order", [("uuid", order["uuid"])])).json()
    assert len(detail["trades"]) == order["trades_count"]
    assert {"market", "uuid", "price", "volume", "funds", "trend", "created_at", "side"} == set(detail["trades"][0])


async def test_market_sell_fills_against_bids(upbit: Any) -> None:
    reply = await upbit.order(market="KRW-BTC", side="ask", volume="0.5", ord_type="market")
    order = reply.json()
    assert reply.status_code == 201 and order["state"] == "done" and order["price"] is None
    assert order["executed_volume"] == "0.5" and order["remaining_volume"] == "0"
    btc = (await upbit.balances())["BTC"]
    assert btc == ("1.5", "0")
    proceeds = _d(order["executed_funds"]) - _d(order["paid_fee"])
    assert _d((await upbit.balances())["KRW"][0]) == _d("1000000000") + proceeds


async def test_taking_the_book_leaves_zero_padded_levels(upbit: Any) -> None:
    units = (await _book(upbit))["orderbook_units"]
    top = sum(_d(str(u["ask_price"])) * _d(str(u["ask_size"])) for u in units)
    reply = await upbit.order(market="KRW-BTC", side="bid", price=str(int(top) + 1_000_000), ord_type="price")
    assert reply.json()["state"] == "cancel"
    after = (await _book(upbit))["orderbook_units"]
    assert after[-1]["ask_price"] == 0 and after[-1]["ask_size"] == 0


async def test_validation_reports_the_first_rule_in_d9_order(upbit: Any, bithumb: Any) -> None:
    best = (await _book(upbit))["orderbook_units"][0]["bid_price"]
    # off the tick grid AND under the minimum total -> the tick rule comes first
    reply = await upbit.order(market="KRW-BTC", side="bid", volume="0.00001", price=str(best - 500), ord_type="limit")
    assert (reply.status_code, peer.error_name(reply)) == (400, "invalid_price_bid")
    # too many volume decimals AND under the minimum -> volume first
    reply = await upbit.order(market="KRW-BTC", side="ask", volume="0.000000001", price=str(best), ord_type="limit")
    assert peer.error_name(reply) == "invalid_volume_ask"
    # under the minimum AND unknown identifier policy irrelevant -> under_min_total
    reply = await upbit.order(market="KRW-BTC", side="bid", volume="0.00001", price=str(best), ord_type="limit")
    assert peer.error_name(reply) == "under_min_total_bid"
    # over max total AND more than the balance -> over_krw_funds_bid
    reply = await upbit.order(market="KRW-BTC", side="bid", volume="100", price=str(best), ord_type="limit")
    assert peer.error_name(reply) == "over_krw_funds_bid"
    # more than the balance AND a used identifier -> insufficient funds first
    ok = await upbit.order(
        market="KRW-BTC", side="bid", volume="0.001", price=str(best - 1_000_000), ord_type="limit", identifier="dup"
    )
    assert ok.status_code == 201
    reply = await upbit.order(
        market="KRW-BTC", side="ask", volume="3", price=str(best), ord_type="limit", identifier="dup"
    )
    assert peer.error_name(reply) == "insufficient_funds_ask"
    reply = await upbit.order(
        market="KRW-BTC", side="bid", volume="0.001", price=str(best - 1_000_000), ord_type="limit", identifier="dup"
    )
    assert peer.error_name(reply) == "duplicated_identifier"
    # parameters per ord_type come before the market check
    reply = await upbit.order(market="KRW-NOPE", side="bid", volume="1", price="1000", ord_type="price")
    assert peer.error_name(reply) == "validation_error"
    reply = await upbit.order(market="KRW-NOPE", side="bid", price="10000", ord_type="price")
    assert peer.error_name(reply) == "notfoundmarket"
    reply = await upbit.order(market="KRW-BTC", side="bid", volume="0.001", price=str(best), ord_type="limit",
                              time_in_force="post_only", smp_type="cancel_maker")  # fmt: skip
    assert peer.error_name(reply) == "invalid_post_only"
    # Bithumb names its minimum-total error differently
    reply = await bithumb.order(market="KRW-BTC", side="bid", volume="0.00001", price=str(best), ord_type="limit")
    assert peer.error_name(reply) == "under_price_limit_bid"


async def test_partial_fill_then_later_fills_as_the_clock_advances(upbit: Any) -> None:
    units = (await _book(upbit))["orderbook_units"]
    limit = units[2]["ask_price"]
    available = sum(_d(str(u["ask_size"])) for u in units[:3])
    volume = available + _d("1")
    reply = await upbit.order(market="KRW-BTC", side="bid", volume=str(volume), price=str(limit), ord_type="limit")
    first = reply.json()
    assert first["state"] == "wait", first
    assert _d(first["executed_volume"]) == available and first["trades_count"] == 3
    assert _d(first["remaining_volume"]) == _d("1")
    later = first
    for _ in range(600):
        upbit.clock.advance_ms(1_000)
        later = (await upbit.get("/v1/order", [("uuid", first["uuid"])])).json()
        if later["trades_count"] > first["trades_count"]:
            break
    assert later["trades_count"] > first["trades_count"]
    assert _d(later["executed_volume"]) > _d(first["executed_volume"])
    assert _d(later["paid_fee"]) > _d(first["paid_fee"])
    assert _d(later["remaining_fee"]) < _d(first["remaining_fee"])
    assert all(_d(t["price"]) <= limit for t in later["trades"])
    krw_locked = _d((await upbit.balances())["KRW"][1])
    assert krw_locked == _d(later["locked"])


async def test_ioc_and_post_only(upbit: Any, bithumb: Any) -> None:
    units = (await _book(upbit))["orderbook_units"]
    size = _d(str(units[0]["ask_size"]))
    ioc = (await upbit.order(market="KRW-BTC", side="bid", volume=str(size + 1), price=str(units[0]["ask_price"]),
                             ord_type="limit", time_in_force="ioc")).json()  # fmt: skip
    assert ioc["state"] == "cancel" and _d(ioc["executed_volume"]) == size
    post = (await upbit.order(market="KRW-BTC", side="bid", volume="0.001", price=str(units[1]["ask_price"]),
                              ord_type="limit", time_in_force="post_only")).json()  # fmt: skip
    assert post["state"] == "cancel" and post["executed_volume"] == "0"
    bunits = (await _book(bithumb))["orderbook_units"]
    bsize = _d(str(bunits[0]["ask_size"]))
    bioc = (await bithumb.order(market="KRW-BTC", side="bid", volume=str(bsize + 1), price=str(bunits[0]["ask_price"]),
                                ord_type="limit", time_in_force="ioc")).json()  # fmt: skip
    assert bioc["state"] == "done" and bioc["cancel_type"] == "tif_cancel"  # Bithumb: IOC partial ends done


async def test_bithumb_ids_not_ready_window_and_cancel_type(bithumb: Any) -> None:
    best = (await _book(bithumb))["orderbook_units"][0]["bid_price"]
    reply = await bithumb.order(market="KRW-BTC", side="bid", volume="0.001", price=str(best - 1_000_000),
                                ord_type="limit", client_order_id="my-order_1")  # fmt: skip
    order = reply.json()
    assert reply.status_code == 201
    assert order["uuid"].startswith("C") and order["uuid"][1:].isdigit()
    assert order["client_order_id"] == "my-order_1"
    early = await bithumb.get("/v1/order", [("uuid", order["uuid"])])
    assert (early.status_code, peer.error_name(early)) == (422, "order_not_ready")
    early_cancel = await bithumb.delete("/v1/order", [("uuid", order["uuid"])])
    assert early_cancel.status_code == 422
    bithumb.clock.advance_ms(200)
    assert (await bithumb.get("/v1/order", [("client_order_id", "my-order_1")])).json()["uuid"] == order["uuid"]
    assert (await bithumb.delete("/v1/order", [("uuid", order["uuid"])])).status_code == 200
    bithumb.clock.advance_ms(1)
    done = (await bithumb.get("/v1/order", [("uuid", order["uuid"])])).json()
    assert done["state"] == "cancel" and done["cancel_type"] == "user_cancel"
    listed = (await bithumb.get("/v1/orders", [("states[]", "wait"), ("states[]", "cancel")])).json()
    assert [o["uuid"] for o in listed] == [order["uuid"]]


async def test_bithumb_client_order_id_reuse_policies(bithumb: Any) -> None:
    best = (await _book(bithumb))["orderbook_units"][0]["bid_price"]
    body = {"market": "KRW-BTC", "side": "bid", "volume": "0.001", "price": str(best - 1_000_000), "ord_type": "limit",
            "client_order_id": "again"}  # fmt: skip
    first = (await bithumb.post("/v1/orders", body)).json()
    second = (await bithumb.post("/v1/orders", body)).json()
    assert second["uuid"] == first["uuid"]
    async with peer.running("bithumb", client_order_id_policy="reject") as strict:
        assert (await strict.post("/v1/orders", body)).status_code == 201
        refused = await strict.post("/v1/orders", body)
        assert peer.error_name(refused) == "duplicated_identifier"
    bad = await bithumb.post("/v1/orders", {**body, "client_order_id": "no spaces"})
    assert peer.error_name(bad) == "invalid_parameter"


async def test_bithumb_v2_create_returns_only_ids(bithumb: Any) -> None:
    best = (await _book(bithumb))["orderbook_units"][0]["bid_price"]
    reply = await bithumb.post("/v2/orders", {"market": "KRW-BTC", "side": "bid", "order_type": "limit",
                                              "price": str(best - 1_000_000), "volume": "0.001"})  # fmt: skip
    assert reply.status_code == 201, reply.text
    assert set(reply.json()) == {"order_id", "market", "side", "order_type", "created_at"}


async def test_upbit_lists_and_batch_cancel(upbit: Any) -> None:
    best = (await _book(upbit))["orderbook_units"][0]["bid_price"]
    ids = []
    for n in range(3):
        reply = await upbit.order(market="KRW-BTC", side="bid", volume="0.001", price=str(best - 1_000_000 - n * 1000),
                                  ord_type="limit", identifier=f"b{n}")  # fmt: skip
        ids.append(reply.json()["uuid"])
    page = (await upbit.get("/v1/orders/open", [("market", "KRW-BTC"), ("limit", "2"), ("page", "1")])).json()
    assert [o["uuid"] for o in page] == [ids[2], ids[1]]
    page2 = (await upbit.get("/v1/orders/open", [("limit", "2"), ("page", "2")])).json()
    assert [o["uuid"] for o in page2] == [ids[0]]
    batch = await upbit.delete(
        "/v1/orders/uuids", [("uuids[]", ids[0]), ("uuids[]", "missing"), ("identifiers[]", "b1")]
    )
    body = batch.json()
    assert body["success"]["count"] == 2 and body["failed"]["count"] == 1
    assert {o["uuid"] for o in body["success"]["orders"]} == {ids[0], ids[1]}
    assert body["failed"]["orders"][0]["uuid"] == "missing"
    upbit.clock.advance_ms(500)
    closed = (await upbit.get("/v1/orders/closed", [("states[]", "cancel")])).json()
    assert {o["uuid"] for o in closed} == {ids[0], ids[1]}
    wide = await upbit.get(
        "/v1/orders/closed", [("start_time", "2025-08-01T00:00:00"), ("end_time", "2025-09-01T00:00:00")]
    )
    assert peer.error_name(wide) == "validation_error"


async def test_chance_reports_fees_and_limits(upbit: Any, bithumb: Any) -> None:
    chance = (await upbit.get("/v1/orders/chance", [("market", "KRW-BTC")])).json()
    assert chance["bid_fee"] == "0.0005" and chance["maker_ask_fee"] == "0.0005"
    assert chance["market"]["bid"] == {"currency": "KRW", "min_total": "5000"}
    assert chance["market"]["max_total"] == "1000000000"
    assert chance["ask_account"]["currency"] == "BTC" and chance["ask_account"]["balance"] == "2"
    assert (await bithumb.get("/v1/orders/chance", [("market", "KRW-BTC")])).json()["bid_fee"] == "0.0025"


async def test_snapshot_restore_keeps_orders_and_balances(upbit: Any) -> None:
    import json

    best = (await _book(upbit))["orderbook_units"][0]["bid_price"]
    order = (
        await upbit.order(market="KRW-BTC", side="bid", volume="0.001", price=str(best - 1_000_000), ord_type="limit")
    ).json()
    text = json.dumps(upbit.state.snapshot())
    restored = peer.SandboxState.restore(json.loads(text), clock=upbit.clock)
    again = restored.engine.orders[order["uuid"]]
    assert again.state == "wait" and again.to_wire("upbit") == upbit.state.engine.orders[order["uuid"]].to_wire("upbit")
    assert restored.accounts[peer.ACCESS].wire_rows() == upbit.state.accounts[peer.ACCESS].wire_rows()
    restored.engine.request_cancel(again, upbit.clock.now_ms())
    upbit.clock.advance_ms(500)
    restored.advance()
    assert restored.accounts[peer.ACCESS].holding("KRW").locked == 0


async def test_snapshot_keeps_used_nonces(upbit: Any) -> None:
    import json

    assert (await upbit.get("/v1/accounts", nonce="once")).status_code == 200
    restored = peer.SandboxState.restore(json.loads(json.dumps(upbit.state.snapshot())), clock=upbit.clock)
    assert (peer.ACCESS, "once") in restored.nonces


async def test_replays_a_candle_file_and_holds_at_its_end(tmp_path: Any) -> None:
    rows = ["ts,open,high,low,close,volume"]
    for minute in range(6):
        price = 1000 + 10 * minute
        rows.append(f"{peer.START_MS // 1000 - 180 + 60 * minute},{price},{price + 5},{price - 5},{price + 3},12.5")
    path = tmp_path / "replay.csv"
    path.write_text("\n".join(rows) + "\n")
    spec = peer.MarketSpec("KRW-XRP", "리플", "XRP", candles_csv=str(path))
    async with peer.running("upbit", markets=(spec,), history_minutes=3, speed=1 / 60) as sandbox:
        history = (await sandbox.public("/v1/candles/minutes/1", [("market", "KRW-XRP"), ("count", "10")])).json()
        # three history minutes, then the live minute whose first step (the open) printed at the start
        assert [c["opening_price"] for c in history] == [1030, 1020, 1010, 1000]
        sandbox.clock.advance_ms(10 * 60_000)
        played = (await sandbox.public("/v1/candles/minutes/1", [("market", "KRW-XRP"), ("count", "10")])).json()
        assert [c["trade_price"] for c in played[:3]] == [1053, 1043, 1033]
        assert played[0]["candle_date_time_utc"] == "2025-09-01T01:02:00"


async def test_events_follow_each_order(upbit: Any) -> None:
    queue = upbit.state.events.subscribe()
    reply = await upbit.order(market="KRW-BTC", side="ask", volume="0.01", ord_type="market")
    order = reply.json()
    kinds = []
    assets = []
    while not queue.empty():
        event = queue.get_nowait()
        if type(event).__name__ == "OrderChanged" and event.order["uuid"] == order["uuid"]:
            kinds.append(event.kind)
        elif type(event).__name__ == "AssetChanged":
            assets.append({row[0] for row in event.assets})
    assert kinds[0] == "wait" and kinds[-1] == "done"
    assert kinds.count("trade") == order["trades_count"]
    assert {"BTC"} in assets and {"KRW", "BTC"} in assets
    upbit.state.events.unsubscribe(queue)


async def test_random_orders_conserve_cash_and_coin() -> None:
    import random

    rng = random.Random(7)
    async with peer.running("upbit", cancel_delay_ms=300) as sandbox:
        state, clock = sandbox.state, sandbox.clock
        account = state.accounts[peer.ACCESS]
        placed: list[Any] = []
        for _ in range(300):
            state.advance()
            now = clock.now_ms()
            best = state.markets["KRW-BTC"].best_bid(now)
            assert best is not None
            kind = rng.choice(["limit_bid", "limit_ask", "price", "market", "cancel"])
            offset = Decimal(rng.randint(-5, 5) * 1000)
            fields = {
                "limit_bid": {"side": "bid", "ord_type": "limit", "price": str(best + offset), "volume": "0.01"},
                "limit_ask": {"side": "ask", "ord_type": "limit", "price": str(best + offset), "volume": "0.01"},
                "price": {"side": "bid", "ord_type": "price", "price": "700000"},
                "market": {"side": "ask", "ord_type": "market", "volume": "0.012"},
            }.get(kind)
            if fields is None:
                open_orders = [o for o in placed if o.is_open]
                if open_orders:
                    state.engine.request_cancel(rng.choice(open_orders), now)
            else:
                order, _ = state.engine.place(account, {"market": "KRW-BTC", **fields}, now)
                placed.append(order)
            clock.advance_ms(rng.randint(0, 2000))
        state.advance()
        krw, btc = account.holding("KRW"), account.holding("BTC")
        bids = [o for o in placed if o.side == "bid"]
        asks = [o for o in placed if o.side == "ask"]
        spent = sum((o.executed_funds + o.paid_fee for o in bids), Decimal(0))
        earned = sum((o.executed_funds - o.paid_fee for o in asks), Decimal(0))
        assert krw.balance + krw.locked == Decimal("1000000000") - spent + earned
        bought = sum((o.executed_volume for o in bids), Decimal(0))
        sold = sum((o.executed_volume for o in asks), Decimal(0))
        assert btc.balance + btc.locked == Decimal("2") + bought - sold
        assert krw.locked == sum((o.locked for o in bids if o.is_open), Decimal(0))
        assert btc.locked == sum((o.locked for o in asks if o.is_open), Decimal(0))
        assert min(krw.balance, btc.balance, krw.locked, btc.locked) >= 0
        assert all(o.locked == 0 for o in placed if not o.is_open)
        assert {o.state for o in placed} >= {"done", "cancel"}


async def test_upbit_cancel_and_new_replaces_the_order(upbit: Any) -> None:
    best = (await _book(upbit))["orderbook_units"][0]["bid_price"]
    first = (
        await upbit.order(market="KRW-BTC", side="bid", volume="0.01", price=str(best - 1_000_000), ord_type="limit")
    ).json()
    body = {"prev_order_uuid": first["uuid"], "new_ord_type": "limit", "new_price": str(best - 900_000),
            "new_volume": "remain_only", "new_identifier": "replacement"}  # fmt: skip
    reply = await upbit.post("/v1/orders/cancel_and_new", body)
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["uuid"] == first["uuid"] and answer["new_order_identifier"] == "replacement"
    old = (await upbit.get("/v1/order", [("uuid", first["uuid"])])).json()
    new = (await upbit.get("/v1/order", [("uuid", answer["new_order_uuid"])])).json()
    assert old["state"] == "cancel" and new["state"] == "wait" and new["volume"] == "0.01"
    assert _d((await upbit.balances())["KRW"][1]) == _d(new["locked"])
