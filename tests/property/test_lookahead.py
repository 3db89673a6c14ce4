"""Look-ahead check: a strategy's decision on bars[:t] equals its decision at t in the full run.

This is what lets the backtest compute signals once over the whole history while the live
engine decides on a window of recent bars, with identical results."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetui.candles.synthetic import generate_market
from tradetui.strategies.base import StrategyContext
from tradetui.strategies.registry import available, create

_SERIES = generate_market("KRW-LA", bars=3_000, seed=21)


@settings(max_examples=60, deadline=None)
@given(
    cut=st.integers(min_value=1, max_value=len(_SERIES)),
    name=st.sampled_from(available()),
    lookback=st.integers(min_value=2, max_value=60),
)
def test_prefix_decision_equals_full_run(cut: int, name: str, lookback: int) -> None:
    strategy = create(name, {"lookback": lookback})
    full = strategy.signals(_SERIES)
    prefix = strategy.signals(_SERIES.slice(0, cut))
    assert bool(prefix.enter[-1]) == bool(full.enter[cut - 1])
    assert bool(prefix.exit[-1]) == bool(full.exit[cut - 1])
    np.testing.assert_array_equal(prefix.enter, full.enter[:cut])


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(min_value=100, max_value=len(_SERIES)))
def test_decide_on_a_window_equals_the_full_run(cut: int) -> None:
    strategy = create("breakout")
    full = strategy.signals(_SERIES)
    window = _SERIES.slice(max(0, cut - strategy.window_bars), cut)
    decision = strategy.decide(StrategyContext(0, "KRW-LA"), window)
    assert decision.enter == bool(full.enter[cut - 1])


def test_the_check_can_fail_for_a_peeking_strategy() -> None:
    """A rule that looks one bar ahead is caught by the same comparison."""
    close = _SERIES.close
    peeking = np.zeros(len(close), dtype=bool)
    peeking[:-1] = close[1:] > close[:-1]
    cut = 1_000
    prefix = np.zeros(cut, dtype=bool)
    prefix[:-1] = close[1:cut] > close[: cut - 1]
    assert not np.array_equal(prefix, peeking[:cut])
