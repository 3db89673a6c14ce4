"""Streaming SMA, EMA and volume MA, plus the rolling window they and Bollinger share."""

from __future__ import annotations

import math
from collections import deque

from tradetui.indicators.inputs import require_period

NAN = math.nan


class RollingWindow:
    """The last ``period`` values with their mean and population variance in O(1).

    Sums are kept relative to a centre ``c`` (``sum(x - c)`` and ``sum((x - c)**2)``), updated
    by adding the new value and removing the oldest. Every ``period`` updates they are
    recomputed exactly with ``math.fsum`` around the current mean, so rounding drift never
    lasts longer than one window (O(1) amortised).
    """

    __slots__ = ("_centre", "_comp", "_comp_sq", "_since_exact", "_sum", "_sum_sq", "period", "values")

    def __init__(self, period: int) -> None:
        self.period = require_period(period)
        self.values: deque[float] = deque(maxlen=self.period)
        self._centre = 0.0
        self._sum = 0.0
        self._sum_sq = 0.0
        self._comp = 0.0  # Neumaier compensation terms: the rounding lost by each running sum
        self._comp_sq = 0.0
        self._since_exact = 0

    @property
    def is_full(self) -> bool:
        return len(self.values) == self.period

    def push(self, value: float) -> None:
        value = float(value)
        if len(self.values) == self.period:
            old = self.values[0] - self._centre
            self._sum, self._comp = _add(self._sum, self._comp, -old)
            self._sum_sq, self._comp_sq = _add(self._sum_sq, self._comp_sq, -old * old)
        self.values.append(value)
        new = value - self._centre
        self._sum, self._comp = _add(self._sum, self._comp, new)
        self._sum_sq, self._comp_sq = _add(self._sum_sq, self._comp_sq, new * new)
        self._since_exact += 1
        if self._since_exact >= self.period:
            self._recompute()

    def _recompute(self) -> None:
        self._centre = math.fsum(self.values) / len(self.values)
        deviations = [v - self._centre for v in self.values]
        self._sum = math.fsum(deviations)
        self._sum_sq = math.fsum(d * d for d in deviations)
        self._comp = self._comp_sq = 0.0
        self._since_exact = 0

    def mean(self) -> float:
        return self._centre + (self._sum + self._comp) / self.period

    def std(self) -> float:
        """Population standard deviation (divide by ``period``), clamped at 0."""
        centred_mean = (self._sum + self._comp) / self.period
        return math.sqrt(max((self._sum_sq + self._comp_sq) / self.period - centred_mean * centred_mean, 0.0))


def _add(total: float, comp: float, value: float) -> tuple[float, float]:
    """Neumaier's compensated addition: the new running sum and its compensation term."""
    result = total + value
    if abs(total) >= abs(value):
        comp += (total - result) + value
    else:
        comp += (value - result) + total
    return result, comp


class StreamingSMA:
    """Incremental ``sma(values, period)``: NaN for the first ``period - 1`` updates."""

    def __init__(self, period: int = 20) -> None:
        self._window = RollingWindow(period)

    def update(self, value: float) -> float:
        self._window.push(value)
        return self._window.mean() if self._window.is_full else NAN


class StreamingVolumeMA(StreamingSMA):
    """Incremental ``volume_ma(volume, period)``: feed each bar's volume."""


class StreamingEMA:
    """Incremental ``ema(values, period)``: SMA seed at update ``period``, then ``k``-smoothing."""

    def __init__(self, period: int = 20) -> None:
        self.period = require_period(period)
        self._k = 2.0 / (self.period + 1)
        self._count = 0
        self._seed_sum = 0.0
        self.value = NAN

    def update(self, value: float) -> float:
        value = float(value)
        self._count += 1
        if self._count < self.period:
            self._seed_sum += value
            return NAN
        if self._count == self.period:
            self.value = (self._seed_sum + value) / self.period
        else:
            self.value = (1.0 - self._k) * self.value + self._k * value
        return self.value
