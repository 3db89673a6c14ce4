"""Candles of a lower timeframe rolled up into a higher one: in batch (:func:`resample`, a whole
series at once) and one closed bar at a time (:class:`CandleAggregator`, the streaming twin).

Buckets are :meth:`Timeframe.bucket_start` (UTC epoch grid), so day candles run 00:00-24:00 UTC
(09:00-09:00 KST), as Upbit's do. open = first, high = max, low = min, close = last,
volume = sum. A bucket holds whatever sub-bars exist: missing minutes (no trades) do not
prevent the higher bar, and a bucket with no sub-bars produces no bar.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

from tradetui.candles.series import BarSeries
from tradetui.core.market import Bar, Timeframe
from tradetui.errors import DataError

__all__ = ["CandleAggregator", "check_resample_target", "resample"]


def check_resample_target(source: Timeframe, target: Timeframe) -> None:
    """Raise ValueError unless ``target`` is a whole multiple of ``source``."""
    if target.seconds < source.seconds or target.seconds % source.seconds != 0:
        raise ValueError(
            f"cannot aggregate {source} candles into {target}: {target} is not a whole multiple of {source}"
        )


def resample(series: BarSeries, timeframe: Timeframe) -> BarSeries:
    """Aggregate ``series`` (strictly increasing times) into ``timeframe`` candles, vectorised.

    The last bucket is included even if the data stop before its end; drop it yourself when only
    closed candles are wanted. Raises :class:`DataError` when times are not strictly increasing.
    """
    return resample_with_last(series, timeframe)[0]


def resample_with_last(series: BarSeries, timeframe: Timeframe) -> tuple[BarSeries, npt.NDArray[np.intp]]:
    """:func:`resample`, and the index in ``series`` of each candle's last bar (what a value
    computed on ``series`` was at each candle's close). The same timeframe gives ``series`` itself."""
    check_resample_target(series.timeframe, timeframe)
    n = len(series)
    if n == 0:
        return BarSeries.empty(series.market, timeframe), np.arange(0, dtype=np.intp)
    ts = series.ts_s.astype(np.int64, copy=False)
    backwards = np.flatnonzero(np.diff(ts) <= 0)
    if len(backwards):
        row = int(backwards[0]) + 1
        raise DataError(
            f"{series.market} {series.timeframe}: row {row} is not later than row {row - 1}; "
            "timestamps must strictly increase to resample (run the data check to see all such rows)"
        )
    if timeframe == series.timeframe:
        return series, np.arange(n, dtype=np.intp)
    buckets = ts - ts % timeframe.seconds
    starts = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
    ends = np.concatenate((starts[1:], [n])) - 1
    candles = BarSeries(
        series.market,
        timeframe,
        buckets[starts],
        series.open[starts],
        np.maximum.reduceat(series.high, starts),
        np.minimum.reduceat(series.low, starts),
        series.close[ends],
        np.add.reduceat(series.volume, starts),
    )
    return candles, ends.astype(np.intp)


class CandleAggregator:
    """Streaming twin of :func:`resample` for a live feed of closed lower-timeframe bars.

    :meth:`update` returns a higher-timeframe bar as soon as it is known to be closed: when the
    sub-bar that ends its period arrives, or when a sub-bar of a later period arrives (the end
    of the period had no trades). If one call would close two bars (the old period lacked its
    last minute and the new sub-bar alone completes the next), the older one is returned and
    the newer one on the next call or :meth:`flush`. Outputs plus ``flush()`` equal ``resample``.
    Volumes are summed exactly in Decimal.
    """

    __slots__ = ("_bucket", "_close", "_high", "_last_ts", "_low", "_market", "_open", "_timeframe", "_volume")

    def __init__(self, timeframe: Timeframe) -> None:
        self._timeframe = timeframe
        self._market: str | None = None
        self._bucket: int | None = None
        self._last_ts: int | None = None
        self._open = self._high = self._low = self._close = self._volume = Decimal(0)

    @property
    def timeframe(self) -> Timeframe:
        return self._timeframe

    def update(self, bar: Bar) -> Bar | None:
        """Add one closed sub-bar; return the higher bar this closes, if any."""
        check_resample_target(bar.timeframe, self._timeframe)
        if self._market is not None and bar.market != self._market:
            raise ValueError(f"aggregator for {self._market} got a bar of {bar.market}")
        if self._last_ts is not None and bar.ts_s <= self._last_ts:
            raise ValueError(f"{bar.market}: bar at {bar.ts_s} is not later than the previous one at {self._last_ts}")
        self._market = bar.market
        self._last_ts = bar.ts_s
        bucket = self._timeframe.bucket_start(bar.ts_s)
        closed: Bar | None = None
        if self._bucket is not None and bucket != self._bucket:
            closed = self._current()
            self._bucket = None
        if self._bucket is None:
            self._bucket = bucket
            self._open, self._high, self._low = bar.open, bar.high, bar.low
            self._volume = Decimal(0)
        else:
            self._high = max(self._high, bar.high)
            self._low = min(self._low, bar.low)
        self._close = bar.close
        self._volume += bar.volume
        if closed is None and bar.ts_s + bar.timeframe.seconds >= bucket + self._timeframe.seconds:
            closed = self._current()
            self._bucket = None
        return closed

    def flush(self) -> Bar | None:
        """The open (unfinished) bar, if any, which is then dropped from the aggregator."""
        if self._bucket is None:
            return None
        bar = self._current()
        self._bucket = None
        return bar

    def _current(self) -> Bar:
        assert self._market is not None and self._bucket is not None
        return Bar(
            self._market,
            self._timeframe,
            self._bucket,
            self._open,
            self._high,
            self._low,
            self._close,
            self._volume,
        )
