"""What the pydantic codecs behind ``wire``/``wire_history`` must keep: every field of a view on the
wire, a malformed field named with its path, Decimals exact to the last digit, float money as a
string, and stored JSON (``params``, ``metrics``) sent as it is."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import fields
from decimal import Decimal
from typing import Any

import pytest

from tradetui.control import wire, wire_history
from tradetui.core.events import EngineState
from tradetui.core.market import BookLevel, OrderBook
from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.runs import BacktestRun, BacktestRunSummary
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side
from tradetui.engine.read_model import (
    ChartData,
    ChartOverlay,
    EngineSnapshot,
    EventView,
    MarketView,
    OrderView,
    PositionView,
    RiskView,
    StrategyView,
)

LONG = Decimal("123456789012345678901234567890.123456789012345678901234567890")
"""60 digits: more than a float (17) or the default decimal context (28) keeps."""
TINY = Decimal("1.000000000000000000000000000000000001E-30")

POSITION = PositionView("KRW-BTC", "breakout", LONG, TINY, LONG, -LONG, -0.5, 49_000_000.5, 0.1 + 0.2, None)
ORDER_VIEW = OrderView("id-1", "KRW-BTC", "bid", "limit", LONG, TINY, 12.5, "wait", 1.5, "entry")
RISK = RiskView(EngineState.PAUSED, "why", -LONG, LONG, 1.0, TINY, 2.0, 1, 3, 0, 0)
SNAPSHOT = EngineSnapshot(
    1, "PAPER", "upbit", EngineState.PAUSED, LONG, TINY, -LONG, Decimal("0.00050"), (POSITION,), (ORDER_VIEW,), RISK,
    (StrategyView("breakout", True, ("KRW-BTC",), {"lookback": 20}),), (EventView(1, 30, "Notice", "text"),), 7, 2,
    60.0,
)  # fmt: skip
MARKET = MarketView("KRW-BTC", LONG, -1.25, 123_456_789_012.75, None, "enter", True)
CHART = ChartData(
    "KRW-BTC", "15m", (60, 120), (1.0, 2.0), (3.0, 4.0), (0.5, 1.5), (2.0, 3.0), (10.0, 0.0), ((60, 1.5),),
    ((120, 2.5),), 0.1 + 0.2, 1e-7, OrderBook("KRW-BTC", 5, (BookLevel(LONG, TINY),), (BookLevel(TINY, LONG),)),
    ((120, 2.25),), (ChartOverlay("high", (None, 3.5)),),
)  # fmt: skip
ORDER = Order(
    "id-2", "KRW-ETH", Side.ASK, OrdType.LIMIT, LONG, TINY, 5, OrderState.WAIT, "uuid", TINY, LONG, TINY, 6, "stop",
    "breakout", "why",
)  # fmt: skip
TRADE = ClosedTrade("KRW-BTC", "breakout", 1, 2, LONG, TINY, LONG, -LONG, TINY, "stop", exit_fills=3)
SUMMARY = BacktestRunSummary(
    7, 1, "breakout", ("KRW-BTC",), "15m", None, 9, {"lookback": 20}, {"profit_factor": math.inf}, "x = 1\n"
)
RUN = BacktestRun(SUMMARY, (TRADE,), ((60, 1e7, 0.0), (120, 9.9e6, -1.0)))


def _through_json(data: object) -> Any:
    return json.loads(json.dumps(data))


def _field_names(value: object) -> set[str]:
    return {f.name for f in fields(value)}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dump", "value", "keys"),
    [
        (wire.snapshot_to_dict, SNAPSHOT, _field_names(SNAPSHOT)),
        (lambda v: wire.snapshot_to_dict(v)["positions"][0], SNAPSHOT, _field_names(POSITION)),
        (lambda v: wire.snapshot_to_dict(v)["orders"][0], SNAPSHOT, _field_names(ORDER_VIEW)),
        (lambda v: wire.snapshot_to_dict(v)["risk"], SNAPSHOT, _field_names(RISK)),
        (lambda v: wire.snapshot_to_dict(v)["strategies"][0], SNAPSHOT, _field_names(SNAPSHOT.strategies[0])),
        (wire.event_to_dict, SNAPSHOT.events[0], _field_names(SNAPSHOT.events[0])),
        (lambda v: wire.markets_to_list([v])[0], MARKET, _field_names(MARKET)),
        (wire.chart_to_dict, CHART, _field_names(CHART)),
        (lambda v: wire.chart_to_dict(v)["book"], CHART, _field_names(CHART.book)),
        (lambda v: wire.chart_to_dict(v)["overlays"][0], CHART, _field_names(CHART.overlays[0])),
        (wire_history.history_order_to_dict, ORDER, _field_names(ORDER)),
        (wire_history.closed_trade_to_dict, TRADE, _field_names(TRADE)),
        (wire_history.backtest_summary_to_dict, SUMMARY, _field_names(SUMMARY)),
        (wire_history.backtest_run_to_dict, RUN, {"run", "trades", "equity"}),
    ],
)
def test_every_field_of_a_view_is_on_the_wire(dump: Callable[[Any], Any], value: object, keys: set[str]) -> None:
    """A field added to a view and forgotten in its wire document fails here, not silently."""
    assert set(dump(value)) == keys


@pytest.mark.parametrize(
    ("value", "dump", "load"),
    [
        (SNAPSHOT, wire.snapshot_to_dict, wire.snapshot_from_dict),
        ((MARKET,), wire.markets_to_list, wire.markets_from_list),
        (CHART, wire.chart_to_dict, wire.chart_from_dict),
        (ORDER, wire_history.history_order_to_dict, wire_history.history_order_from_dict),
        (TRADE, wire_history.closed_trade_to_dict, wire_history.closed_trade_from_dict),
        (RUN, wire_history.backtest_run_to_dict, wire_history.backtest_run_from_dict),
    ],
    ids=["snapshot", "markets", "chart", "order", "trade", "run"],
)
def test_long_decimals_survive_exactly(value: Any, dump: Callable[[Any], Any], load: Callable[[Any], Any]) -> None:
    text = json.dumps(dump(value))
    assert f'"{LONG}"' in text  # a string, digit for digit
    back = load(json.loads(text))
    assert back == value
    assert repr(back) == repr(value)  # the same exponents too (1.10 stays 1.10)


def test_float_money_goes_out_as_a_string_and_reads_back_the_same_float() -> None:
    position = _through_json(wire.snapshot_to_dict(SNAPSHOT))["positions"][0]
    assert (position["stop"], position["target"], position["trailing"]) == ("49000000.5", repr(0.1 + 0.2), None)
    assert position["pnl_pct"] == -0.5  # a percent stays a number
    market = _through_json(wire.markets_to_list([MARKET]))[0]
    assert market["turnover_24h"] == "123456789012.75" and market["change_pct"] == -1.25
    chart = _through_json(wire.chart_to_dict(CHART))
    assert (chart["stop"], chart["target"]) == (repr(0.1 + 0.2), "1e-07")
    assert chart["close"] == [2.0, 3.0] and chart["buys"] == [[60, 1.5]]  # plot data stays numbers
    assert wire.chart_from_dict(chart).target == 1e-7
    older = {**position, "stop": 49_000_000.5}  # an engine older than money strings sent a number
    assert wire.snapshot_from_dict({**wire.snapshot_to_dict(SNAPSHOT), "positions": [older]}) == SNAPSHOT


def test_stored_json_goes_out_as_it_is() -> None:
    """``metrics`` is the stored JSON: an infinity there is not turned into null."""
    data = wire_history.backtest_summary_to_dict(SUMMARY)
    assert data["metrics"] == {"profit_factor": math.inf}
    assert wire_history.backtest_summary_from_dict(json.loads(json.dumps(data))) == SUMMARY


def _set(data: Any, path: tuple[str | int, ...], value: object) -> Any:
    data = _through_json(data)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("good", "load", "path", "value", "message"),
    [
        (wire.snapshot_to_dict(SNAPSHOT), wire.snapshot_from_dict, ("positions", 0, "volume"), 0.1,
         "status: bad 'positions[0].volume': expected a decimal string, got 0.1"),
        (wire.snapshot_to_dict(SNAPSHOT), wire.snapshot_from_dict, ("orders", 0, "filled_pct"), "12.5",
         "status: bad 'orders[0].filled_pct'"),
        (wire.snapshot_to_dict(SNAPSHOT), wire.snapshot_from_dict, ("risk", "state"), "ASLEEP",
         "status: bad 'risk.state'"),
        (wire.snapshot_to_dict(SNAPSHOT), wire.snapshot_from_dict, ("strategies", 0, "enabled"), "yes",
         "status: bad 'strategies[0].enabled'"),
        (wire.snapshot_to_dict(SNAPSHOT), wire.snapshot_from_dict, ("time_scale",), 0,
         "status: bad 'time_scale'"),
        (wire.markets_to_list([MARKET]), wire.markets_from_list, (0, "turnover_24h"), None,
         "markets: bad '[0].turnover_24h'"),
        (wire.chart_to_dict(CHART), wire.chart_from_dict, ("book", "asks", 0), ["1"],
         "chart: missing 'book.asks[0][1]'"),
        (wire.chart_to_dict(CHART), wire.chart_from_dict, ("book", "bids", 0, 0), 1.5,
         "chart: bad 'book.bids[0][0]': expected a decimal string, got 1.5"),
        (wire.chart_to_dict(CHART), wire.chart_from_dict, ("stop",), "NaN",
         "chart: bad 'stop': not a finite amount"),
        (wire.chart_to_dict(CHART), wire.chart_from_dict, ("overlays", 0, "values", 1), "3.5",
         "chart: bad 'overlays[0].values[1]'"),
        ([wire.event_to_dict(SNAPSHOT.events[0])], wire.events_from_list, (0, "severity"), "30",
         "events: bad '[0].severity'"),
        ([wire_history.history_order_to_dict(ORDER)], wire_history.history_orders_from_list, (0, "paid_fee"), "x",
         "history orders: bad '[0].paid_fee': not a decimal: 'x'"),
        ([wire_history.closed_trade_to_dict(TRADE)], wire_history.closed_trades_from_list, (0, "exit_ms"), 2.5,
         "closed trades: bad '[0].exit_ms'"),
        ([wire_history.backtest_summary_to_dict(SUMMARY)], wire_history.backtest_summaries_from_list,
         (0, "markets", 0), 5, "backtest runs: bad '[0].markets[0]'"),
        (wire_history.backtest_run_to_dict(RUN), wire_history.backtest_run_from_dict, ("trades", 0, "pnl"), "-Infinity",
         "backtest run: bad 'trades[0].pnl': expected a finite decimal"),
        (wire_history.backtest_run_to_dict(RUN), wire_history.backtest_run_from_dict, ("run", "id"), None,
         "backtest run: bad 'run.id'"),
        (wire_history.scores_to_dict({"breakout": {"KRW-BTC": (1.0,)}}), wire_history.scores_from_dict,
         ("breakout", "KRW-BTC", 0), "1", "scores of breakout on KRW-BTC"),
    ],
)  # fmt: skip
def test_a_malformed_document_names_the_field(
    good: Any, load: Callable[[Any], Any], path: tuple[str | int, ...], value: object, message: str
) -> None:
    load(_through_json(good))  # the good document reads
    with pytest.raises(ValueError) as caught:
        load(_set(good, path, value))
    assert str(caught.value).startswith(message)


def test_a_missing_field_is_named_with_its_path() -> None:
    data = _through_json(wire.snapshot_to_dict(SNAPSHOT))
    del data["risk"]["max_positions"]
    with pytest.raises(ValueError, match=r"^status: missing 'risk\.max_positions'$"):
        wire.snapshot_from_dict(data)
    older = _through_json(wire.chart_to_dict(CHART))
    del older["partial_exits"], older["overlays"]  # engines older than these fields
    back = wire.chart_from_dict(older)
    assert back.partial_exits == () and back.overlays == ()
