"""The engine end to end on synthetic and recorded candles: determinism, live/backtest parity,
conservation, limits and commands."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from tradetui.backtest.runner import run_backtest
from tradetui.candles.series import BarSeries
from tradetui.candles.synthetic import generate_market
from tradetui.core.clock import SimClock
from tradetui.core.events import EngineState, EngineStateChanged, OrderFilled, RiskEvent
from tradetui.core.market import Bar, Timeframe
from tradetui.core.rules import UPBIT_RULES
from tradetui.core.types import decimal_from_float
from tradetui.engine.engine import Engine
from tradetui.engine.settings import LIVE_HISTORY_BARS, Assignment, EngineSettings
from tradetui.risk.limits import AccountLimits
from tradetui.session.spec import SessionSpec
from tradetui.strategies.registry import create
from tradetui.venues.simulated import SimulatedVenue


def _bars(series: BarSeries) -> list[Bar]:
    return list(series.bars())


def _live_engine(
    series: BarSeries,
    *,
    cash: str = "10000000",
    limits: AccountLimits | None = None,
    history: int = LIVE_HISTORY_BARS,
    params: dict[str, object] | None = None,
) -> Engine:
    clock = SimClock(int(series.ts_s[0]) * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal(cash), slippage_bps=5.0)
    settings = EngineSettings(
        limits=limits or AccountLimits(), id_prefix="bt", deterministic_ids=True, live_history_bars=history
    )
    return Engine(
        clock=clock,
        venue=venue,
        rule_book=UPBIT_RULES,
        assignments=[Assignment(create("breakout", params), (series.market,))],
        settings=settings,
    )


@pytest.fixture(scope="module")
def series() -> BarSeries:
    return generate_market("KRW-BTC", bars=20_000, seed=3)


def test_backtest_is_deterministic(series: BarSeries) -> None:
    first = run_backtest([series], [create("breakout")])
    second = run_backtest([series], [create("breakout")])
    assert len(first.trades) > 5
    assert first.trades == second.trades
    assert first.fills == second.fills
    assert np.array_equal(first.equity, second.equity)


def test_live_path_one_bar_at_a_time_equals_backtest(series: BarSeries) -> None:
    """The live engine gets one closed bar at a time and decides on a window; the backtest
    jumps between events over precomputed signals. Same trades, same fills, same prices."""
    part = series.slice(0, 6_000)
    backtest = run_backtest([part], [create("breakout")], SessionSpec(slippage_bps=5.0))
    engine = _live_engine(part)
    for bar in _bars(part):
        engine.on_bar(bar)
    assert len(backtest.trades) >= 2
    assert engine.portfolio.closed == backtest.trades
    live_fills = engine.journal.fills  # type: ignore[attr-defined]
    assert [(f.side, f.price, f.volume, f.fee, f.ts_ms) for f in live_fills] == [
        (f.side, f.price, f.volume, f.fee, f.ts_ms) for f in backtest.fills
    ]


@pytest.mark.parametrize("params", [None, {"time_stop_bars": 40}], ids=["exits", "time-stop"])
def test_a_bounded_live_history_trades_exactly_like_the_backtest(
    series: BarSeries, params: dict[str, object] | None
) -> None:
    """A bot that runs for weeks drops its oldest candles; every index it holds (the cursor,
    the exit scan, a position's entry bar for its time stop, signal lists) moves with them, so
    what it trades does not change."""
    part = series.slice(0, 6_000)
    backtest = run_backtest([part], [create("breakout", params)], SessionSpec(slippage_bps=5.0))
    engine = _live_engine(part, history=250, params=params)
    lengths = []
    for bar in _bars(part):
        engine.on_bar(bar)
        lengths.append(engine.markets[part.market].n)
    assert max(lengths) < 2 * 250 and lengths[-1] < len(part)  # trimmed again and again
    assert len(backtest.trades) >= 2
    assert engine.portfolio.closed == backtest.trades
    live_fills = engine.journal.fills  # type: ignore[attr-defined]
    assert [(f.side, f.price, f.volume, f.ts_ms) for f in live_fills] == [
        (f.side, f.price, f.volume, f.ts_ms) for f in backtest.fills
    ]
    m = engine.markets[part.market]
    assert int(m.ts_s[m.n - 1]) == int(part.ts_s[-1]) and np.array_equal(m.close[: m.n], part.close[-m.n :])


def test_cash_and_positions_agree_with_the_venue(series: BarSeries) -> None:
    result = run_backtest([series], [create("breakout")])
    engine = result.engine
    balances = engine.venue.balances()
    assert engine.portfolio.cash == balances["KRW"].total
    for market, pos in engine.portfolio.positions.items():
        assert pos.volume == balances[market.split("-")[1]].total
    fees = sum((f.fee for f in result.fills), Decimal(0))
    assert fees == result.fees_paid
    # equity curve's last point = cash + positions at the last close
    last_close = decimal_from_float(float(series.close[-1]))
    expected = engine.portfolio.cash + sum(
        (p.volume * last_close for p in engine.portfolio.positions.values()), Decimal(0)
    )
    assert result.equity[-1] == pytest.approx(float(expected), rel=1e-9)


def test_every_order_respects_tick_grid_minimum_and_volume_decimals(series: BarSeries) -> None:
    result = run_backtest([series], [create("breakout")])
    rules = UPBIT_RULES.at(int(series.ts_s[0]))
    for fill in result.fills:
        assert rules.table_for(fill.market).is_on_grid(fill.price)
        assert rules.truncate_volume(fill.volume) == fill.volume
        assert fill.price * fill.volume >= rules.min_total_krw
        assert fill.fee == (fill.price * fill.volume * rules.taker_fee).quantize(Decimal("0.00000001"))


def test_stop_exits_never_fill_above_the_stop_level(series: BarSeries) -> None:
    result = run_backtest([series], [create("breakout")])
    stops = [t for t in result.trades if t.exit_reason == "stop"]
    assert stops, "expected some stopped-out trades on 20k bars"
    for t in stops:
        assert t.exit_price <= t.entry_price * Decimal("0.985")


def test_portfolio_never_exceeds_max_open_positions() -> None:
    markets = [generate_market(f"KRW-C{k}", bars=5_000, seed=40 + k, start_price=1_000_000 * (k + 1)) for k in range(6)]
    setup = SessionSpec(
        limits=AccountLimits(
            max_open_positions=2, max_exposure_pct=100, daily_loss_pct=None, max_consecutive_losses=None
        )
    )
    result = run_backtest(markets, [create("breakout")], setup)
    held: dict[str, Decimal] = {}
    most = 0
    for fill in sorted(result.fills, key=lambda f: f.ts_ms):
        sign = 1 if fill.side.value == "bid" else -1
        held[fill.market] = held.get(fill.market, Decimal(0)) + sign * fill.volume
        most = max(most, sum(1 for v in held.values() if v > 0))
    assert most == 2
    denied = [e for e in result.engine.recent_events if isinstance(e, RiskEvent) and e.rule == "entry_denied"]
    assert any("positions open" in e.message for e in denied)


def test_daily_loss_limit_pauses_until_the_next_trading_day() -> None:
    # a market that breaks out and then falls through every stop
    base = generate_market("KRW-BTC", bars=3_000, seed=5)
    crash = np.linspace(1.0, 0.7, len(base))
    series = replace(
        base, open=base.open * crash, high=base.high * crash, low=base.low * crash, close=base.close * crash
    )
    limits = AccountLimits(daily_loss_pct=0.5, max_consecutive_losses=None)
    result = run_backtest([series], [create("breakout")], SessionSpec(limits=limits, fee_override=Decimal("0.0005")))
    changes = [e for e in result.engine.recent_events if isinstance(e, EngineStateChanged)]
    paused = [e for e in changes if e.new is EngineState.PAUSED]
    assert paused and "daily loss limit" in paused[0].reason
    resumed = [e for e in changes if e.new is EngineState.RUNNING]
    for p, r in zip(paused, resumed, strict=False):
        assert r.ts_ms // 86_400_000 > p.ts_ms // 86_400_000  # resumes on a later trading day (09:00 KST)


def test_pause_stops_entries_and_resume_restores_them(series: BarSeries) -> None:
    part = series.slice(0, 4_000)
    engine = _live_engine(part)
    bars = _bars(part)
    engine.pause()
    for bar in bars[:2_000]:
        engine.on_bar(bar)
    assert not engine.portfolio.closed and not engine.portfolio.positions
    denied = [e for e in engine.recent_events if isinstance(e, RiskEvent) and "PAUSED" in e.message]
    assert denied
    engine.resume()
    for bar in bars[2_000:]:
        engine.on_bar(bar)
    assert engine.portfolio.closed or engine.portfolio.positions


def test_strategy_toggle_off_means_no_new_entries(series: BarSeries) -> None:
    engine = _live_engine(series.slice(0, 3_000))
    engine.set_strategy_enabled("breakout", False)
    for bar in _bars(series.slice(0, 3_000)):
        engine.on_bar(bar)
    assert not any(isinstance(e, OrderFilled) for e in engine.recent_events)
    with pytest.raises(KeyError, match="unknown strategy"):
        engine.set_strategy_enabled("nope", True)


def test_kill_switch_with_flatten_sells_everything_and_halts(series: BarSeries) -> None:
    engine = _live_engine(series)
    bars = _bars(series)
    k = 0
    while not engine.portfolio.positions:
        engine.on_bar(bars[k])
        k += 1
    engine.kill(flatten=True)
    assert engine.state is EngineState.HALTED
    engine.on_bar(bars[k])  # the flatten order fills at the next open
    assert not engine.portfolio.positions
    assert engine.portfolio.closed[-1].exit_reason == "flatten"
    before = len(engine.portfolio.closed)
    for bar in bars[k + 1 : k + 3_000]:
        engine.on_bar(bar)
    assert len(engine.portfolio.closed) == before  # halted: no new trades
    assert engine.venue.balances()["KRW"].locked == 0


def test_kill_without_flatten_cancels_orders_and_keeps_positions(series: BarSeries) -> None:
    engine = _live_engine(series)
    bars = _bars(series)
    k = 0
    while not engine.om.open_orders():
        engine.on_bar(bars[k])
        k += 1
    engine.kill(flatten=False)
    assert not engine.om.open_orders()
    assert engine.venue.balances()["KRW"].locked == 0
    assert engine.state is EngineState.HALTED


def test_real_upbit_candles_trade_and_repeat_exactly(btc_1m_file: object) -> None:
    from tradetui.data.csv_import import read_candles_csv

    real = read_candles_csv(str(btc_1m_file))
    assert real.timeframe is Timeframe.M1
    a = run_backtest([real], [create("breakout")])
    b = run_backtest([real], [create("breakout")])
    assert a.trades and a.trades == b.trades


def test_one_minute_feed_is_rolled_up_for_a_five_minute_strategy() -> None:
    from tradetui.candles.resample import resample

    minute = generate_market("KRW-BTC", bars=15_000, seed=8)
    five = resample(minute, Timeframe.M5)
    strategy = create("breakout", {"timeframe": "5m"})
    backtest = run_backtest([five], [strategy])
    clock = SimClock(int(minute.ts_s[0]) * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal("10000000"), slippage_bps=5.0)
    engine = Engine(
        clock=clock,
        venue=venue,
        rule_book=UPBIT_RULES,
        assignments=[Assignment(create("breakout", {"timeframe": "5m"}), ("KRW-BTC",))],
        settings=EngineSettings(id_prefix="bt", deterministic_ids=True),
    )
    for bar in _bars(minute):
        engine.on_bar(bar)
    assert engine.markets["KRW-BTC"].n == len(five)
    assert backtest.trades and engine.portfolio.closed == backtest.trades


def test_restart_restores_the_position_and_its_stops(series: BarSeries) -> None:
    """A position and its exit state survive a restart: the restored engine leaves the position
    at the same bar and price as the engine that never stopped."""
    part = series.slice(0, 8_000)
    bars = _bars(part)
    reference = _live_engine(part)
    first = _live_engine(part)
    k = 0
    while True:  # run until a position has taken its first profit, so trailing state matters
        reference.on_bar(bars[k])
        first.on_bar(bars[k])
        k += 1
        pos = first.portfolio.positions.get("KRW-BTC")
        if pos is not None and pos.tracker is not None and pos.tracker.targets_hit:
            break
    pos = first.portfolio.positions["KRW-BTC"]
    assert pos.tracker is not None
    stored: dict[str, Any] = {  # what a restart reads back from storage
        "volume": pos.volume,
        "avg_price": pos.avg_price,
        "entry_ms": pos.entry_ms,
        "exit_state": pos.tracker.snapshot(),
    }
    cash = first.venue.balances()["KRW"].total

    second = _live_engine(part, cash=str(cash))
    second.venue.deposit("BTC", stored["volume"])  # type: ignore[attr-defined]
    second.warm_up(part.slice(0, k))
    second.clock.set_ms(first.clock.now_ms())  # type: ignore[attr-defined]
    second.restore_position(
        "KRW-BTC",
        strategy="breakout",
        volume=stored["volume"],
        avg_price=stored["avg_price"],
        entry_ms=stored["entry_ms"],
        exit_state=stored["exit_state"],
    )
    while "KRW-BTC" in reference.portfolio.positions:
        reference.on_bar(bars[k])
        second.on_bar(bars[k])
        k += 1
    assert "KRW-BTC" not in second.portfolio.positions
    ref_exit = [f for f in reference.journal.fills if f.side.value == "ask"][-1]  # type: ignore[attr-defined]
    new_exit = [f for f in second.journal.fills if f.side.value == "ask"][-1]  # type: ignore[attr-defined]
    assert (new_exit.price, new_exit.volume, new_exit.ts_ms) == (ref_exit.price, ref_exit.volume, ref_exit.ts_ms)


def test_marks_use_only_closed_bars() -> None:
    """At a bar's close, another market is valued at its last closed bar, never at the bar that
    opens at that moment (the look-ahead a multi-market backtest would otherwise have)."""
    a = generate_market("KRW-AAA", bars=50, seed=1)
    b = generate_market("KRW-BBB", bars=50, seed=2)
    clock = SimClock(int(a.ts_s[0]) * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal("10000000"))
    engine = Engine(
        clock=clock,
        venue=venue,
        rule_book=UPBIT_RULES,
        assignments=[Assignment(create("breakout"), ("KRW-AAA", "KRW-BBB"))],
    )
    engine.load_history(a)
    engine.load_history(b)
    k = 20
    close_of_k_ms = (int(a.ts_s[k]) + 60) * 1000  # = the open time of bar k + 1
    assert engine.mark_price("KRW-BBB", close_of_k_ms) == decimal_from_float(float(b.close[k]))
    assert engine.mark_price("KRW-BBB", close_of_k_ms - 1) == decimal_from_float(float(b.close[k - 1]))
