"""The strategy contract.

A strategy is pure and deterministic and sees closed bars only. It has one definition of its
rules, written vectorised over a ``BarSeries``: ``signals(bars)[t]`` may depend on ``bars[:t+1]``
and on nothing later (the look-ahead test checks this on random cut points). Because of that
one definition serves all three environments:

* a backtest computes ``signals`` once over the whole history;
* the live engine calls :meth:`Strategy.decide` on the window of recent closed bars, which is
  the last element of the same ``signals`` computed on that window.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from tradetui.candles.series import BarSeries
from tradetui.core.market import Timeframe
from tradetui.core.plans import ExitPlan


class StrategyParams(BaseModel):
    """Base of every strategy's parameters: frozen, validated, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeframe: Timeframe = Field(default=Timeframe.M1, description="Candle period the strategy decides on.")


@dataclass(frozen=True, slots=True)
class SignalFrame:
    """Vectorised decisions, one entry per bar (decided at that bar's close)."""

    enter: npt.NDArray[np.bool_]
    exit: npt.NDArray[np.bool_]
    score: npt.NDArray[np.float64]
    """Signal strength for ranking and display (NaN where undefined)."""
    atr: npt.NDArray[np.float64] | None = None
    """ATR per bar when the exit plan or sizing needs it."""


@dataclass(frozen=True, slots=True)
class Overlay:
    """A line a strategy draws over the price chart: a level it trades on, as it saw it at each bar."""

    label: str
    values: npt.NDArray[np.float64]
    """One value per bar (NaN where undefined), causal like the signals."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The decision at the close of the newest bar of a window."""

    enter: bool
    exit: bool
    score: float
    atr: float | None = None


@dataclass(frozen=True, slots=True)
class StrategyContext:
    """What a strategy may know besides bars: the time and its own position (read-only)."""

    now_ms: int
    market: str
    position_volume: float = 0.0


class Strategy(ABC):
    """Subclasses set ``name``, ``params_type`` and implement ``signals`` and ``exit_plan``."""

    name: ClassVar[str]
    params_type: ClassVar[type[StrategyParams]]
    description: ClassVar[str] = ""

    def __init__(self, params: StrategyParams | None = None) -> None:
        self.params = params if params is not None else self.params_type()
        if not isinstance(self.params, self.params_type):
            raise TypeError(f"{self.name} needs {self.params_type.__name__}, got {type(self.params).__name__}")

    @property
    def timeframe(self) -> Timeframe:
        return self.params.timeframe

    @property
    @abstractmethod
    def warmup_bars(self) -> int:
        """Closed bars needed before the first decision can be made."""

    @abstractmethod
    def signals(self, bars: BarSeries) -> SignalFrame:
        """Causal decisions for every bar of ``bars``."""

    @abstractmethod
    def exit_plan(self) -> ExitPlan:
        """How positions opened by this strategy are left."""

    def overlays(self, bars: BarSeries) -> tuple[Overlay, ...]:
        """Levels to draw over ``bars`` on the chart (none unless the strategy has some)."""
        return ()

    @property
    def window_bars(self) -> int:
        """Bars :meth:`decide` looks at; enough for indicators to agree with the full run."""
        return self.warmup_bars + 1

    def decide(self, ctx: StrategyContext, window: BarSeries) -> Decision:
        """The decision at the close of the newest bar in ``window``."""
        if len(window) == 0:
            return Decision(False, False, float("nan"))
        frame = self.signals(window)
        atr = None if frame.atr is None else float(frame.atr[-1])
        return Decision(bool(frame.enter[-1]), bool(frame.exit[-1]), float(frame.score[-1]), atr)
