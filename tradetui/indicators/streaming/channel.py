"""Streaming highest/lowest over the last N bars with a monotonic deque (O(1) amortised)."""

from __future__ import annotations

import math
from collections import deque

from tradetui.indicators.inputs import require_period


class _StreamingExtreme:
    """Keeps (index, value) pairs whose values strictly decrease (max) or increase (min)."""

    _keep_max = True

    def __init__(self, period: int = 20) -> None:
        self.period = require_period(period)
        self._index = -1
        self._candidates: deque[tuple[int, float]] = deque()

    def update(self, value: float) -> float:
        value = float(value)
        self._index += 1
        candidates = self._candidates
        if self._keep_max:
            while candidates and candidates[-1][1] <= value:
                candidates.pop()
        else:
            while candidates and candidates[-1][1] >= value:
                candidates.pop()
        candidates.append((self._index, value))
        if candidates[0][0] <= self._index - self.period:
            candidates.popleft()
        return candidates[0][1] if self._index >= self.period - 1 else math.nan


class StreamingHighest(_StreamingExtreme):
    """Incremental ``highest(values, period)``: NaN for the first ``period - 1`` updates."""


class StreamingLowest(_StreamingExtreme):
    """Incremental ``lowest(values, period)``: NaN for the first ``period - 1`` updates."""

    _keep_max = False
