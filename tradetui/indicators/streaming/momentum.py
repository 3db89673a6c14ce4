"""Streaming RSI, MACD, slow stochastic and ADX."""

from __future__ import annotations

import math
from collections import deque

from tradetui.indicators.inputs import require_period
from tradetui.indicators.streaming.channel import StreamingHighest, StreamingLowest
from tradetui.indicators.streaming.moving import StreamingEMA, StreamingSMA
from tradetui.indicators.streaming.volatility import TrueRange

NAN = math.nan


class StreamingRSI:
    """Incremental ``rsi(values, period)``: NaN for the first ``period`` updates."""

    def __init__(self, period: int = 14) -> None:
        self.period = require_period(period)
        self._previous = NAN
        self._count = 0
        self._gain = 0.0
        self._loss = 0.0

    def update(self, value: float) -> float:
        value = float(value)
        previous, self._previous = self._previous, value
        self._count += 1
        if self._count == 1:
            return NAN
        change = value - previous
        gain, loss = max(change, 0.0), max(-change, 0.0)
        p = self.period
        if self._count <= p + 1:
            self._gain += gain
            self._loss += loss
            if self._count <= p:
                return NAN
            self._gain /= p
            self._loss /= p
        else:
            self._gain = (p - 1) / p * self._gain + gain / p
            self._loss = (p - 1) / p * self._loss + loss / p
        total = self._gain + self._loss
        return 100.0 * (self._gain / total) if total != 0.0 else 0.0


class StreamingMACD:
    """Incremental ``macd(values, fast, slow, signal)`` -> ``(macd, signal, hist)``.

    Follows TA-Lib's alignment: the fast EMA is seeded at the same bar as the slow one, with
    the mean of the last ``fast`` values there, so the last ``fast`` inputs are buffered.
    """

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        fast = require_period(fast, "fast")
        slow = require_period(slow, "slow")
        if slow < fast:
            fast, slow = slow, fast
        self.fast, self.slow = fast, slow
        self._recent: deque[float] = deque(maxlen=fast)
        self._slow = StreamingEMA(slow)
        self._fast_k = 2.0 / (fast + 1)
        self._fast = NAN
        self._signal = StreamingEMA(signal)
        self._count = 0
        self._lookback = slow - 1 + require_period(signal, "signal") - 1

    def update(self, value: float) -> tuple[float, float, float]:
        value = float(value)
        self._count += 1
        slow = self._slow.update(value)
        if self._count < self.slow:
            self._recent.append(value)
            return NAN, NAN, NAN
        if self._count == self.slow:
            self._recent.append(value)
            self._fast = sum(self._recent) / self.fast
        else:
            self._fast = (1.0 - self._fast_k) * self._fast + self._fast_k * value
        line = self._fast - slow
        signal = self._signal.update(line)
        if self._count <= self._lookback:
            return NAN, NAN, NAN
        return line, signal, line - signal


class StreamingStochastic:
    """Incremental ``stochastic(high, low, close, fastk, slowk, slowd)`` -> ``(slowk, slowd)``."""

    def __init__(self, fastk: int = 5, slowk: int = 3, slowd: int = 3) -> None:
        fastk = require_period(fastk, "fastk")
        slowk = require_period(slowk, "slowk")
        slowd = require_period(slowd, "slowd")
        self._highest = StreamingHighest(fastk)
        self._lowest = StreamingLowest(fastk)
        self._slow_k = StreamingSMA(slowk)
        self._slow_d = StreamingSMA(slowd)
        self._count = 0
        self._lookback = fastk - 1 + slowk - 1 + slowd - 1

    def update(self, high: float, low: float, close: float) -> tuple[float, float]:
        self._count += 1
        highest = self._highest.update(high)
        lowest = self._lowest.update(low)
        if math.isnan(highest):
            return NAN, NAN
        span = (highest - lowest) / 100.0
        fast_k = (float(close) - lowest) / span if span != 0.0 else 0.0
        slow_k = self._slow_k.update(fast_k)
        if math.isnan(slow_k):
            return NAN, NAN
        slow_d = self._slow_d.update(slow_k)
        if self._count <= self._lookback:
            return NAN, NAN
        return slow_k, slow_d


class StreamingADX:
    """Incremental ``adx(high, low, close, period)``: NaN for the first ``2 * period - 1`` updates."""

    def __init__(self, period: int = 14) -> None:
        self.period = require_period(period)
        self._true_range = TrueRange()
        self._previous_high = NAN
        self._previous_low = NAN
        self._count = 0
        self._sum_tr = 0.0
        self._sum_plus = 0.0
        self._sum_minus = 0.0
        self._dx_sum = 0.0
        self.value = NAN

    def update(self, high: float, low: float, close: float) -> float:
        high, low = float(high), float(low)
        tr = self._true_range.update(high, low, float(close))
        up, down = high - self._previous_high, self._previous_low - low
        self._previous_high, self._previous_low = high, low
        bar = self._count
        self._count += 1
        if bar == 0:
            return NAN
        plus = up if up > 0.0 and up > down else 0.0
        minus = down if down > 0.0 and up < down else 0.0
        p = self.period
        if bar < p:
            self._sum_tr += tr
            self._sum_plus += plus
            self._sum_minus += minus
            return NAN
        decay = 1.0 - 1.0 / p
        self._sum_tr = decay * self._sum_tr + tr
        self._sum_plus = decay * self._sum_plus + plus
        self._sum_minus = decay * self._sum_minus + minus
        dx = self._dx()
        if bar < 2 * p - 1:
            if dx is not None:
                self._dx_sum += dx
            return NAN
        if bar == 2 * p - 1:
            self.value = (self._dx_sum + (dx if dx is not None else 0.0)) / p
        elif dx is not None:
            self.value = (p - 1) / p * self.value + dx / p
        return self.value

    def _dx(self) -> float | None:
        """This bar's DX, or None when the smoothed TR or the DI sum is 0 (TA-Lib skips it)."""
        if self._sum_tr == 0.0:
            return None
        plus_di = 100.0 * (self._sum_plus / self._sum_tr)
        minus_di = 100.0 * (self._sum_minus / self._sum_tr)
        total = minus_di + plus_di
        if total == 0.0:
            return None
        return 100.0 * (abs(minus_di - plus_di) / total)
