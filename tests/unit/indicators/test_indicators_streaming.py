"""Each streaming class against its vectorised twin: same NaN positions, equal to 1e-9."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetui import indicators as ind
from tradetui.indicators import streaming as stream

if TYPE_CHECKING:
    from tests.unit.indicators.conftest import Bars, SeriesCheck

Columns = dict[str, Any]


def run_stream(indicator: Any, *columns: Sequence[float]) -> np.ndarray:
    """Feed the columns row by row; stack tuple outputs into columns."""
    return np.array([indicator.update(*row) for row in zip(*columns, strict=True)], dtype=np.float64)


def check_pair(
    make_stream: Callable[[], Any],
    vectorised: Callable[..., Any],
    columns: Sequence[np.ndarray],
    assert_close: SeriesCheck,
    stream_columns: Sequence[Any] | None = None,
    scale: float | None = None,
) -> None:
    incremental = run_stream(make_stream(), *(stream_columns if stream_columns is not None else columns))
    expected = vectorised(*columns)
    if isinstance(expected, tuple):
        incremental = incremental.reshape(len(columns[0]), len(expected))
        for index, part in enumerate(expected):
            assert_close(incremental[:, index], part, scale=scale)
    else:
        assert_close(incremental, expected, scale=scale)


def pairs(
    period: int, fast: int, slow: int, signal: int
) -> list[tuple[str, Callable[[], Any], Callable[..., Any], tuple[str, ...]]]:
    """(name, streaming factory, vectorised function, columns used) for every indicator."""
    return [
        ("sma", lambda: stream.StreamingSMA(period), lambda c: ind.sma(c, period), ("close",)),
        ("ema", lambda: stream.StreamingEMA(period), lambda c: ind.ema(c, period), ("close",)),
        ("volume_ma", lambda: stream.StreamingVolumeMA(period), lambda v: ind.volume_ma(v, period), ("volume",)),
        ("rsi", lambda: stream.StreamingRSI(period), lambda c: ind.rsi(c, period), ("close",)),
        (
            "macd",
            lambda: stream.StreamingMACD(fast, slow, signal),
            lambda c: ind.macd(c, fast, slow, signal),
            ("close",),
        ),
        (
            "bollinger",
            lambda: stream.StreamingBollinger(period, 2.0, 1.5),
            lambda c: ind.bollinger(c, period, 2.0, 1.5),
            ("close",),
        ),
        (
            "atr",
            lambda: stream.StreamingATR(period),
            lambda h, lo, c: ind.atr(h, lo, c, period),
            ("high", "low", "close"),
        ),
        (
            "stochastic",
            lambda: stream.StreamingStochastic(period, fast, signal),
            lambda h, lo, c: ind.stochastic(h, lo, c, period, fast, signal),
            ("high", "low", "close"),
        ),
        ("obv", stream.StreamingOBV, ind.obv, ("close", "volume")),
        (
            "adx",
            lambda: stream.StreamingADX(period),
            lambda h, lo, c: ind.adx(h, lo, c, period),
            ("high", "low", "close"),
        ),
        ("vwap", stream.StreamingVWAP, ind.vwap, ("high", "low", "close", "volume")),
        ("highest", lambda: stream.StreamingHighest(period), lambda h: ind.highest(h, period), ("high",)),
        ("lowest", lambda: stream.StreamingLowest(period), lambda lo: ind.lowest(lo, period), ("low",)),
    ]


def price_scale(data: Columns) -> float | None:
    """MACD is a difference of prices (possibly all 0): compare it on the price scale."""
    close = data["close"]
    return float(np.max(np.abs(close))) if len(close) else None


def columns_of(bars: Columns, names: tuple[str, ...]) -> list[np.ndarray]:
    return [bars[name] for name in names]


@pytest.mark.parametrize(("period", "fast", "slow", "signal"), [(14, 12, 26, 9), (1, 1, 1, 1), (3, 5, 2, 4)])
def test_seeded_long_series(
    bars: Bars, period: int, fast: int, slow: int, signal: int, assert_close: SeriesCheck
) -> None:
    data: Columns = {"high": bars.high, "low": bars.low, "close": bars.close, "volume": bars.volume}
    for name, make_stream, vectorised, names in pairs(period, fast, slow, signal):
        scale = price_scale(data) if name == "macd" else None
        check_pair(make_stream, vectorised, columns_of(data, names), assert_close, scale=scale)


def test_seeded_vwap_with_sessions(bars: Bars, assert_close: SeriesCheck) -> None:
    columns = [bars.high, bars.low, bars.close, bars.volume]
    check_pair(
        stream.StreamingVWAP,
        lambda h, lo, c, v: ind.vwap(h, lo, c, v, bars.session),
        columns,
        assert_close,
        stream_columns=[*columns, bars.session.tolist()],
    )


steps = st.one_of(st.just(0.0), st.floats(-0.05, 0.05, allow_nan=False))


@st.composite
def random_bars(draw: st.DrawFn) -> Columns:
    """Prices from a random walk (including flat moves) with wicks and sometimes-zero volume."""
    count = draw(st.integers(0, 120))
    start = draw(st.floats(0.01, 1e8))
    moves = np.array(draw(st.lists(steps, min_size=count, max_size=count)), dtype=np.float64)
    close = start * np.exp(np.cumsum(moves))
    wick = st.one_of(st.just(0.0), st.floats(0.0, 0.03))
    up = np.array(draw(st.lists(wick, min_size=count, max_size=count)), dtype=np.float64)
    down = np.array(draw(st.lists(wick, min_size=count, max_size=count)), dtype=np.float64)
    volume_values = st.one_of(st.just(0.0), st.floats(0.001, 1e6))
    volume = np.array(draw(st.lists(volume_values, min_size=count, max_size=count)), dtype=np.float64)
    session = np.array(draw(st.lists(st.integers(0, 2), min_size=count, max_size=count)), dtype=np.int64)
    return {
        "high": close * (1.0 + up),
        "low": close * (1.0 - down),
        "close": close,
        "volume": volume,
        "session": np.sort(session),
    }


@settings(max_examples=60, deadline=None)
@given(
    data=random_bars(),
    period=st.integers(1, 20),
    fast=st.integers(1, 15),
    slow=st.integers(1, 30),
    signal=st.integers(1, 10),
)
def test_property_streaming_matches_vectorised(
    data: Columns, period: int, fast: int, slow: int, signal: int, assert_close: SeriesCheck
) -> None:
    for name, make_stream, vectorised, names in pairs(period, fast, slow, signal):
        scale = price_scale(data) if name == "macd" else None
        check_pair(make_stream, vectorised, columns_of(data, names), assert_close, scale=scale)
    columns = columns_of(data, ("high", "low", "close", "volume"))
    check_pair(
        stream.StreamingVWAP,
        lambda h, lo, c, v: ind.vwap(h, lo, c, v, data["session"]),
        columns,
        assert_close,
        stream_columns=[*columns, data["session"].tolist()],
    )
