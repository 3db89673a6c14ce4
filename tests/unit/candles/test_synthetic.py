from __future__ import annotations

import itertools
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tradetui.candles.series import BarSeries
from tradetui.candles.synthetic import BLOCK_BARS, SyntheticFeed, generate_market
from tradetui.core.market import Timeframe
from tradetui.core.rules import UPBIT_RULES, PriceRounding
from tradetui.core.types import decimal_from_float
from tradetui.data.quality import check_candles

COLUMNS = ("ts_s", "open", "high", "low", "close", "volume")


def same(a: BarSeries, b: BarSeries) -> bool:
    return all(np.array_equal(getattr(a, c), getattr(b, c)) for c in COLUMNS)


def breakout_count(series: BarSeries, lookback: int = 20, volume_factor: float = 1.5) -> int:
    """Closes above the previous ``lookback`` highs on volume >= factor x the previous average."""
    prior_high = pd.Series(series.high).rolling(lookback).max().shift(1).to_numpy()
    prior_volume = pd.Series(series.volume).rolling(lookback).mean().shift(1).to_numpy()
    with np.errstate(invalid="ignore"):
        signal = (series.close > prior_high) & (series.volume >= volume_factor * prior_volume)
    return int(signal.sum())


def test_same_seed_same_bars_other_seed_other_bars() -> None:
    a = generate_market(bars=3000, seed=11)
    assert same(a, generate_market(bars=3000, seed=11))
    assert not np.array_equal(a.close, generate_market(bars=3000, seed=12).close)


def test_a_longer_run_extends_a_shorter_one() -> None:
    short = generate_market(bars=BLOCK_BARS + 17, seed=5)
    long = generate_market(bars=2 * BLOCK_BARS + 3, seed=5)
    assert same(short, long.slice(0, len(short)))


def test_feed_yields_the_batch_bars() -> None:
    n = BLOCK_BARS + 50  # crosses a block boundary
    batch = generate_market("KRW-BTC", bars=n, seed=3)
    bars = list(SyntheticFeed("KRW-BTC", bars=n, seed=3))
    assert len(bars) == n
    assert same(BarSeries.from_bars("KRW-BTC", Timeframe.M1, bars), batch)
    endless = SyntheticFeed("KRW-BTC", seed=3)
    assert [b.close for b in itertools.islice(endless, 10)] == [b.close for b in bars[:10]]


def test_timestamps_on_grid_and_start_snapped() -> None:
    series = generate_market(bars=100, start_s=1_756_684_830, timeframe=Timeframe.M5, seed=1)
    assert series.ts_s[0] == 1_756_684_800
    assert np.all(np.diff(series.ts_s) == 300)


@pytest.mark.parametrize(
    ("market", "start_price", "start_s"),
    [
        ("KRW-DEMO", 50_000_000.0, 1_756_684_800),  # 2025-09 table, tick 1000
        ("KRW-ALT", 150_000.0, 1_753_920_000 - 3 * 86_400),  # crosses the 2025-07-31 change (tick 50 -> 100)
        ("KRW-XEM", 150.0, 1_624_579_200),  # classic table, tick 1
        ("KRW-PEPE", 0.0123, 1_756_684_800),  # sub-unit ticks
        ("KRW-USDT", 1380.0, 1_756_684_800),  # per-market exception: tick 0.5
    ],
)
def test_prices_are_on_the_upbit_tick_grid_of_their_date(market: str, start_price: float, start_s: int) -> None:
    series = generate_market(market, bars=6 * 1440, start_s=start_s, seed=2, start_price=start_price)
    rng = np.random.default_rng(0)
    for row in rng.choice(len(series), size=300, replace=False):
        rules = UPBIT_RULES.at(int(series.ts_s[row]))
        for column in ("open", "high", "low", "close"):
            price = decimal_from_float(float(getattr(series, column)[row]))
            assert rules.round_price(market, price, PriceRounding.NEAREST) == price, (column, row, price)


def test_ohlc_is_consistent_and_volume_positive_with_8_decimals() -> None:
    series = generate_market(bars=50_000, seed=9)
    assert np.all(series.high >= np.maximum(series.open, series.close))
    assert np.all(series.low <= np.minimum(series.open, series.close))
    assert np.all(series.low > 0) and np.all(series.volume > 0)
    sample = [decimal_from_float(float(v)) for v in series.volume[:500]]
    assert all(v == v.quantize(Decimal("0.00000001")) for v in sample)
    report = check_candles(series)
    assert report.gap_count == 0 and report.verdict.value in ("ok", "warning")


def test_volume_follows_the_size_of_moves() -> None:
    series = generate_market(bars=100_000, seed=4)
    moves = np.abs(np.diff(np.log(series.close)))
    assert np.corrcoef(moves, series.volume[1:])[0, 1] > 0.2


def test_volume_breakouts_happen_a_few_times_per_thousand_bars() -> None:
    per_thousand = [breakout_count(generate_market(bars=20_000, seed=seed)) / 20 for seed in range(5)]
    assert all(1.0 <= rate <= 12.0 for rate in per_thousand), per_thousand


def test_regimes_trend_both_ways_over_a_long_run() -> None:
    series = generate_market(bars=200_000, seed=8)
    hourly = np.diff(np.log(series.close[::60]))
    window = pd.Series(hourly).rolling(24).sum().to_numpy()[24:]
    assert window.max() > 0.03 and window.min() < -0.03  # +-3 % days both occur
    assert 0.2 < series.close[-1] / series.close[0] < 5


def test_volatility_clusters() -> None:
    series = generate_market(bars=100_000, seed=6)
    magnitude = np.abs(np.diff(np.log(series.close)))
    assert np.corrcoef(magnitude[:-1], magnitude[1:])[0, 1] > 0.05


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="start_price"):
        generate_market(bars=10, start_price=0.0)
    with pytest.raises(ValueError, match="bars"):
        generate_market(bars=-1)
    assert len(generate_market(bars=0)) == 0
