"""Columnar OHLCV arrays: the input of every indicator, strategy and backtest.

Prices are float64 here because indicator maths is float maths; orders convert back to
Decimal at the risk/sizing boundary (see ``core.types.decimal_from_float``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tradetui.core.market import Bar, Timeframe
from tradetui.core.types import decimal_from_float

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class BarSeries:
    """Candles of one market and timeframe, oldest first. ``ts_s`` = open time, epoch s UTC."""

    market: str
    timeframe: Timeframe
    ts_s: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __post_init__(self) -> None:
        n = len(self.ts_s)
        for name in ("open", "high", "low", "close", "volume"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"BarSeries {self.market}: column {name} has {len(getattr(self, name))} rows, ts has {n}"
                )

    def __len__(self) -> int:
        return len(self.ts_s)

    def slice(self, start: int, stop: int) -> BarSeries:
        return BarSeries(
            self.market,
            self.timeframe,
            self.ts_s[start:stop],
            self.open[start:stop],
            self.high[start:stop],
            self.low[start:stop],
            self.close[start:stop],
            self.volume[start:stop],
        )

    def window(self, start_s: int | None = None, end_s: int | None = None) -> BarSeries:
        """The candles opening at or after ``start_s`` and before ``end_s`` (UTC seconds; None:
        from the first, to the last)."""
        lo = 0 if start_s is None else int(np.searchsorted(self.ts_s, start_s, side="left"))
        hi = len(self) if end_s is None else int(np.searchsorted(self.ts_s, end_s, side="left"))
        return self.slice(lo, max(lo, hi))

    @classmethod
    def from_bars(cls, market: str, timeframe: Timeframe, bars: list[Bar]) -> BarSeries:
        return cls(
            market,
            timeframe,
            np.array([b.ts_s for b in bars], dtype=np.int64),
            np.array([float(b.open) for b in bars], dtype=np.float64),
            np.array([float(b.high) for b in bars], dtype=np.float64),
            np.array([float(b.low) for b in bars], dtype=np.float64),
            np.array([float(b.close) for b in bars], dtype=np.float64),
            np.array([float(b.volume) for b in bars], dtype=np.float64),
        )

    def bars(self, start: int = 0) -> Iterator[Bar]:
        """The candles from ``start`` on as Decimal :class:`Bar` objects (exact for decimal text)."""
        columns = (self.open.tolist(), self.high.tolist(), self.low.tolist(), self.close.tolist(), self.volume.tolist())
        rows = zip(self.ts_s.tolist(), *columns, strict=True)
        for ts, o, h, lo, c, v in itertools.islice(rows, start, None):
            yield Bar(
                self.market,
                self.timeframe,
                ts,
                decimal_from_float(o),
                decimal_from_float(h),
                decimal_from_float(lo),
                decimal_from_float(c),
                decimal_from_float(v),
            )

    @classmethod
    def empty(cls, market: str, timeframe: Timeframe) -> BarSeries:
        f = np.empty(0, dtype=np.float64)
        return cls(market, timeframe, np.empty(0, dtype=np.int64), f, f, f, f, f)
