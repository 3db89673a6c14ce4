"""Breakout momentum: buy when the close breaks the N-bar high on heavy volume.

Entry at the close of bar t when
    close[t] > max(high[t-N .. t-1])            (a new N-bar high; default N = 20), and
    volume[t] ≥ k × mean(volume[t-M .. t-1])    (default k = 1.5, M = 20).
The order goes out at once and, in a backtest, fills at the next bar's open.

Exits (engine-side, see ``risk.exits``): stop 1.5 % below the entry, a first take-profit at
+3 % selling half, then a 1 % trailing stop on the rest.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from tradetui.candles.series import BarSeries
from tradetui.core.plans import ExitPlan, TakeProfit
from tradetui.indicators.channel import highest
from tradetui.indicators.moving import volume_ma
from tradetui.strategies.base import Overlay, SignalFrame, Strategy, StrategyParams


class BreakoutParams(StrategyParams):
    lookback: int = Field(20, ge=2, le=1000, description="Bars whose high the close must break.")
    volume_lookback: int = Field(20, ge=1, le=1000, description="Bars in the volume average.")
    volume_mult: float = Field(1.5, ge=0, le=100, description="Volume must be at least this × its average.")
    stop_pct: float = Field(1.5, gt=0, lt=50, description="Hard stop below the entry, percent.")
    take_profit_pct: float = Field(3.0, gt=0, lt=1000, description="First take-profit above the entry, percent.")
    take_profit_fraction: float = Field(
        0.5, gt=0, le=1, description="Share of the position sold at the first take-profit."
    )
    trailing_pct: float = Field(1.0, gt=0, lt=50, description="Trailing stop after the first take-profit, percent.")
    time_stop_bars: int | None = Field(None, ge=1, description="Leave after this many bars (off by default).")

    @model_validator(mode="after")
    def _stop_below_target(self) -> BreakoutParams:
        if self.stop_pct >= self.take_profit_pct * 10:
            raise ValueError("stop_pct is far wider than take_profit_pct; check the units (both are percent)")
        return self


class BreakoutMomentum(Strategy):
    name = "breakout"
    params_type = BreakoutParams
    description = "N-bar high breakout with a volume filter; stop, partial take-profit, trailing stop."

    params: BreakoutParams

    @property
    def warmup_bars(self) -> int:
        return max(self.params.lookback, self.params.volume_lookback) + 1

    def signals(self, bars: BarSeries) -> SignalFrame:
        p = self.params
        n = len(bars)
        enter = np.zeros(n, dtype=np.bool_)
        score = np.full(n, np.nan)
        if n > 1:
            prior_high = _breakout_level(bars, p.lookback)
            prior_volume = np.full(n, np.nan)
            prior_volume[1:] = volume_ma(bars.volume, p.volume_lookback)[:-1]
            with np.errstate(invalid="ignore", divide="ignore"):
                breaks = bars.close > prior_high
                heavy = bars.volume >= p.volume_mult * prior_volume
                score = np.where(prior_high > 0, (bars.close / prior_high - 1) * 100, np.nan)
            enter = breaks & heavy
        return SignalFrame(enter=enter, exit=np.zeros(n, dtype=np.bool_), score=score)

    def overlays(self, bars: BarSeries) -> tuple[Overlay, ...]:
        """The breakout level: the highest high of the ``lookback`` bars before each bar."""
        return (Overlay(f"high{self.params.lookback}", _breakout_level(bars, self.params.lookback)),)

    def exit_plan(self) -> ExitPlan:
        p = self.params
        return ExitPlan(
            stop_pct=p.stop_pct,
            take_profits=(TakeProfit(p.take_profit_pct, p.take_profit_fraction),),
            trailing_pct=p.trailing_pct,
            time_stop_bars=p.time_stop_bars,
        )


def _breakout_level(bars: BarSeries, lookback: int) -> npt.NDArray[np.float64]:
    """max(high[t-N .. t-1]) at each bar t (NaN until N bars are known)."""
    level = np.full(len(bars), np.nan)
    if len(bars) > 1:
        level[1:] = highest(bars.high, lookback)[:-1]
    return level
