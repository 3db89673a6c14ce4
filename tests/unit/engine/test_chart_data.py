"""The chart comes from the engine's side ready to draw: in the timeframe the trader chose (rolled
up as ``tradetui data`` resamples), with the EMA line and the strategies' levels as overlays.

Before, the dashboard resampled the candles and the chart widget computed the EMA itself, so
the UI imported the data and indicator code and an attached TUI redid the engine's work."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from tradetui.backtest.runner import run_backtest
from tradetui.candles.resample import resample
from tradetui.candles.series import BarSeries
from tradetui.candles.synthetic import generate_market
from tradetui.core.market import Timeframe
from tradetui.engine.engine import Engine
from tradetui.engine.read_model import CHART_EMA_LABEL, CHART_EMA_PERIOD, ChartData, chart_data
from tradetui.indicators.moving import ema
from tradetui.session.spec import SessionSpec
from tradetui.strategies.registry import create

MARKET = "KRW-SYN"


@pytest.fixture(scope="module")
def traded() -> tuple[Engine, BarSeries]:
    """An engine that traded 6,000 one-minute candles (with the breakout's levels on its chart)."""
    series = generate_market(MARKET, bars=6_000, seed=5)
    result = run_backtest([series], [create("breakout", {"lookback": 12})], SessionSpec(cash_krw=Decimal(10_000_000)))
    assert result.trades, "the synthetic market made no trade to mark"
    return result.engine, series


def _chart(engine: Engine, bars: int, timeframe: Timeframe | None = None) -> ChartData:
    chart = chart_data(engine, MARKET, bars, timeframe)
    assert chart is not None
    return chart


@pytest.mark.parametrize("timeframe", [Timeframe.M5, Timeframe.M15, Timeframe.M60])
def test_a_coarser_chart_is_the_resampled_candles(traded: tuple[Engine, BarSeries], timeframe: Timeframe) -> None:
    engine, series = traded
    chart = _chart(engine, 40, timeframe)
    want = resample(series, timeframe)
    assert chart.timeframe == timeframe.value
    assert len(chart.ts_s) == 40
    assert chart.ts_s == tuple(want.ts_s[-40:].tolist())
    assert chart.open == tuple(want.open[-40:].tolist())
    assert chart.high == tuple(want.high[-40:].tolist())
    assert chart.low == tuple(want.low[-40:].tolist())
    assert chart.close == tuple(want.close[-40:].tolist())
    assert chart.volume == pytest.approx(tuple(want.volume[-40:].tolist()), rel=1e-12)


def test_more_candles_asked_than_there_are_gives_them_all(traded: tuple[Engine, BarSeries]) -> None:
    engine, series = traded
    chart = _chart(engine, 5_000, Timeframe.M60)
    assert chart.ts_s == tuple(resample(series, Timeframe.M60).ts_s.tolist())  # 100 hours, none dropped
    assert all(len(o.values) == len(chart.ts_s) for o in chart.overlays)


def test_the_ema_is_the_first_overlay_settled_from_the_left_edge(traded: tuple[Engine, BarSeries]) -> None:
    engine, series = traded
    for timeframe, closes in ((None, series.close), (Timeframe.M15, resample(series, Timeframe.M15).close)):
        chart = _chart(engine, 60, timeframe)
        line = chart.overlays[0]
        assert line.label == CHART_EMA_LABEL == f"EMA{CHART_EMA_PERIOD}"
        assert len(line.values) == 60 and None not in line.values  # computed over earlier candles too
        full = ema(closes, CHART_EMA_PERIOD)[-60:]  # over the whole history: the same line, settled
        assert line.values == pytest.approx(full.tolist(), rel=1e-3)
        assert line.values[-1] == pytest.approx(float(full[-1]), rel=1e-6)


def test_a_strategy_level_is_the_one_at_each_coarse_candles_last_candle(traded: tuple[Engine, BarSeries]) -> None:
    engine, _ = traded
    fine = _chart(engine, 600)
    coarse = _chart(engine, 40, Timeframe.M15)
    assert [o.label for o in coarse.overlays] == [o.label for o in fine.overlays]
    assert len(coarse.overlays) >= 2, "the breakout draws its level"
    last = np.searchsorted(np.asarray(fine.ts_s), np.asarray(coarse.ts_s) + Timeframe.M15.seconds) - 1
    for coarse_level, fine_level in zip(coarse.overlays[1:], fine.overlays[1:], strict=True):
        assert coarse_level.values == tuple(fine_level.values[int(k)] for k in last)


def test_the_bots_fills_stay_on_a_coarser_chart(traded: tuple[Engine, BarSeries]) -> None:
    engine, _ = traded
    fine = _chart(engine, 6_000)
    coarse = _chart(engine, 400, Timeframe.M15)
    assert coarse.buys == fine.buys and coarse.sells == fine.sells and coarse.buys


def test_the_engines_own_timeframe_is_the_default(traded: tuple[Engine, BarSeries]) -> None:
    engine, series = traded
    assert _chart(engine, 30) == _chart(engine, 30, Timeframe.M1)
    assert _chart(engine, 30).ts_s == tuple(series.ts_s[-30:].tolist())


def test_a_timeframe_the_engine_cannot_show_is_refused() -> None:
    series = generate_market(MARKET, bars=500, seed=5, timeframe=Timeframe.M5)
    engine = run_backtest([series], [create("breakout", {"timeframe": "5m"})]).engine
    with pytest.raises(ValueError, match="cannot show 1m candles"):
        chart_data(engine, MARKET, 50, Timeframe.M1)  # finer than the engine's
    with pytest.raises(ValueError, match="whole multiple"):
        chart_data(engine, MARKET, 50, Timeframe.M3)  # not a whole number of its candles
    assert chart_data(engine, "KRW-NOPE", 50, Timeframe.M15) is None
