"""Every vectorised indicator against TA-Lib on seeded random-walk bars (rel 1e-9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from tradetui import indicators as ind

if TYPE_CHECKING:
    from tests.unit.indicators.conftest import Bars, BarsFactory, SeriesCheck

talib = pytest.importorskip("talib")

PERIODS = [1, 2, 5, 14, 30]


@pytest.mark.parametrize("period", [p for p in PERIODS if p > 1])
def test_sma_ema_rsi(bars: Bars, period: int, assert_close: SeriesCheck) -> None:
    assert_close(ind.sma(bars.close, period), talib.SMA(bars.close, period))
    assert_close(ind.ema(bars.close, period), talib.EMA(bars.close, period))
    assert_close(ind.rsi(bars.close, period), talib.RSI(bars.close, period))
    assert_close(ind.volume_ma(bars.volume, period), talib.SMA(bars.volume, period))


@pytest.mark.parametrize("period", PERIODS)
def test_atr_and_channels(bars: Bars, period: int, assert_close: SeriesCheck) -> None:
    assert_close(ind.atr(bars.high, bars.low, bars.close, period), talib.ATR(bars.high, bars.low, bars.close, period))
    if period > 1:
        assert_close(ind.highest(bars.high, period), talib.MAX(bars.high, period))
        assert_close(ind.lowest(bars.low, period), talib.MIN(bars.low, period))


@pytest.mark.parametrize("period", [p for p in PERIODS if p > 1])
def test_adx(bars: Bars, period: int, assert_close: SeriesCheck) -> None:
    assert_close(ind.adx(bars.high, bars.low, bars.close, period), talib.ADX(bars.high, bars.low, bars.close, period))


def test_adx_with_a_flat_start(assert_close: SeriesCheck) -> None:
    rng = np.random.default_rng(4)
    close = np.r_[np.full(40, 100.0), 100.0 + np.cumsum(rng.normal(0.0, 1.0, 200))]
    high = close + np.r_[np.zeros(40), rng.uniform(0.0, 1.0, 200)]
    low = close - np.r_[np.zeros(40), rng.uniform(0.0, 1.0, 200)]
    for period in (3, 14):
        assert_close(ind.adx(high, low, close, period), talib.ADX(high, low, close, period))
        assert_close(ind.rsi(close, period), talib.RSI(close, period))
    slow_k, slow_d = ind.stochastic(high, low, close)
    their_k, their_d = talib.STOCH(high, low, close)
    assert_close(slow_k, their_k)
    assert_close(slow_d, their_d)


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (26, 12, 9), (3, 10, 2), (5, 8, 1)])
def test_macd(bars: Bars, fast: int, slow: int, signal: int, assert_close: SeriesCheck) -> None:
    ours = ind.macd(bars.close, fast, slow, signal)
    theirs = talib.MACD(bars.close, fast, slow, signal)
    for mine, reference in zip(ours, theirs, strict=True):
        assert_close(mine, reference)


@pytest.mark.parametrize(("fastk", "slowk", "slowd"), [(5, 3, 3), (14, 3, 5), (9, 1, 1), (3, 2, 4)])
def test_stochastic(bars: Bars, fastk: int, slowk: int, slowd: int, assert_close: SeriesCheck) -> None:
    ours = ind.stochastic(bars.high, bars.low, bars.close, fastk, slowk, slowd)
    theirs = talib.STOCH(bars.high, bars.low, bars.close, fastk_period=fastk, slowk_period=slowk, slowd_period=slowd)
    for mine, reference in zip(ours, theirs, strict=True):
        assert_close(mine, reference)


def test_obv_is_exact(bars: Bars) -> None:
    np.testing.assert_array_equal(ind.obv(bars.close, bars.volume), talib.OBV(bars.close, bars.volume))


@pytest.mark.parametrize("period", [2, 5, 20, 30])
@pytest.mark.parametrize(("nbdev_up", "nbdev_dn"), [(2.0, 2.0), (1.5, 2.5)])
def test_bollinger(period: int, nbdev_up: float, nbdev_dn: float, assert_close: SeriesCheck) -> None:
    # TA-Lib forms the variance as E[x^2] - E[x]^2 with running sums, which loses ~8 digits
    # on prices far from 0 (ours is centred; see test_indicators_definitions for it against
    # an exact reference). A walk near 0 keeps TA-Lib itself accurate to compare with.
    rng = np.random.default_rng(7)
    close = np.cumsum(rng.normal(0.0, 1.0, 4000)) * 0.3 + 5.0
    ours = ind.bollinger(close, period, nbdev_up, nbdev_dn)
    theirs = talib.BBANDS(close, period, nbdev_up, nbdev_dn, 0)
    for mine, reference in zip(ours, theirs, strict=True):
        assert_close(mine, reference)


@pytest.mark.parametrize("count", [0, 1, 2, 13, 14, 27, 28, 29, 40, 300])
def test_short_series_warm_up_matches(count: int, make_bars: BarsFactory, assert_close: SeriesCheck) -> None:
    b = make_bars(count, seed=count)
    assert_close(ind.ema(b.close, 14), talib.EMA(b.close, 14))
    assert_close(ind.rsi(b.close, 14), talib.RSI(b.close, 14))
    assert_close(ind.atr(b.high, b.low, b.close, 14), talib.ATR(b.high, b.low, b.close, 14))
    assert_close(ind.adx(b.high, b.low, b.close, 14), talib.ADX(b.high, b.low, b.close, 14))
    for mine, reference in zip(ind.macd(b.close), talib.MACD(b.close), strict=True):
        assert_close(mine, reference)
    for mine, reference in zip(
        ind.stochastic(b.high, b.low, b.close), talib.STOCH(b.high, b.low, b.close), strict=True
    ):
        assert_close(mine, reference)


def test_long_series_crosses_many_blocks(make_bars: BarsFactory, assert_close: SeriesCheck) -> None:
    """Lengths off the 32-value block / 4096-value segment grid, prices near 1e8."""
    b = make_bars(70_001, seed=3, price=1e8, step=0.002)
    assert_close(ind.ema(b.close, 200), talib.EMA(b.close, 200))
    assert_close(ind.sma(b.close, 1500), talib.SMA(b.close, 1500))
    assert_close(ind.rsi(b.close, 14), talib.RSI(b.close, 14))
    assert_close(ind.adx(b.high, b.low, b.close, 14), talib.ADX(b.high, b.low, b.close, 14))
    assert_close(ind.highest(b.high, 777), talib.MAX(b.high, 777))
