"""Per-market state of the engine: the candle buffer, per-strategy signals, the position."""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from tradetui.candles.series import BarSeries
from tradetui.core.market import Bar, Timeframe
from tradetui.engine.portfolio import Position
from tradetui.indicators.volatility import atr as average_true_range
from tradetui.risk.exits import ExitTrigger
from tradetui.strategies.base import Decision, SignalFrame, Strategy, StrategyContext


@dataclass(slots=True)
class StrategySignals:
    strategy: Strategy
    enter: npt.NDArray[np.bool_]
    exit: npt.NDArray[np.bool_]
    score: npt.NDArray[np.float64]
    atr: npt.NDArray[np.float64] | None
    enter_idx: list[int]
    exit_idx: list[int]

    @classmethod
    def from_frame(cls, strategy: Strategy, frame: SignalFrame) -> StrategySignals:
        return cls(
            strategy,
            frame.enter,
            frame.exit,
            frame.score,
            frame.atr,
            np.flatnonzero(frame.enter).tolist(),
            np.flatnonzero(frame.exit).tolist(),
        )

    def next_enter(self, start: int) -> int | None:
        k = bisect_left(self.enter_idx, start)
        return self.enter_idx[k] if k < len(self.enter_idx) else None

    def next_exit(self, start: int) -> int | None:
        k = bisect_left(self.exit_idx, start)
        return self.exit_idx[k] if k < len(self.exit_idx) else None


def _grow(arr: npt.NDArray[np.generic], size: int) -> npt.NDArray[np.generic]:
    out = np.empty(max(size, 2 * len(arr), 64), dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


@dataclass(slots=True)
class MarketState:
    market: str
    timeframe: Timeframe
    ts_s: npt.NDArray[np.int64]
    open: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    low: npt.NDArray[np.float64]
    close: npt.NDArray[np.float64]
    volume: npt.NDArray[np.float64]
    n: int
    signals: dict[str, StrategySignals] = field(default_factory=dict)
    cursor: int = 0
    position: Position | None = None
    pending: set[str] = field(default_factory=set)
    trigger: ExitTrigger | None = None
    scanned_to: int = 0
    atr: npt.NDArray[np.float64] | None = None
    """The engine's own ATR per bar (TA-Lib ``ATR``, Wilder), kept once sizing or an exit plan has
    needed it for a strategy that supplies none; extended bar by bar as bars arrive."""
    atr_period: int = 0

    @classmethod
    def from_series(cls, series: BarSeries) -> MarketState:
        return cls(
            series.market,
            series.timeframe,
            series.ts_s,
            series.open,
            series.high,
            series.low,
            series.close,
            series.volume,
            len(series),
        )

    @classmethod
    def empty(cls, market: str, timeframe: Timeframe) -> MarketState:
        return cls.from_series(BarSeries.empty(market, timeframe))

    def view(self, start: int = 0, stop: int | None = None) -> BarSeries:
        end = self.n if stop is None else stop
        return BarSeries(
            self.market,
            self.timeframe,
            self.ts_s[start:end],
            self.open[start:end],
            self.high[start:end],
            self.low[start:end],
            self.close[start:end],
            self.volume[start:end],
        )

    def append(self, bar: Bar) -> int:
        """Add a closed bar (live); returns its index."""
        i = self.n
        if i and bar.ts_s <= int(self.ts_s[i - 1]):
            raise ValueError(f"{self.market}: bar at {bar.ts_s} is not after the last bar {int(self.ts_s[i - 1])}")
        if i >= len(self.ts_s):
            self.ts_s = _grow(self.ts_s, i + 1)  # type: ignore[assignment]
            self.open = _grow(self.open, i + 1)  # type: ignore[assignment]
            self.high = _grow(self.high, i + 1)  # type: ignore[assignment]
            self.low = _grow(self.low, i + 1)  # type: ignore[assignment]
            self.close = _grow(self.close, i + 1)  # type: ignore[assignment]
            self.volume = _grow(self.volume, i + 1)  # type: ignore[assignment]
            for sig in self.signals.values():
                sig.enter = _grow(sig.enter, i + 1)  # type: ignore[assignment]
                sig.exit = _grow(sig.exit, i + 1)  # type: ignore[assignment]
                sig.score = _grow(sig.score, i + 1)  # type: ignore[assignment]
                if sig.atr is not None:
                    sig.atr = _grow(sig.atr, i + 1)  # type: ignore[assignment]
            if self.atr is not None:
                self.atr = _grow(self.atr, i + 1)  # type: ignore[assignment]
        self.ts_s[i] = bar.ts_s
        self.open[i] = float(bar.open)
        self.high[i] = float(bar.high)
        self.low[i] = float(bar.low)
        self.close[i] = float(bar.close)
        self.volume[i] = float(bar.volume)
        self.n = i + 1
        if self.atr is not None:
            self._extend_atr(i)
        return i

    def atr_at(self, i: int, period: int) -> float | None:
        """The engine's ATR(``period``) at bar ``i`` (None while it warms up); computed on first use.

        A backtest computes it over all its bars at once; a running engine over the bars it holds
        and then one Wilder step per new bar (as ``StreamingATR`` does), so both give the same
        values to a few ulps and size and stop alike."""
        if self.atr is None or self.atr_period != period:
            values = np.full(max(len(self.ts_s), self.n), np.nan)
            values[: self.n] = average_true_range(self.high[: self.n], self.low[: self.n], self.close[: self.n], period)
            self.atr = values
            self.atr_period = period
        value = float(self.atr[i]) if 0 <= i < self.n else math.nan
        return value if value > 0 else None

    def _extend_atr(self, i: int) -> None:
        assert self.atr is not None
        previous = float(self.atr[i - 1]) if i > 0 else math.nan
        if math.isnan(previous):  # still warming up: the few bars so far, the vectorised way
            n = i + 1
            self.atr[:n] = average_true_range(self.high[:n], self.low[:n], self.close[:n], self.atr_period)
            return
        p = self.atr_period
        high, low, prior_close = float(self.high[i]), float(self.low[i]), float(self.close[i - 1])
        true_range = max(high - low, abs(high - prior_close), abs(low - prior_close))
        self.atr[i] = (p - 1) / p * previous + true_range / p

    def forget_oldest(self, keep: int) -> int:
        """Drop all but the newest ``keep`` bars, between bars (nothing left to process); returns
        how many went. Every index this state holds moves down by that count, the position's
        entry index too (it may turn negative: a time stop only counts bars from it)."""
        drop = self.n - keep
        if drop <= 0 or self.cursor < self.n:
            return 0
        n = self.n
        self.ts_s = self.ts_s[drop:n].copy()
        self.open = self.open[drop:n].copy()
        self.high = self.high[drop:n].copy()
        self.low = self.low[drop:n].copy()
        self.close = self.close[drop:n].copy()
        self.volume = self.volume[drop:n].copy()
        for sig in self.signals.values():
            sig.enter = sig.enter[drop:n].copy()
            sig.exit = sig.exit[drop:n].copy()
            sig.score = sig.score[drop:n].copy()
            if sig.atr is not None:
                sig.atr = sig.atr[drop:n].copy()
            sig.enter_idx = [i - drop for i in sig.enter_idx if i >= drop]
            sig.exit_idx = [i - drop for i in sig.exit_idx if i >= drop]
        if self.atr is not None:
            self.atr = self.atr[drop:n].copy()
        self.n = keep
        self.cursor -= drop
        self.scanned_to = max(0, self.scanned_to - drop)
        trigger = self.trigger
        self.trigger = replace(trigger, index=trigger.index - drop) if trigger and trigger.index >= drop else None
        if self.position is not None and self.position.tracker is not None:
            self.position.tracker.entry_index -= drop
        return drop

    def decide_latest(self, name: str, now_ms: int) -> Decision:
        """Run one strategy on the window ending at the newest bar and store its decision."""
        sig = self.signals[name]
        strategy = sig.strategy
        i = self.n - 1
        window = self.view(max(0, self.n - strategy.window_bars), self.n)
        pos = self.position
        ctx = StrategyContext(now_ms, self.market, float(pos.volume) if pos is not None else 0.0)
        decision = strategy.decide(ctx, window)
        sig.enter[i] = decision.enter
        sig.exit[i] = decision.exit
        sig.score[i] = decision.score
        if sig.atr is None and decision.atr is not None:  # a strategy that supplies ATR live
            sig.atr = np.full(len(sig.score), np.nan)
        if sig.atr is not None:
            sig.atr[i] = decision.atr if decision.atr is not None else np.nan
        if decision.enter:
            sig.enter_idx.append(i)
        if decision.exit:
            sig.exit_idx.append(i)
        return decision

    def index_at(self, ts_s: int) -> int:
        """Index of the last bar that opened at or before ``ts_s`` (-1 if none)."""
        return int(np.searchsorted(self.ts_s[: self.n], ts_s, side="right")) - 1

    def next_event(self, enabled: list[str]) -> int | None:
        """Index of the next bar at which something can happen to this market, or None.

        Waiting orders fill at the next bar; an open position waits for its first exit
        trigger (scanned ahead with numpy) or an exit signal; a flat market waits for the next
        entry signal of an enabled strategy. Bars in between change nothing.
        """
        c = self.cursor
        n = self.n
        if c >= n:
            return None
        if self.pending:
            return c
        pos = self.position
        if pos is not None:
            best: int | None = None
            tracker = pos.tracker
            if tracker is not None:
                if self.trigger is None or self.trigger.index < c:
                    start = max(c, self.scanned_to)
                    self.trigger = tracker.scan(self.open, self.high, self.low, start, n)
                    self.scanned_to = n if self.trigger is None else self.trigger.index
                if self.trigger is not None:
                    best = self.trigger.index
            sig = self.signals.get(pos.strategy)
            if sig is not None and sig.exit_idx:
                k = sig.next_exit(c)
                if k is not None and k < n and (best is None or k < best):
                    best = k
            return best
        best = None
        for name in enabled:
            sig = self.signals[name]
            k = sig.next_enter(max(c, sig.strategy.warmup_bars - 1))
            if k is not None and k < n and (best is None or k < best):
                best = k
        return best
