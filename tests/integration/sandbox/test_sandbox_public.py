"""Quotation endpoints of the sandbox over real sockets (reference A3, B3, D.5-D.7)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from itertools import pairwise
from typing import Any

import pytest
from sibling import load_sibling  # tests/support/sibling.py

peer = load_sibling(__file__, "peer")


@pytest.fixture
async def upbit() -> AsyncIterator[Any]:
    async with peer.running("upbit") as sandbox:
        yield sandbox


@pytest.fixture
async def bithumb() -> AsyncIterator[Any]:
    async with peer.running("bithumb") as sandbox:
        yield sandbox


async def test_market_all_detail_flags_per_profile(upbit: Any, bithumb: Any) -> None:
    plain = (await upbit.public("/v1/market/all")).json()
    assert plain[0] == {"market": "KRW-BTC", "korean_name": "비트코인", "english_name": "Bitcoin"}
    detailed = (await upbit.public("/v1/market/all", [("is_details", "true")])).json()
    xrp = next(row for row in detailed if row["market"] == "KRW-XRP")
    assert xrp["market_event"]["warning"] is True
    assert xrp["market_event"]["caution"]["PRICE_FLUCTUATIONS"] is True
    assert xrp["market_event"]["caution"]["TRADING_VOLUME_SOARING"] is False
    bithumb_rows = (await bithumb.public("/v1/market/all", [("isDetails", "true")])).json()
    assert {row["market"]: row["market_warning"] for row in bithumb_rows} == {"KRW-BTC": "NONE", "KRW-XRP": "CAUTION"}


async def test_ticker_fields_and_unknown_market(upbit: Any) -> None:
    reply = await upbit.public("/v1/ticker", [("markets", "KRW-BTC,KRW-XRP")])
    assert reply.status_code == 200
    rows = reply.json()
    assert [row["market"] for row in rows] == ["KRW-BTC", "KRW-XRP"]
    expected = {
        "trade_date", "trade_time", "trade_date_kst", "trade_time_kst", "trade_timestamp", "opening_price",
        "high_price", "low_price", "trade_price", "prev_closing_price", "change", "change_price", "change_rate",
        "signed_change_price", "signed_change_rate", "trade_volume", "acc_trade_price", "acc_trade_price_24h",
        "acc_trade_volume", "acc_trade_volume_24h", "highest_52_week_price", "highest_52_week_date",
        "lowest_52_week_price", "lowest_52_week_date", "timestamp",
    }  # fmt: skip
    assert expected <= set(rows[0])
    assert isinstance(rows[0]["trade_price"], int | float)
    assert rows[0]["low_price"] <= rows[0]["trade_price"] <= rows[0]["high_price"]
    unknown = await upbit.public("/v1/ticker", [("markets", "KRW-BTC,KRW-NOPE")])
    assert unknown.status_code == 404
    assert unknown.json() == {"error": {"name": 404, "message": "Code not found"}}
    missing = await upbit.public("/v1/ticker")
    assert missing.status_code == 400 and peer.error_name(missing) == 400


async def test_bithumb_optional_http_200_for_public_errors() -> None:
    async with peer.running("bithumb", public_errors_http_200=True) as bithumb:
        reply = await bithumb.public("/v1/ticker", [("markets", "KRW-NOPE")])
        assert reply.status_code == 200
        assert reply.json()["error"]["message"] == "Code not found"


async def test_orderbook_shape_and_depth(upbit: Any, bithumb: Any) -> None:
    book = (await upbit.public("/v1/orderbook", [("markets", "KRW-BTC")])).json()[0]
    assert set(book) == {"market", "timestamp", "total_ask_size", "total_bid_size", "orderbook_units", "level"}
    units = book["orderbook_units"]
    assert len(units) == 30
    assert units[0]["bid_price"] < units[0]["ask_price"]
    assert all(a["ask_price"] < b["ask_price"] for a, b in pairwise(units))
    assert all(a["bid_price"] > b["bid_price"] for a, b in pairwise(units))
    assert (
        len(
            (await upbit.public("/v1/orderbook", [("markets", "KRW-BTC"), ("count", "5")])).json()[0]["orderbook_units"]
        )
        == 5
    )
    two = (await bithumb.public("/v1/orderbook", [("markets", "KRW-BTC,KRW-XRP")])).json()
    assert [len(b["orderbook_units"]) for b in two] == [15, 15]
    one = (await bithumb.public("/v1/orderbook", [("markets", "KRW-BTC")])).json()
    assert len(one[0]["orderbook_units"]) == 30


async def test_instruments_tick_size_is_a_string(upbit: Any, bithumb: Any) -> None:
    rows = (await upbit.public("/v1/orderbook/instruments", [("markets", "KRW-BTC,KRW-XRP")])).json()
    ticks = {row["market"]: row["tick_size"] for row in rows}
    assert ticks == {"KRW-BTC": "1000", "KRW-XRP": "1"}  # 2025-07-31 table: >=1M -> 1000, 100-1000 -> 1
    assert rows[0]["quote_currency"] == "KRW"
    assert (await bithumb.public("/v1/orderbook/instruments", [("markets", "KRW-BTC")])).status_code == 404


async def test_trades_ticks_newest_first_with_cursor(upbit: Any) -> None:
    upbit.clock.advance_ms(10_000)
    rows = (await upbit.public("/v1/trades/ticks", [("market", "KRW-BTC"), ("count", "10")])).json()
    assert len(rows) == 10
    assert {"market", "trade_date_utc", "trade_time_utc", "timestamp", "trade_price", "trade_volume",
            "prev_closing_price", "change_price", "ask_bid", "sequential_id"} == set(rows[0])  # fmt: skip
    assert [r["timestamp"] for r in rows] == sorted((r["timestamp"] for r in rows), reverse=True)
    assert {r["ask_bid"] for r in rows} <= {"ASK", "BID"}
    cursor = rows[4]["sequential_id"]
    older = (
        await upbit.public("/v1/trades/ticks", [("market", "KRW-BTC"), ("count", "5"), ("cursor", str(cursor))])
    ).json()
    assert [r["sequential_id"] for r in older] == [r["sequential_id"] for r in rows[5:10]]


def _utc_key(row: dict[str, Any]) -> str:
    return str(row["candle_date_time_utc"])


async def test_upbit_candles_page_with_exclusive_utc_to(upbit: Any) -> None:
    params = [("market", "KRW-BTC"), ("count", "10")]
    ten = (await upbit.public("/v1/candles/minutes/1", params)).json()
    assert len(ten) == 10
    assert [_utc_key(r) for r in ten] == sorted((_utc_key(r) for r in ten), reverse=True)
    assert set(ten[0]) == {
        "market", "candle_date_time_utc", "candle_date_time_kst", "opening_price", "high_price", "low_price",
        "trade_price", "timestamp", "candle_acc_trade_price", "candle_acc_trade_volume", "unit",
    }  # fmt: skip
    first = (await upbit.public("/v1/candles/minutes/1", [("market", "KRW-BTC"), ("count", "5")])).json()
    to = first[-1]["candle_date_time_utc"]  # naive = UTC on Upbit; exclusive
    second = (await upbit.public("/v1/candles/minutes/1", [("market", "KRW-BTC"), ("count", "5"), ("to", to)])).json()
    assert [_utc_key(r) for r in first + second] == [_utc_key(r) for r in ten]
    with_zone = (
        await upbit.public("/v1/candles/minutes/1", [("market", "KRW-BTC"), ("count", "5"), ("to", f"{to}+00:00")])
    ).json()
    assert with_zone == second
    kst_as_utc = (
        await upbit.public(
            "/v1/candles/minutes/1", [("market", "KRW-BTC"), ("count", "1"), ("to", first[-1]["candle_date_time_kst"])]
        )
    ).json()
    assert kst_as_utc == first[:1]  # a KST string read as UTC lies 9 h ahead: the newest candle comes back


async def test_bithumb_candles_read_naive_to_as_kst(bithumb: Any) -> None:
    ten = (await bithumb.public("/v1/candles/minutes/1", [("market", "KRW-BTC"), ("count", "10")])).json()
    first = ten[:5]
    to = first[-1]["candle_date_time_kst"]
    second = (await bithumb.public("/v1/candles/minutes/1", [("market", "KRW-BTC"), ("count", "5"), ("to", to)])).json()
    assert [_utc_key(r) for r in first + second] == [_utc_key(r) for r in ten]
    utc_string = first[-1]["candle_date_time_utc"]  # read as KST this is 9 h earlier
    earlier = (
        await bithumb.public("/v1/candles/minutes/1", [("market", "KRW-BTC"), ("count", "1"), ("to", utc_string)])
    ).json()
    assert earlier[0]["candle_date_time_kst"] < utc_string
    zoned = await bithumb.public("/v1/candles/minutes/1", [("market", "KRW-BTC"), ("to", f"{to}+09:00")])
    assert zoned.status_code == 400


async def test_candle_units_days_and_count_limit(upbit: Any) -> None:
    five = (await upbit.public("/v1/candles/minutes/5", [("market", "KRW-BTC"), ("count", "3")])).json()
    assert [r["unit"] for r in five] == [5, 5, 5]
    assert all(r["candle_date_time_utc"][14:16] in {f"{m:02d}" for m in range(0, 60, 5)} for r in five)
    days = (await upbit.public("/v1/candles/days", [("market", "KRW-BTC"), ("count", "2")])).json()
    assert days[0]["candle_date_time_utc"] == "2025-09-01T00:00:00"
    assert days[0]["candle_date_time_kst"] == "2025-09-01T09:00:00"
    assert {"prev_closing_price", "change_price", "change_rate"} <= set(days[0])
    too_many = await upbit.public("/v1/candles/minutes/1", [("market", "KRW-BTC"), ("count", "201")])
    assert too_many.status_code == 400
    assert (await upbit.public("/v1/candles/minutes/2", [("market", "KRW-BTC")])).status_code == 400


async def test_quiet_periods_leave_candles_missing() -> None:
    quiet = (peer.MarketSpec("KRW-BTC", "비트코인", "Bitcoin", seed=5, quiet_probability=0.4),)
    async with peer.running("upbit", markets=quiet) as sandbox:
        rows = (await sandbox.public("/v1/candles/minutes/1", [("market", "KRW-BTC"), ("count", "200")])).json()
    starts = [row["candle_date_time_utc"] for row in rows]
    from datetime import datetime

    minutes = [int(datetime.fromisoformat(s).timestamp()) // 60 for s in starts]
    gaps = [a - b for a, b in pairwise(minutes)]
    assert all(gap >= 1 for gap in gaps)
    assert any(gap > 1 for gap in gaps)


async def test_public_candles_follow_the_clock(upbit: Any) -> None:
    before = (await upbit.public("/v1/candles/minutes/1", [("market", "KRW-BTC")])).json()[0]
    upbit.clock.advance_ms(180_000)
    after = (await upbit.public("/v1/candles/minutes/1", [("market", "KRW-BTC")])).json()[0]
    assert after["candle_date_time_utc"] == "2025-09-01T01:03:00"
    assert before["candle_date_time_utc"] == "2025-09-01T01:00:00"
