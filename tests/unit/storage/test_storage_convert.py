"""Core types <-> rows: every conversion pair round-trips exactly."""

from __future__ import annotations

import numbers
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradetui.core.events import EngineState, EngineStateChanged, RiskEvent, Severity, SignalRaised
from tradetui.core.market import Bar, Timeframe
from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side
from tradetui.storage import convert
from tradetui.storage.records import DailyPerformance, StoredPosition, StoredStrategyState

D = Decimal


class Count:
    """Stands in for a numpy integer: an ``Integral`` that is not an ``int``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __int__(self) -> int:
        return self.n


numbers.Integral.register(Count)

positive = st.decimals(min_value=D("0.00000001"), max_value=D("1e12"), allow_nan=False, allow_infinity=False)
amount = st.decimals(min_value=D("0"), max_value=D("1e12"), allow_nan=False, allow_infinity=False)
signed = st.decimals(min_value=D("-1e12"), max_value=D("1e12"), allow_nan=False, allow_infinity=False)
ms = st.integers(min_value=0, max_value=2**53)
text = st.text(max_size=20)


@st.composite
def orders(draw: st.DrawFn) -> Order:
    kind = draw(st.sampled_from(OrdType))
    side = {OrdType.PRICE: Side.BID, OrdType.MARKET: Side.ASK}.get(kind) or draw(st.sampled_from(Side))
    return Order(
        identifier=draw(st.from_regex(r"[A-Za-z0-9_-]{1,36}", fullmatch=True)),
        market="KRW-BTC",
        side=side,
        ord_type=kind,
        price=None if kind is OrdType.MARKET else draw(positive),
        volume=None if kind is OrdType.PRICE else draw(positive),
        created_ms=draw(ms),
        state=draw(st.sampled_from(OrderState)),
        exchange_id=draw(st.none() | text),
        executed_volume=draw(amount),
        executed_funds=draw(amount),
        paid_fee=draw(amount),
        updated_ms=draw(ms),
        purpose=draw(st.sampled_from(["entry", "stop", "flatten"])),
        strategy=draw(text),
        reason=draw(text),
    )


@given(orders(), st.sampled_from(["backtest", "paper", "live"]), st.none() | st.integers(1, 10**6))
def test_order_round_trip(order: Order, mode: str, run_id: int | None) -> None:
    row = convert.order_to_row(order, mode=mode, run_id=run_id)
    assert (row.mode, row.run_id) == (mode, run_id)
    assert convert.row_to_order(row) == order


@given(positive, positive, amount, ms, st.booleans(), st.sampled_from(Side))
def test_fill_round_trip(price: D, volume: D, fee: D, ts: int, maker: bool, side: Side) -> None:
    fill = Fill("id-1", "t-1", "KRW-ETH", side, price, volume, fee, ts, is_maker=maker)
    assert convert.row_to_fill(convert.fill_to_row(fill)) == fill


@given(positive, positive, positive, signed, amount, ms, ms)
def test_closed_trade_round_trip(vol: D, entry: D, exit_: D, pnl: D, fees: D, t0: int, t1: int) -> None:
    trade = ClosedTrade("KRW-BTC", "ema", t0, t1, vol, entry, exit_, pnl, fees, "take_profit")
    row = convert.closed_trade_to_row(trade, run_id=4, seq=2)
    assert (row.run_id, row.seq) == (4, 2)
    assert convert.row_to_closed_trade(row) == trade


def test_bar_round_trip() -> None:
    bar = Bar("KRW-BTC", Timeframe.M240, 1_700_006_400, D("100.0"), D("120"), D("90.5"), D("110"), D("3.000"))
    row = convert.bar_to_candle_row(bar, exchange="bithumb")
    assert row.exchange == "bithumb" and row.timeframe == "240m"
    back = convert.candle_row_to_bar(row)
    assert back == bar and str(back.open) == "100.0"
    assert convert.bar_to_candle_input(bar) == (bar.ts_s, bar.open, bar.high, bar.low, bar.close, bar.volume)


def test_candle_values_are_checked_and_become_text() -> None:
    checked = convert.candle_values_as_text((60, D("1.0"), "2", "0.5", D("1E+1"), 3))
    assert checked == (60, "1.0", "2", "0.5", "1E+1", "3")
    with pytest.raises(TypeError):
        convert.candle_values_as_text((60, 1.0, "2", "0.5", "1", "3"))
    with pytest.raises(ValueError):
        convert.candle_values_as_text((60, "NaN", "2", "0.5", "1", "3"))
    with pytest.raises(ValueError):
        convert.candle_values_as_text((60, "1", "2"))
    with pytest.raises(TypeError):
        convert.candle_values_as_text(("60", "1", "2", "0.5", "1", "3"))


def test_position_and_strategy_state_round_trip() -> None:
    pos = StoredPosition("KRW-BTC", D("0.5"), D("100.25"), 9, "ema", 3, {"stop": "95.5", "trail_high": "110", "n": 2})
    assert convert.row_to_position(convert.position_to_row(pos)) == pos
    state = StoredStrategyState("ema", "KRW-BTC", {"last": [1, 2], "armed": True}, False, 11)
    assert convert.row_to_strategy_state(convert.strategy_state_to_row(state)) == state


def test_json_columns_store_decimals_as_text_and_refuse_objects() -> None:
    assert convert.dump_json({"b": D("1.50"), "a": date(2024, 1, 2)}) == '{"a": "2024-01-02", "b": "1.50"}'
    assert convert.dump_json({"n": Fraction(1, 4), "i": Count(3)}) == '{"i": 3, "n": 0.25}'
    with pytest.raises(TypeError):
        convert.dump_json({"x": object()})
    with pytest.raises(ValueError):
        convert.load_json_object("[1, 2]")


def test_risk_events_become_rows() -> None:
    risk = convert.risk_event_to_row(RiskEvent(5, "max_positions", "3 open", "KRW-BTC", Severity.ERROR))
    assert (risk.kind, risk.rule, risk.market, risk.severity, risk.message) == (
        "risk", "max_positions", "KRW-BTC", 40, "3 open"
    )  # fmt: skip
    change = convert.risk_event_to_row(EngineStateChanged(6, EngineState.RUNNING, EngineState.HALTED, "kill"))
    assert (change.kind, change.rule, change.ts_ms) == ("engine_state", "HALTED", 6)
    assert "kill" in change.message
    with pytest.raises(TypeError):
        convert.risk_event_to_row(SignalRaised(1, "KRW-BTC", "s", "enter", D("1")))  # type: ignore[arg-type]


def test_signal_and_daily_round_trip() -> None:
    signal = SignalRaised(1, "KRW-BTC", "ema", "enter", D("123.40"), "golden cross")
    assert convert.row_to_signal(convert.signal_to_row(signal, mode="paper")) == signal
    day = DailyPerformance(date(2024, 5, 1), "live", D("1000000"), D("990000.5"), D("-9999.5"), 4, 1, 77)
    assert convert.row_to_daily(convert.daily_to_row(day)) == day


def test_backtest_summary_round_trip_and_validation() -> None:
    summary = {
        "created_ms": 5,
        "strategy": "ema",
        "markets": ["KRW-BTC", "KRW-ETH"],
        "timeframe": "1h",
        "period": (100, 200),
        "params": {"fast": 12, "stop": D("0.02")},
        "metrics": {"sharpe": 1.25, "profit_factor": float("inf")},
        "config_text": "x = 1\n",
    }
    row = convert.summary_to_run_row(summary)
    row.id = 9
    back = convert.run_row_to_summary(row)
    assert back.markets == ("KRW-BTC", "KRW-ETH") and back.timeframe == "60m"
    assert (back.start_ms, back.end_ms) == (100, 200)
    assert back.params == {"fast": 12, "stop": "0.02"}
    assert back.metrics == {"sharpe": 1.25, "profit_factor": float("inf")}
    assert convert.summary_to_run_row({"created_ms": 1, "strategy": "s", "timeframe": "120m"}).timeframe == "120m"
    with pytest.raises(ValueError, match="unknown"):
        convert.summary_to_run_row({"created_ms": 1, "strategy": "s", "metrcs": {}})
    with pytest.raises(ValueError, match="strategy"):
        convert.summary_to_run_row({"created_ms": 1})


def test_modes_and_equity_points_are_checked() -> None:
    assert convert.run_mode("paper") == "paper"
    with pytest.raises(ValueError):
        convert.run_mode("demo")
    assert convert.equity_point(60, 1.5, -0.1) == (60, 1.5, -0.1)
    with pytest.raises(ValueError):
        convert.equity_point(60, float("nan"), 0.0)
