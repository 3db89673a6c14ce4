"""Candles of a lower timeframe rolled up into a higher one, in batch and one bar at a time.

Buckets are :meth:`Timeframe.bucket_start` (UTC epoch grid), so day candles run 00:00-24:00 UTC
(09:00-09:00 KST), as Upbit's do. open = first, high = max, low = min, close = last,
volume = sum. A bucket holds whatever sub-bars exist: missing minutes (no trades) do not
prevent the higher bar, and a bucket with no sub-bars produces no bar.
"""

from __future__ import annotations

import numpy as np

from tradetui.core.market import Timeframe
from tradetui.engine.aggregation import CandleAggregator, check_resample_target
from tradetui.errors import DataError
from tradetui.indicators.series import BarSeries

__all__ = ["CandleAggregator", "check_resample_target", "resample"]


def resample(series: BarSeries, timeframe: Timeframe) -> BarSeries:
    """Aggregate ``series`` (strictly increasing times) into ``timeframe`` candles, vectorised.

    The last bucket is included even if the data stop before its end; drop it yourself when only
    closed candles are wanted. Raises :class:`DataError` when times are not strictly increasing.
    """
    check_resample_target(series.timeframe, timeframe)
    if len(series) == 0:
        return BarSeries.empty(series.market, timeframe)
    ts = series.ts_s.astype(np.int64, copy=False)
    backwards = np.flatnonzero(np.diff(ts) <= 0)
    if len(backwards):
        row = int(backwards[0]) + 1
        raise DataError(
            f"{series.market} {series.timeframe}: row {row} is not later than row {row - 1}; "
            "timestamps must strictly increase to resample (run the data check to see all such rows)"
        )
    buckets = ts - ts % timeframe.seconds
    starts = np.flatnonzero(np.concatenate(([True], buckets[1:] != buckets[:-1])))
    ends = np.concatenate((starts[1:], [len(ts)])) - 1
    return BarSeries(
        series.market,
        timeframe,
        buckets[starts],
        series.open[starts],
        np.maximum.reduceat(series.high, starts),
        np.minimum.reduceat(series.low, starts),
        series.close[ends],
        np.add.reduceat(series.volume, starts),
    )
