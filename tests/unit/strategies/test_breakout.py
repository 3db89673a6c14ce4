"""Breakout momentum: entry rule on hand-made bars, parameters, registry."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from tradetui.candles.series import BarSeries
from tradetui.core.market import Timeframe
from tradetui.strategies import registry
from tradetui.strategies.breakout import BreakoutMomentum, BreakoutParams


def _series(high: Sequence[float], close: Sequence[float], volume: Sequence[float]) -> BarSeries:
    n = len(close)
    h = np.array(high, dtype=float)
    c = np.array(close, dtype=float)
    return BarSeries(
        "KRW-T",
        Timeframe.M1,
        np.arange(n, dtype=np.int64) * 60,
        c.copy(),
        h,
        np.minimum(c, h) - 1,
        c,
        np.array(volume, dtype=float),
    )


def test_enters_only_on_a_new_high_with_heavy_volume() -> None:
    s = BreakoutMomentum(BreakoutParams(lookback=3, volume_lookback=3, volume_mult=1.5))
    high = [10, 11, 12, 12, 13, 14, 14]
    close = [10, 11, 12, 11.5, 12.5, 14, 13]
    vol = [1, 1, 1, 1, 3, 1, 9]
    frame = s.signals(_series(high, close, vol))
    # bar 4: close 12.5 > max(high[1..3]) = 12 and volume 3 >= 1.5 * mean(1,1,1) -> enter
    # bar 5: close 14 > 13 but volume 1 < 1.5 * mean(1,1,3) -> no
    # bar 6: close 13 < max(12,13,14) -> no despite volume
    assert frame.enter.tolist() == [False, False, False, False, True, False, False]


def test_warmup_bars_never_signal() -> None:
    s = BreakoutMomentum(BreakoutParams(lookback=5, volume_lookback=5))
    n = 6
    frame = s.signals(_series(list(range(1, n + 1)), list(range(1, n + 1)), [1] * (n - 1) + [100]))
    assert not frame.enter[: s.warmup_bars - 1].any()
    assert s.warmup_bars == 6


def test_exit_plan_follows_params() -> None:
    plan = BreakoutMomentum(
        BreakoutParams(stop_pct=2, take_profit_pct=4, take_profit_fraction=0.3, trailing_pct=0.5)
    ).exit_plan()
    assert plan.stop_pct == 2
    assert plan.take_profits[0].gain_pct == 4 and plan.take_profits[0].fraction == 0.3
    assert plan.trailing_pct == 0.5


def test_registry_rejects_unknown_names_and_keys() -> None:
    with pytest.raises(registry.UnknownStrategy, match="available: breakout"):
        registry.create("moonshot")
    with pytest.raises(ValueError, match=r"strategies\.breakout\.params\.lookbak: unknown key"):
        registry.create("breakout", {"lookbak": 3})
    with pytest.raises(ValueError, match="lookback"):
        registry.create("breakout", {"lookback": 0})
    assert registry.create("breakout", {"lookback": 30}).params.lookback == 30  # type: ignore[attr-defined]


@pytest.mark.parametrize("lookback", [3, 5])
def test_the_chart_overlay_is_the_level_the_strategy_trades_on_with_its_own_lookback(lookback: int) -> None:
    s = BreakoutMomentum(BreakoutParams(lookback=lookback, volume_lookback=3, volume_mult=0))
    rng = np.random.default_rng(lookback)
    close = (100 + rng.standard_normal(40).cumsum()).tolist()
    high = [c + abs(x) for c, x in zip(close, rng.standard_normal(40), strict=True)]
    bars = _series(high, close, [1.0] * 40)
    (overlay,) = s.overlays(bars)
    assert overlay.label == f"high{lookback}"
    for t in range(40):
        expected = max(high[t - lookback : t]) if t >= lookback else None
        if expected is None:
            assert np.isnan(overlay.values[t])
        else:
            assert overlay.values[t] == pytest.approx(expected)
    # the signals use the very same level: every entry closes above it
    frame = s.signals(bars)
    assert all(close[t] > overlay.values[t] for t in np.flatnonzero(frame.enter))
    assert frame.enter.any()
