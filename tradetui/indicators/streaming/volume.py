"""Streaming on-balance volume and VWAP."""

from __future__ import annotations

import math
from collections.abc import Hashable

NAN = math.nan


class StreamingOBV:
    """Incremental ``obv(close, volume)``: starts at the first bar's volume."""

    def __init__(self) -> None:
        self._previous_close = NAN
        self.value = NAN

    def update(self, close: float, volume: float) -> float:
        close, volume = float(close), float(volume)
        if math.isnan(self.value):
            self.value = volume
        elif close > self._previous_close:
            self.value += volume
        elif close < self._previous_close:
            self.value -= volume
        self._previous_close = close
        return self.value


class StreamingVWAP:
    """Incremental ``vwap(high, low, close, volume, session)``.

    Pass the bar's session id (e.g. ``ts_s // 86400``) to restart the average whenever it
    changes; leave it None for one cumulative average. NaN while the session's volume is 0.
    """

    def __init__(self) -> None:
        self._session: Hashable = None
        self._started = False
        self._weighted = 0.0
        self._traded = 0.0

    def update(self, high: float, low: float, close: float, volume: float, session: Hashable = None) -> float:
        if self._started and session != self._session:
            self._weighted = 0.0
            self._traded = 0.0
        self._started = True
        self._session = session
        volume = float(volume)
        self._weighted += (float(high) + float(low) + float(close)) / 3.0 * volume
        self._traded += volume
        return self._weighted / self._traded if self._traded != 0.0 else NAN
