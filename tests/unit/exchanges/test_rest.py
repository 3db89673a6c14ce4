"""ExchangeClient against httpx.MockTransport: what goes on the wire, and what comes back."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import jwt
import pytest

from tradetui.core.clock import SimClock
from tradetui.core.market import Timeframe
from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.types import Side
from tradetui.exchanges.errors import InvalidOrderParameter, MissingToken, UnsupportedEndpoint
from tradetui.exchanges.profiles import BITHUMB, UPBIT, ExchangeProfile
from tradetui.exchanges.ratelimit import RateBudget
from tradetui.exchanges.rest import ExchangeClient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ACCESS = "access-key-for-tests"
SECRET = "secret-key-for-tests-" + "x" * 48
NOW_MS = 1_756_685_000_000  # 2025-09-01T00:03:20Z


def fixture(exchange: str, name: str) -> Any:
    return json.loads((FIXTURES / exchange / f"{name}.json").read_text())


Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Records every request and answers with ``respond``."""

    def __init__(self, respond: Handler) -> None:
        self.respond = respond
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.respond(request)


def answer(data: Any, status: int = 200) -> Handler:
    return lambda _request: httpx.Response(status, json=data)


def make_client(profile: ExchangeProfile, respond: Handler, *, keys: bool = True) -> tuple[ExchangeClient, Recorder]:
    recorder = Recorder(respond)
    clock = SimClock(NOW_MS)

    async def sleep(seconds: float) -> None:
        clock.advance_ms(round(seconds * 1000))

    budget = RateBudget(profile, clock=clock, sleep=sleep, rng=random.Random(1))
    client = ExchangeClient(
        profile,
        access_key=ACCESS if keys else None,
        secret_key=SECRET if keys else None,
        http=httpx.AsyncClient(transport=httpx.MockTransport(recorder)),
        budget=budget,
    )
    return client, recorder


def claims_of(request: httpx.Request, profile: ExchangeProfile) -> dict[str, Any]:
    auth = request.headers["Authorization"]
    assert auth.startswith("Bearer ")
    token = auth.removeprefix("Bearer ")
    assert jwt.get_unverified_header(token)["alg"] == profile.jwt_alg
    return jwt.decode(token, SECRET, algorithms=[profile.jwt_alg])


def sent_hash_string(request: httpx.Request, profile: ExchangeProfile) -> str:
    """The string the server would hash, rebuilt from what was actually sent."""
    if request.method == "POST":
        body = json.loads(request.content, object_pairs_hook=list)
        if profile.hash_encodes_values:
            return "&".join(f"{k}={quote(v, safe='')}" for k, v in body)
        return "&".join(f"{k}={v}" for k, v in body)
    raw = request.url.query.decode()
    return raw if profile.hash_encodes_values else unquote(raw)


def assert_signed(request: httpx.Request, profile: ExchangeProfile) -> dict[str, Any]:
    claims = claims_of(request, profile)
    assert claims["access_key"] == ACCESS
    text = sent_hash_string(request, profile)
    if text:
        assert claims["query_hash"] == hashlib.sha512(text.encode()).hexdigest()
        assert claims["query_hash_alg"] == "SHA512"
    else:
        assert "query_hash" not in claims
    if profile.requires_timestamp_claim:
        assert claims["timestamp"] == NOW_MS
    else:
        assert "timestamp" not in claims
    return claims


# --- market data -------------------------------------------------------------------------------------


async def test_markets_is_public_and_sends_the_detail_flag_per_exchange() -> None:
    client, rec = make_client(UPBIT, answer(fixture("upbit", "market_all")))
    markets = await client.markets()
    assert [m.market for m in markets] == ["KRW-BTC", "KRW-XRP"]
    assert rec.requests[0].url.path == "/v1/market/all"
    assert rec.requests[0].url.query == b"is_details=true"
    assert "Authorization" not in rec.requests[0].headers
    client, rec = make_client(BITHUMB, answer(fixture("bithumb", "market_all")), keys=False)
    await client.markets()
    assert rec.requests[0].url.query == b"isDetails=true"
    assert rec.requests[0].url.host == "api.bithumb.com"


async def test_candles_page_is_oldest_first_with_upbit_utc_to() -> None:
    client, rec = make_client(UPBIT, answer(fixture("upbit", "candles_minutes")))
    bars = await client.candles("KRW-BTC", Timeframe.M1, to_ms=1_756_684_980_000, count=3)
    assert [b.ts_s for b in bars] == [1_756_684_800, 1_756_684_860, 1_756_684_920]
    request = rec.requests[0]
    assert request.url.path == "/v1/candles/minutes/1"
    assert dict(request.url.params) == {"market": "KRW-BTC", "to": "2025-09-01T00:03:00Z", "count": "3"}


async def test_bithumb_candle_to_is_naive_kst_and_days_path() -> None:
    client, rec = make_client(BITHUMB, answer(fixture("bithumb", "candles_days")))
    await client.candles("KRW-BTC", Timeframe.D1, to_ms=1_756_684_980_500)
    request = rec.requests[0]
    assert request.url.path == "/v1/candles/days"
    assert request.url.params["to"] == "2025-09-01T09:03:01"  # rounded up: `to` is exclusive


async def test_count_is_validated_before_sending() -> None:
    client, rec = make_client(UPBIT, answer([]))
    with pytest.raises(ValueError, match="count"):
        await client.candles("KRW-BTC", Timeframe.M1, count=201)
    assert rec.requests == []


def candle_server(history_s: list[int], calls: list[str]) -> Handler:
    """Serves 1m candles from ``history_s`` newest first, `to` exclusive (Upbit UTC form)."""

    def respond(request: httpx.Request) -> httpx.Response:
        to_text = request.url.params["to"]
        calls.append(to_text)
        to_s = int(datetime.strptime(to_text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
        count = int(request.url.params["count"])
        chosen = sorted((t for t in history_s if t < to_s), reverse=True)[:count]
        items = [
            {
                "market": "KRW-BTC",
                "candle_date_time_utc": datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "opening_price": 100.0,
                "high_price": 101.0,
                "low_price": 99.0,
                "trade_price": 100.5,
                "candle_acc_trade_volume": 1.5,
                "timestamp": t * 1000 + 59_000,
                "unit": 1,
            }
            for t in chosen
        ]
        return httpx.Response(200, json=items)

    return respond


async def test_candles_between_pages_backwards_without_duplicates_or_gaps() -> None:
    start_s = 1_756_684_800
    history = [start_s + 60 * i for i in range(600) if i not in (250, 251, 252)]  # a quiet gap
    calls: list[str] = []
    client, _ = make_client(UPBIT, candle_server(history, calls))
    first, last = start_s + 60 * 100, start_s + 60 * 550
    pages = [page async for page in client.candles_between("KRW-BTC", Timeframe.M1, first * 1000, last * 1000)]
    got = [bar.ts_s for page in pages for bar in page]
    assert sorted(got) == [t for t in history if first <= t < last]
    assert len(got) == len(set(got))
    assert all(page == sorted(page, key=lambda b: b.ts_s) for page in pages)
    assert len(calls) == 3
    assert calls[0] == datetime.fromtimestamp(last, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert calls[1] == datetime.fromtimestamp(pages[0][0].ts_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_candles_between_stops_at_the_start_of_history() -> None:
    start_s = 1_756_684_800
    calls: list[str] = []
    client, _ = make_client(UPBIT, candle_server([start_s + 60 * i for i in range(250)], calls))
    pages = [p async for p in client.candles_between("KRW-BTC", Timeframe.M1, 0, (start_s + 60 * 1000) * 1000)]
    assert sum(len(p) for p in pages) == 250
    assert len(calls) == 2  # the second page is short: the market's history begins there


async def test_ticker_orderbook_trades_instruments_queries() -> None:
    routes = {
        "/v1/ticker": fixture("upbit", "ticker"),
        "/v1/orderbook": fixture("upbit", "orderbook"),
        "/v1/trades/ticks": fixture("upbit", "trades"),
        "/v1/orderbook/instruments": fixture("upbit", "instruments"),
    }
    client, rec = make_client(UPBIT, lambda r: httpx.Response(200, json=routes[r.url.path]))
    tickers = await client.ticker(["KRW-BTC", "KRW-ETH"])
    books = await client.orderbook(["KRW-BTC"], count=15)
    ticks = await client.trades("KRW-BTC", count=2)
    sizes = await client.tick_sizes(["KRW-BTC", "KRW-XRP"])
    assert tickers[0].trade_price == Decimal("116550000")
    assert books[0].best_bid == Decimal("116550000")
    assert [t.ts_ms for t in ticks] == sorted(t.ts_ms for t in ticks)
    assert sizes["KRW-XRP"].tick_size == Decimal("1")
    assert [r.url.params.get("markets") for r in rec.requests] == [
        "KRW-BTC,KRW-ETH",
        "KRW-BTC",
        None,
        "KRW-BTC,KRW-XRP",
    ]
    assert rec.requests[1].url.params["count"] == "15"
    assert dict(rec.requests[2].url.params) == {"market": "KRW-BTC", "count": "2"}


async def test_bithumb_has_no_tick_size_endpoint() -> None:
    client, rec = make_client(BITHUMB, answer([]))
    with pytest.raises(UnsupportedEndpoint):
        await client.tick_sizes(["KRW-BTC"])
    assert rec.requests == []


# --- account and orders ------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [UPBIT, BITHUMB], ids=["upbit", "bithumb"])
async def test_accounts_are_signed_without_a_query_hash(profile: ExchangeProfile) -> None:
    client, rec = make_client(profile, answer(fixture(profile.exchange.value, "accounts")))
    balances = await client.accounts()
    assert "KRW" in balances
    assert rec.requests[0].url.path == "/v1/accounts"
    assert_signed(rec.requests[0], profile)


@pytest.mark.parametrize("profile", [UPBIT, BITHUMB], ids=["upbit", "bithumb"])
async def test_order_chance_hash_matches_the_query(profile: ExchangeProfile) -> None:
    client, rec = make_client(profile, answer(fixture(profile.exchange.value, "chance")))
    chance = await client.order_chance("KRW-BTC")
    assert chance.market == "KRW-BTC"
    claims = assert_signed(rec.requests[0], profile)
    assert claims["query_hash"] == hashlib.sha512(b"market=KRW-BTC").hexdigest()


def limit_bid(identifier: str = "tt-19907a3c2a0-0000002a") -> Order:
    return Order(
        identifier=identifier,
        market="KRW-BTC",
        side=Side.BID,
        ord_type=OrdType.LIMIT,
        price=Decimal("100000000"),
        volume=Decimal("0.01"),
        created_ms=NOW_MS,
        purpose="entry",
        strategy="sma_cross",
    )


async def test_place_limit_sends_one_ordered_list_for_body_and_hash() -> None:
    client, rec = make_client(UPBIT, answer(fixture("upbit", "order_create"), 201))
    placed = await client.place(limit_bid())
    request = rec.requests[0]
    assert (request.method, request.url.path, request.url.query) == ("POST", "/v1/orders", b"")
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.content == (
        b'{"market":"KRW-BTC","side":"bid","volume":"0.01","price":"100000000",'
        b'"ord_type":"limit","identifier":"tt-19907a3c2a0-0000002a"}'
    )
    claims = assert_signed(request, UPBIT)
    expected = "market=KRW-BTC&side=bid&volume=0.01&price=100000000&ord_type=limit&identifier=tt-19907a3c2a0-0000002a"
    assert claims["query_hash"] == hashlib.sha512(expected.encode()).hexdigest()
    assert placed.exchange_id == "cdd92199-2897-4e14-9448-f923320408ad"
    assert placed.state is OrderState.WAIT
    assert (placed.purpose, placed.strategy) == ("entry", "sma_cross")


async def test_place_market_buy_sends_price_only_and_market_sell_volume_only() -> None:
    client, rec = make_client(UPBIT, answer(fixture("upbit", "order_get_price_cancel"), 201))
    buy = Order("tt-mb-1", "KRW-XRP", Side.BID, OrdType.PRICE, Decimal("10000"), None, NOW_MS)
    await client.place(buy)
    body = json.loads(rec.requests[0].content, object_pairs_hook=list)
    assert body == [
        ("market", "KRW-XRP"),
        ("side", "bid"),
        ("price", "10000"),
        ("ord_type", "price"),
        ("identifier", "tt-mb-1"),
    ]
    client, rec = make_client(BITHUMB, answer(fixture("bithumb", "order_create"), 201))
    sell = Order("tt-19907a3c2a0-0000002b", "KRW-ETH", Side.ASK, OrdType.MARKET, None, Decimal("1E-1"), NOW_MS)
    placed = await client.place(sell)
    body = json.loads(rec.requests[0].content, object_pairs_hook=list)
    assert body == [
        ("market", "KRW-ETH"),
        ("side", "ask"),
        ("volume", "0.1"),
        ("ord_type", "market"),
        ("client_order_id", "tt-19907a3c2a0-0000002b"),
    ]
    assert_signed(rec.requests[0], BITHUMB)
    assert placed.exchange_id == "C0101000001234567890"


async def test_bithumb_refuses_a_client_id_it_cannot_take_before_sending() -> None:
    client, rec = make_client(BITHUMB, answer({}, 201))
    with pytest.raises(InvalidOrderParameter, match="client_order_id"):
        await client.place(limit_bid("has a space"))
    with pytest.raises(InvalidOrderParameter):
        await client.place(limit_bid("x" * 37))
    assert rec.requests == []


@pytest.mark.parametrize(
    ("profile", "key"), [(UPBIT, "identifier"), (BITHUMB, "client_order_id")], ids=["upbit", "bithumb"]
)
async def test_get_order_by_identifier(profile: ExchangeProfile, key: str) -> None:
    name = profile.exchange.value
    client, rec = make_client(profile, answer(fixture(name, "order_get")))
    ident = fixture(name, "order_get")[key]
    order, fills = await client.get_order(identifier=ident)
    request = rec.requests[0]
    assert (request.method, request.url.path) == ("GET", "/v1/order")
    assert dict(request.url.params) == {key: ident}
    assert_signed(request, profile)
    assert order.identifier == ident and len(fills) == 2
    await client.get_order(uuid="u-1", identifier=ident)
    assert dict(rec.requests[1].url.params) == {"uuid": "u-1"}


async def test_open_orders_upbit_pages_with_bracketed_states() -> None:
    one = fixture("upbit", "orders_open")[1]
    pages = {"1": [dict(one, uuid=f"u-{i}") for i in range(100)], "2": [one]}
    client, rec = make_client(UPBIT, lambda r: httpx.Response(200, json=pages[r.url.params["page"]]))
    orders = await client.open_orders("KRW-BTC")
    assert len(orders) == 101
    assert rec.requests[0].url.path == "/v1/orders/open"
    assert rec.requests[0].url.query == (b"market=KRW-BTC&states[]=wait&states[]=watch&page=1&limit=100&order_by=desc")
    assert_signed(rec.requests[0], UPBIT)
    assert rec.requests[1].url.params["page"] == "2"


async def test_open_orders_bithumb_uses_the_combined_list_with_state_wait() -> None:
    client, rec = make_client(BITHUMB, answer(fixture("bithumb", "orders_open")))
    orders = await client.open_orders()
    assert orders[0].identifier == "tt-open-1"
    assert rec.requests[0].url.path == "/v1/orders"
    assert rec.requests[0].url.query == b"state=wait&page=1&limit=100&order_by=desc"
    assert_signed(rec.requests[0], BITHUMB)


async def test_closed_orders_upbit_time_window() -> None:
    client, rec = make_client(UPBIT, answer(fixture("upbit", "orders_closed")))
    start, end = NOW_MS - 2 * 86_400_000, NOW_MS
    orders = await client.closed_orders("KRW-BTC", start, end)
    assert len(orders) == 2
    params = rec.requests[0].url.params
    assert params.get_list("states[]") == ["done", "cancel"]
    assert params["start_time"] == "2025-08-30T00:03:20Z" and params["end_time"] == "2025-09-01T00:03:20Z"
    assert rec.requests[0].url.path == "/v1/orders/closed"
    assert_signed(rec.requests[0], UPBIT)  # hash over the unencoded ':' form
    with pytest.raises(ValueError, match="7 days"):
        await client.closed_orders(start_ms=0, end_ms=8 * 86_400_000)


async def test_closed_orders_bithumb_filters_by_creation_time() -> None:
    client, rec = make_client(BITHUMB, answer(fixture("bithumb", "orders_closed")))
    orders = await client.closed_orders(start_ms=NOW_MS - 86_400_000)
    assert [o.exchange_id for o in orders] == ["C0101000001234567890"]
    assert rec.requests[0].url.query.startswith(b"states[]=done&states[]=cancel&page=1")


async def test_cancel_sends_delete_with_the_id() -> None:
    client, rec = make_client(UPBIT, answer(fixture("upbit", "order_cancel")))
    order = await client.cancel(uuid="cdd92199-2897-4e14-9448-f923320408ad")
    assert order.state is OrderState.WAIT  # cancellation is asynchronous
    request = rec.requests[0]
    assert (request.method, request.url.path) == ("DELETE", "/v1/order")
    assert request.url.query == b"uuid=cdd92199-2897-4e14-9448-f923320408ad"
    assert_signed(request, UPBIT)


async def test_public_only_client_refuses_private_calls_without_sending() -> None:
    client, rec = make_client(UPBIT, answer([]), keys=False)
    with pytest.raises(MissingToken):
        await client.accounts()
    assert rec.requests == []


async def test_base_url_override_for_the_sandbox() -> None:
    recorder = Recorder(answer(fixture("upbit", "ticker")))
    client = ExchangeClient(
        UPBIT, http=httpx.AsyncClient(transport=httpx.MockTransport(recorder)), base_url="http://127.0.0.1:8765/"
    )
    async with client:
        await client.ticker(["KRW-BTC"])
    assert str(recorder.requests[0].url).startswith("http://127.0.0.1:8765/v1/ticker?")
