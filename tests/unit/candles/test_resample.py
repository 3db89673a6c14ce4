from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetui.candles.resample import CandleAggregator, resample, resample_with_last
from tradetui.candles.series import BarSeries
from tradetui.core.market import Bar, Timeframe
from tradetui.errors import DataError

T0 = 1_756_684_800  # 2025-09-01 00:00 UTC


def minute_bar(minute: int, o: str, h: str, lo: str, c: str, v: str, *, base: int = T0) -> Bar:
    d = Decimal
    return Bar("KRW-BTC", Timeframe.M1, base + 60 * minute, d(o), d(h), d(lo), d(c), d(v))


HAND_BARS = [
    minute_bar(0, "100", "105", "99", "104", "1.5"),
    minute_bar(1, "104", "110", "103", "108", "2"),
    minute_bar(2, "108", "108", "101", "102", "0.25"),
    # minute 3 and 4 missing (no trades)
    minute_bar(5, "102", "103", "95", "96", "3"),
    minute_bar(9, "96", "97", "96", "97", "0.5"),
    minute_bar(10, "97", "99", "97", "98", "1"),
]


def test_resample_matches_a_hand_computed_example() -> None:
    series = BarSeries.from_bars("KRW-BTC", Timeframe.M1, HAND_BARS)
    five = resample(series, Timeframe.M5)
    assert five.timeframe is Timeframe.M5
    assert five.ts_s.tolist() == [T0, T0 + 300, T0 + 600]
    assert five.open.tolist() == [100, 102, 97]
    assert five.high.tolist() == [110, 103, 99]
    assert five.low.tolist() == [99, 95, 97]
    assert five.close.tolist() == [102, 97, 98]
    assert five.volume.tolist() == [3.75, 3.5, 1.0]


def test_day_buckets_start_at_midnight_utc_which_is_0900_kst() -> None:
    day_before = T0 - 60  # 2025-08-31 23:59 UTC = 2025-09-01 08:59 KST
    bars = [
        minute_bar(0, "1", "2", "1", "2", "1", base=day_before),
        minute_bar(1, "2", "3", "2", "3", "1", base=day_before),
    ]
    daily = resample(BarSeries.from_bars("KRW-BTC", Timeframe.M1, bars), Timeframe.D1)
    assert daily.ts_s.tolist() == [T0 - 86_400, T0]


def test_resample_refuses_bad_targets_and_unsorted_input() -> None:
    series = BarSeries.from_bars("KRW-BTC", Timeframe.M1, HAND_BARS)
    with pytest.raises(ValueError, match="not a whole multiple"):
        resample(resample(series, Timeframe.M3), Timeframe.M10)
    backwards = BarSeries.from_bars("KRW-BTC", Timeframe.M1, [HAND_BARS[1], HAND_BARS[0]])
    with pytest.raises(DataError, match="row 1 is not later than row 0"):
        resample(backwards, Timeframe.M5)
    assert len(resample(BarSeries.empty("KRW-BTC", Timeframe.M1), Timeframe.M5)) == 0


def test_streaming_closes_a_bar_as_soon_as_its_last_minute_arrives() -> None:
    aggregator = CandleAggregator(Timeframe.M5)
    outputs = [aggregator.update(bar) for bar in HAND_BARS]
    assert outputs[:3] == [None, None, None]
    first = outputs[3]  # minute 5 arrives: the 00:00 bucket (minutes 3-4 had no trades) is closed
    assert first is not None and first.ts_s == T0 and first.close == Decimal("102") and first.volume == Decimal("3.75")
    second = outputs[4]  # minute 9 ends the 00:05 bucket
    assert second is not None and second.ts_s == T0 + 300 and second.close == Decimal("97")
    assert outputs[5] is None
    last = aggregator.flush()
    assert last is not None and last.ts_s == T0 + 600
    assert aggregator.flush() is None


def test_streaming_rejects_out_of_order_bars() -> None:
    aggregator = CandleAggregator(Timeframe.M5)
    aggregator.update(HAND_BARS[1])
    with pytest.raises(ValueError, match="not later"):
        aggregator.update(HAND_BARS[0])


@st.composite
def minute_bars(draw: st.DrawFn) -> list[Bar]:
    minutes = sorted(draw(st.sets(st.integers(0, 600), min_size=1, max_size=120)))
    start = T0 + 60 * draw(st.integers(-1500, 1500))
    bars = []
    price = 50_000
    for minute in minutes:
        close = max(1_000, price + 1_000 * draw(st.integers(-3, 3)))
        high = max(price, close) + 1_000 * draw(st.integers(0, 2))
        low = max(1, min(price, close) - 1_000 * draw(st.integers(0, 2)))
        volume = Decimal(draw(st.integers(0, 10**9))).scaleb(-8)
        bars.append(
            Bar(
                "KRW-BTC",
                Timeframe.M1,
                start + 60 * minute,
                Decimal(price),
                Decimal(high),
                Decimal(low),
                Decimal(close),
                volume,
            )
        )
        price = close
    return bars


@settings(max_examples=150, deadline=None)
@given(
    minute_bars(),
    st.sampled_from([Timeframe.M1, Timeframe.M3, Timeframe.M5, Timeframe.M15, Timeframe.M60, Timeframe.D1]),
)
def test_streaming_aggregator_agrees_with_resample(bars: list[Bar], timeframe: Timeframe) -> None:
    aggregator = CandleAggregator(timeframe)
    streamed = [out for bar in bars if (out := aggregator.update(bar)) is not None]
    tail = aggregator.flush()
    if tail is not None:
        streamed.append(tail)
    batch = resample(BarSeries.from_bars("KRW-BTC", Timeframe.M1, bars), timeframe)
    assert [b.ts_s for b in streamed] == batch.ts_s.tolist()
    assert [float(b.open) for b in streamed] == batch.open.tolist()
    assert [float(b.high) for b in streamed] == batch.high.tolist()
    assert [float(b.low) for b in streamed] == batch.low.tolist()
    assert [float(b.close) for b in streamed] == batch.close.tolist()
    np.testing.assert_allclose([float(b.volume) for b in streamed], batch.volume, rtol=1e-12)
    # Every streamed bar was emitted no later than the first sub-bar of a later bucket.
    assert all(b.timeframe is timeframe for b in streamed)


def test_resample_with_last_names_each_candles_last_bar() -> None:
    """The index of each candle's last source bar: what a value computed on the source (a
    strategy's level) was when that candle closed."""
    series = BarSeries.from_bars("KRW-BTC", Timeframe.M1, HAND_BARS)
    candles, last = resample_with_last(series, Timeframe.M5)
    plain = resample(series, Timeframe.M5)
    for name in ("ts_s", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(candles, name), getattr(plain, name))
    assert len(last) == len(candles)
    for k, row in enumerate(last):
        assert series.close[row] == candles.close[k]
        assert series.ts_s[row] - series.ts_s[row] % 300 == candles.ts_s[k]
        if row + 1 < len(series):  # the next bar belongs to a later candle
            assert series.ts_s[row + 1] - series.ts_s[row + 1] % 300 > candles.ts_s[k]
    same, rows = resample_with_last(series, Timeframe.M1)
    assert same is series and rows.tolist() == list(range(len(series)))
    empty, none = resample_with_last(BarSeries.empty("KRW-BTC", Timeframe.M1), Timeframe.M5)
    assert len(empty) == 0 and len(none) == 0


def test_window_keeps_the_candles_opening_in_the_period() -> None:
    series = BarSeries.from_bars("KRW-BTC", Timeframe.M1, HAND_BARS)
    minute = [int(t - T0) // 60 for t in series.window(T0 + 60, T0 + 600).ts_s]
    assert minute == [1, 2, 5, 9]  # from minute 1, before minute 10
    assert len(series.window()) == len(series)
    assert len(series.window(T0 + 600, T0 + 60)) == 0  # an end before the start: nothing
    assert series.window(T0 + 300).ts_s[0] == T0 + 300
