"""The engine's own ATR: sizing = "atr" and ATR stops work with a strategy that supplies no ATR
(breakout does not), and the backtest and the bar-by-bar live path size and stop alike."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from tradetui.backtest.runner import BacktestResult, run_backtest
from tradetui.candles.series import BarSeries
from tradetui.candles.synthetic import generate_market
from tradetui.core.clock import SimClock
from tradetui.core.plans import ExitPlan
from tradetui.core.rules import UPBIT_RULES
from tradetui.engine.engine import Engine
from tradetui.engine.settings import LIVE_HISTORY_BARS, Assignment, EngineSettings
from tradetui.indicators.volatility import atr
from tradetui.risk.sizing import SizingMethod, SizingRules, size_entry
from tradetui.session.spec import SessionSpec
from tradetui.strategies.base import Strategy
from tradetui.strategies.breakout import BreakoutMomentum
from tradetui.strategies.registry import create
from tradetui.venues.simulated import SimulatedVenue

ATR_SIZING = SizingRules(method=SizingMethod.ATR, risk_pct=0.05, atr_mult=2.0)
"""Risk 0.05 % over 2 ATR (~0.34 % here): ~15 % of equity an entry, under the 25 % weight cap, so
every size depends on the ATR itself."""


class AtrStopBreakout(BreakoutMomentum):
    """Breakout whose stop is 1.5 ATR under the entry (or its 1.5 % stop, the tighter)."""

    name = "atr_stop_breakout"

    def exit_plan(self) -> ExitPlan:
        return replace(super().exit_plan(), atr_stop_mult=1.5)


@pytest.fixture(scope="module")
def series() -> BarSeries:
    return generate_market("KRW-BTC", bars=6_000, seed=3)


def _live(series: BarSeries, strategy: Strategy, sizing: SizingRules, *, history: int) -> Engine:
    clock = SimClock(int(series.ts_s[0]) * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal("10000000"), slippage_bps=5.0)
    engine = Engine(
        clock=clock,
        venue=venue,
        rule_book=UPBIT_RULES,
        assignments=[Assignment(strategy, (series.market,))],
        settings=EngineSettings(sizing=sizing, id_prefix="bt", deterministic_ids=True, live_history_bars=history),
    )
    for bar in series.bars():
        engine.on_bar(bar)
    return engine


def _same_trades(engine: Engine, backtest: BacktestResult) -> None:
    assert engine.portfolio.closed == backtest.trades
    live_fills = engine.journal.fills  # type: ignore[attr-defined]
    assert [(f.side, f.price, f.volume, f.fee, f.ts_ms) for f in live_fills] == [
        (f.side, f.price, f.volume, f.fee, f.ts_ms) for f in backtest.fills
    ]


@pytest.mark.parametrize("history", [LIVE_HISTORY_BARS, 250], ids=["full-history", "bounded-history"])
def test_atr_sizing_trades_and_the_live_path_sizes_alike(series: BarSeries, history: int) -> None:
    backtest = run_backtest([series], [create("breakout")], SessionSpec(sizing=ATR_SIZING))
    assert len(backtest.trades) >= 2  # before the engine had its own ATR, every entry was denied
    engine = _live(series, create("breakout"), ATR_SIZING, history=history)
    _same_trades(engine, backtest)


def test_atr_sizing_spends_what_the_ta_lib_atr_says(series: BarSeries) -> None:
    """The first entry's KRW amount is the ATR sizing of TA-Lib's ATR(14) at the signal bar."""
    backtest = run_backtest([series], [create("breakout")], SessionSpec(sizing=ATR_SIZING))
    entry = min(
        (o for o in backtest.engine.journal.orders.values() if o.purpose == "entry"),  # type: ignore[attr-defined]
        key=lambda o: o.created_ms,
    )
    signal = int(series.ts_s.searchsorted(entry.created_ms // 1000, side="right")) - 2  # the bar that closed
    values = atr(series.high, series.low, series.close, 14)
    expected = size_entry(
        rules=ATR_SIZING,
        market_rules=UPBIT_RULES.at(int(series.ts_s[signal])),
        equity=Decimal("10000000"),
        free_krw=Decimal("10000000"),
        held_value=Decimal(0),
        price=float(series.close[signal]),
        stop_distance_pct=None,
        atr=float(values[signal]),
    )
    assert expected.approved and "capped" not in expected.reason
    assert entry.price == expected.amount_krw


def test_an_atr_stop_is_armed_from_the_engine_atr(series: BarSeries) -> None:
    strategy = AtrStopBreakout()
    backtest = run_backtest([series], [strategy], SessionSpec())
    plain = run_backtest([series], [create("breakout")], SessionSpec())
    # the ATR stop took part (it was silently off before: the same round trips as plain breakout)
    assert [(t.entry_ms, t.exit_ms, t.exit_price) for t in backtest.trades] != [
        (t.entry_ms, t.exit_ms, t.exit_price) for t in plain.trades
    ]
    floor = Decimal("0.985")  # the 1.5 % stop
    assert any(t.exit_reason == "stop" and t.exit_price > t.entry_price * floor for t in backtest.trades)
    engine = _live(series, AtrStopBreakout(), SizingRules(), history=LIVE_HISTORY_BARS)
    _same_trades(engine, backtest)
