"""Streaming ATR and Bollinger Bands."""

from __future__ import annotations

import math

from tradetui.indicators.inputs import require_period
from tradetui.indicators.streaming.moving import RollingWindow

NAN = math.nan


class TrueRange:
    """True range of each bar against the previous close (NaN for the first bar)."""

    def __init__(self) -> None:
        self._previous_close = NAN

    def update(self, high: float, low: float, close: float) -> float:
        previous, self._previous_close = self._previous_close, float(close)
        if math.isnan(previous):
            return NAN
        return max(high - low, abs(high - previous), abs(low - previous))


class StreamingATR:
    """Incremental ``atr(high, low, close, period)``: NaN for the first ``period`` updates."""

    def __init__(self, period: int = 14) -> None:
        self.period = require_period(period)
        self._true_range = TrueRange()
        self._count = 0
        self._seed_sum = 0.0
        self.value = NAN

    def update(self, high: float, low: float, close: float) -> float:
        tr = self._true_range.update(float(high), float(low), float(close))
        self._count += 1
        if self._count <= self.period:
            if self._count > 1:
                self._seed_sum += tr
            return NAN
        p = self.period
        if self._count == p + 1:
            self.value = (self._seed_sum + tr) / p
        else:
            self.value = (p - 1) / p * self.value + tr / p
        return self.value


class StreamingBollinger:
    """Incremental ``bollinger(values, period, nbdev_up, nbdev_dn)`` -> ``(upper, middle, lower)``."""

    def __init__(self, period: int = 20, nbdev_up: float = 2.0, nbdev_dn: float = 2.0) -> None:
        self._window = RollingWindow(period)
        self.nbdev_up = float(nbdev_up)
        self.nbdev_dn = float(nbdev_dn)

    def update(self, value: float) -> tuple[float, float, float]:
        self._window.push(value)
        if not self._window.is_full:
            return NAN, NAN, NAN
        middle = self._window.mean()
        deviation = self._window.std()
        return middle + self.nbdev_up * deviation, middle, middle - self.nbdev_dn * deviation
