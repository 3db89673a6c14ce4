"""History documents survive JSON: orders, closed trades and score grids → dicts → JSON → equal values;
malformed ones raise ``ValueError`` naming the bad field."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from tradetui.control.wire_history import (
    closed_trade_from_dict,
    closed_trade_to_dict,
    history_order_from_dict,
    history_order_to_dict,
    scores_from_dict,
    scores_to_dict,
)
from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side

LIMIT_SELL = Order(
    "id-2",
    "KRW-ETH",
    Side.ASK,
    OrdType.LIMIT,
    Decimal("4321000.5"),
    Decimal("0.00012345"),
    1_700_000_000_000,
    OrderState.WAIT,
    exchange_id="uuid-9",
    executed_volume=Decimal("0.0001"),
    executed_funds=Decimal("432.10005"),
    paid_fee=Decimal("0.216050025"),
    updated_ms=1_700_000_000_500,
    purpose="take_profit",
    strategy="breakout",
    reason='partly "filled" ✓',
)
MARKET_BUY = Order("id-1", "KRW-BTC", Side.BID, OrdType.PRICE, Decimal("1E+4"), None, 5)
TRADE = ClosedTrade(
    "KRW-BTC",
    "breakout",
    1,
    2,
    Decimal("0.05185538"),
    Decimal("48211000"),
    Decimal("47464000"),
    Decimal("-41216.60060075"),
    Decimal("2480.63174075"),
    "stop",
)


def _through_json(data: object) -> Any:
    return json.loads(json.dumps(data, allow_nan=False))


@pytest.mark.parametrize("order", [LIMIT_SELL, MARKET_BUY], ids=["limit-sell", "market-buy"])
def test_an_order_round_trips_with_decimals_as_strings(order: Order) -> None:
    data = _through_json(history_order_to_dict(order))
    assert data["side"] == order.side.value and data["state"] == order.state.value
    assert data["executed_funds"] == str(order.executed_funds)
    back = history_order_from_dict(data)
    assert back == order
    assert back.price is not None and str(back.price) == str(order.price)  # the exponent survives too


def test_a_closed_trade_round_trips() -> None:
    data = _through_json(closed_trade_to_dict(TRADE))
    assert data["pnl"] == "-41216.60060075"
    assert closed_trade_from_dict(data) == TRADE


def test_a_trade_closed_by_several_sells_says_so_and_an_older_engine_means_one() -> None:
    partial = replace(TRADE, exit_fills=3)
    data = _through_json(closed_trade_to_dict(partial))
    assert data["exit_fills"] == 3
    assert closed_trade_from_dict(data) == partial and closed_trade_from_dict(data).has_partial_exits
    del data["exit_fills"]  # what an engine from before the field sends
    assert closed_trade_from_dict(data).exit_fills == 1


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("side", "buy", "'side'"),
        ("state", "filled", "'state'"),
        ("ord_type", None, "'ord_type'"),
        ("price", 4321000.5, "'price'"),  # a float is not money
        ("price", "NaN", "'price'"),
        ("executed_volume", "abc", "'executed_volume'"),
        ("created_ms", "5", "'created_ms'"),
        ("created_ms", True, "'created_ms'"),
        ("exchange_id", 7, "'exchange_id'"),
        ("reason", None, "'reason'"),
    ],
)
def test_a_malformed_order_names_the_field(key: str, value: object, message: str) -> None:
    data = {**history_order_to_dict(LIMIT_SELL), key: value}
    with pytest.raises(ValueError, match=message):
        history_order_from_dict(data)


def test_an_order_with_a_missing_field_or_the_wrong_shape_is_refused() -> None:
    data = history_order_to_dict(LIMIT_SELL)
    del data["paid_fee"]
    with pytest.raises(ValueError, match="missing 'paid_fee'"):
        history_order_from_dict(data)
    with pytest.raises(ValueError, match="market buy"):  # a volume on a KRW-amount buy
        history_order_from_dict({**history_order_to_dict(MARKET_BUY), "volume": "1"})
    with pytest.raises(ValueError, match="expected an object"):
        history_order_from_dict([])


@pytest.mark.parametrize(
    ("key", "value"),
    [("pnl", -41216.6), ("fees", "Infinity"), ("volume", None), ("exit_ms", 2.0), ("exit_reason", 3)],
)
def test_a_malformed_closed_trade_names_the_field(key: str, value: object) -> None:
    data = {**closed_trade_to_dict(TRADE), key: value}
    with pytest.raises(ValueError, match=f"closed trade: bad '{key}'"):
        closed_trade_from_dict(data)


def test_scores_carry_nan_as_null_and_back() -> None:
    grid = {"breakout": {"KRW-BTC": (math.nan, -0.5, 0.0, 1.25), "KRW-ETH": ()}, "other": {}}
    data = scores_to_dict(grid)
    assert data["breakout"]["KRW-BTC"] == [None, -0.5, 0.0, 1.25]
    text = json.dumps(data, allow_nan=False)  # would raise on a NaN left in
    back = scores_from_dict(json.loads(text))
    assert back.keys() == grid.keys() and back["breakout"].keys() == grid["breakout"].keys()
    first, *rest = back["breakout"]["KRW-BTC"]
    assert math.isnan(first) and tuple(rest) == (-0.5, 0.0, 1.25)
    assert back["breakout"]["KRW-ETH"] == () and back["other"] == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"breakout": {"KRW-BTC": ["x"]}}, "breakout on KRW-BTC"),
        ({"breakout": {"KRW-BTC": [True]}}, "breakout on KRW-BTC"),
        ({"breakout": {"KRW-BTC": 1.0}}, "breakout on KRW-BTC"),
        ({"breakout": []}, "scores of breakout"),
        ([], "scores"),
    ],
)
def test_malformed_scores_are_refused(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        scores_from_dict(data)
