"""Pure parts of the sandbox WebSocket protocol: request parsing, SIMPLE keys, config round trip."""

from __future__ import annotations

import json

import pytest

from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.faults import FaultSpec
from tradetui.sandbox.ws_simple_keys import simple_keys
from tradetui.sandbox.ws_subscription import StreamError, parse_subscription

MARKETS = ("KRW-BTC", "KRW-ETH")


def _parse(data: object, profile: str = "upbit", is_private: bool = False) -> object:
    return parse_subscription(json.dumps(data), profile=profile, is_private=is_private, markets=MARKETS, max_depth=30)


def test_request_parsing_depths_flags_and_formats() -> None:
    sub = parse_subscription(
        json.dumps(
            [
                {"ticket": "t"},
                {"type": "orderbook", "codes": ["KRW-BTC.5", "KRW-ETH.99", "KRW-ETH", "KRW-BTC.x"]},
                {"type": "trade", "codes": ["KRW-BTC"], "isOnlySnapshot": True},
                {"format": "SIMPLE"},
            ]
        ),
        profile="bithumb",
        is_private=False,
        markets=MARKETS,
        max_depth=15,
    )
    book, trade = sub.types
    assert book.codes == ("KRW-BTC", "KRW-ETH") and book.depths == (5, 15)
    assert trade.is_snapshot and not trade.is_realtime and sub.is_simple


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ({"ticket": "t"}, "WRONG_FORMAT"),
        ([{"type": "trade", "codes": ["KRW-BTC"]}], "NO_TICKET"),
        ([{"ticket": "t"}, {"format": "DEFAULT"}], "NO_TYPE"),
        ([{"ticket": "t"}, {"type": "trade"}], "NO_CODES"),
        ([{"ticket": "t"}, {"type": "trade", "codes": "KRW-BTC"}], "WRONG_FORMAT"),
        ([{"ticket": "t"}, {"type": "orderbook", "codes": ["KRW-BTC"], "level": 1000}], "INVALID_PARAM"),
    ],
)
def test_request_errors(data: object, name: str) -> None:
    with pytest.raises(StreamError) as caught:
        _parse(data)
    assert caught.value.name == name


def test_private_types_only_on_the_private_socket() -> None:
    with pytest.raises(StreamError):
        _parse([{"ticket": "t"}, {"type": "myAsset"}])
    with pytest.raises(StreamError):
        _parse([{"ticket": "t"}, {"type": "ticker", "codes": ["KRW-BTC"]}], is_private=True)
    sub = parse_subscription(
        json.dumps([{"ticket": "t"}, {"type": "myOrder"}]),
        profile="upbit",
        is_private=True,
        markets=MARKETS,
        max_depth=30,
    )
    assert sub.types[0].wants("KRW-ETH") and sub.types[0].is_realtime and not sub.types[0].is_snapshot


def test_simple_keys_per_type() -> None:
    assert simple_keys({"type": "trade", "code": "KRW-BTC", "trade_price": 1, "sequential_id": 2}) == {
        "ty": "trade",
        "cd": "KRW-BTC",
        "tp": 1,
        "sid": 2,
    }
    v2 = simple_keys({"type": "myOrder", "order_id": "C1", "side": "buy", "order_price": 5}, v2=True)
    assert v2 == {"ty": "myOrder", "oid": "C1", "sd": "buy", "op": 5}
    assert simple_keys({"status": "UP"}) == {"status": "UP"}


def test_config_round_trips_faults() -> None:
    config = SandboxConfig(faults=FaultSpec.parse("latency_ms=5-9,ws_drop=3,seed=4"), ws_idle_timeout_s=5)
    assert SandboxConfig.from_json(json.loads(json.dumps(config.to_json()))) == config
