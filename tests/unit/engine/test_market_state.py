"""MarketState.forget_oldest: a bounded candle history whose indices move together."""

from __future__ import annotations

import numpy as np

from tradetui.candles.synthetic import generate_market
from tradetui.engine.market_state import MarketState, StrategySignals
from tradetui.risk.exits import ExitTrigger
from tradetui.strategies.registry import create


def _state(bars: int = 100) -> MarketState:
    series = generate_market("KRW-BTC", bars=bars, seed=1)
    state = MarketState.from_series(series)
    strategy = create("breakout")
    state.signals["breakout"] = StrategySignals.from_frame(strategy, strategy.signals(series))
    state.cursor = state.scanned_to = state.n
    return state


def test_the_newest_bars_stay_and_every_index_moves_with_them() -> None:
    state = _state()
    closes = state.close[:100].copy()
    sig = state.signals["breakout"]
    sig.enter_idx, sig.exit_idx = [10, 75, 90], [30, 95]
    state.trigger = ExitTrigger(98, "stop", 1.0, 1.0)
    assert state.forget_oldest(40) == 60
    assert state.n == 40 and np.array_equal(state.close[:40], closes[60:])
    assert (state.cursor, state.scanned_to, state.trigger.index) == (40, 40, 38)
    assert (sig.enter_idx, sig.exit_idx) == ([15, 30], [35])
    assert len(sig.enter) == len(sig.score) == 40


def test_nothing_is_dropped_mid_bar_or_below_the_limit() -> None:
    state = _state()
    state.cursor = 99  # a bar still to process
    assert state.forget_oldest(40) == 0 and state.n == 100
    state.cursor = 100
    assert state.forget_oldest(100) == 0 and state.forget_oldest(150) == 0
