"""Sliding-window means, standard deviations and extremes over the last ``period`` values.

``window_mean``/``window_mean_std`` return arrays as long as the input, NaN for the first
``period - 1`` entries (no complete window yet).

Short windows (``period <= DIRECT_UP_TO``) add shifted slices directly. Longer ones use prefix
sums re-anchored every segment of ``SEGMENT`` values: each segment is centred on its first
value and summed on its own, so a window sum subtracts partial sums of at most two
neighbouring segments. The error stays near ``SEGMENT * eps`` of the window's spread instead
of growing with the series (a plain ``cumsum`` of a million prices near 1e8 loses ~6 digits),
and the centring removes the cancellation in ``E[x^2] - E[x]^2``. Prefix sums inside a
segment are products with a triangular matrix of ones over blocks of 32 values (``numpy.cumsum``
is a scalar loop, ~4x slower).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tradetui.candles.series import FloatArray
from tradetui.indicators.recurrence import BLOCK, ROWS_PER_PRODUCT

SEGMENT = 1024
DIRECT_UP_TO = 8

_UPPER_ONES = np.triu(np.ones((BLOCK, BLOCK), dtype=np.float64))


def _prefix_in_segments(values: FloatArray, segment: int) -> FloatArray:
    """Inclusive running sums of ``values`` restarting at every multiple of ``segment``.

    ``len(values)`` and ``segment`` are multiples of ``BLOCK``.
    """
    blocks = values.reshape(-1, BLOCK)
    prefix = np.empty_like(values)
    prefix_blocks = prefix.reshape(-1, BLOCK)
    for first in range(0, blocks.shape[0], ROWS_PER_PRODUCT):
        rows = slice(first, first + ROWS_PER_PRODUCT)
        np.matmul(blocks[rows], _UPPER_ONES, out=prefix_blocks[rows])
    totals = prefix_blocks[:, -1].reshape(-1, segment // BLOCK)
    offsets = np.cumsum(totals, axis=1)
    offsets -= totals  # exclusive: sum of the earlier blocks of the same segment
    prefix_blocks += offsets.reshape(-1, 1)
    return prefix


class _Segments:
    """The input padded to whole segments, each centred on its first value, and its prefix sums."""

    def __init__(self, x: FloatArray, period: int) -> None:
        self.length = n = x.shape[0]
        self.period = period
        self.size = size = -(-max(SEGMENT, 4 * period) // BLOCK) * BLOCK
        count = -(-n // size)
        centred = np.empty(count * size, dtype=np.float64)
        centred[:n] = x
        grid = centred.reshape(count, size)
        self.refs = grid[:, 0].copy()
        centred[n:] = self.refs[-1]
        grid -= self.refs[:, None]
        self.centred = centred
        self.count = count

    def sums(self, prefix: FloatArray, out: FloatArray, squares_of: FloatArray | None = None) -> None:
        """Write the sum of each complete window into ``out[period-1:n]``.

        ``prefix`` holds the segment-wise running sums of the centred values (or of their
        squares). A window ending in segment ``s`` is relative to ``refs[s]``; the part of it
        lying in segment ``s - 1`` is re-centred by ``d = refs[s] - refs[s-1]``: ``sum(z - d)
        = sum z - m d``, and for squares (``squares_of`` = prefix of the centred values)
        ``sum (z - d)^2 = sum z^2 - 2 d sum z + m d^2``.
        """
        n, p, size = self.length, self.period, self.size
        np.subtract(prefix[p:n], prefix[: n - p], out=out[p:n])
        out[p - 1] = prefix[p - 1]
        if self.count == 1:
            return
        # Windows ending at segment start + 0..p-1 start in the previous segment (straddle)
        # or exactly at the segment start (last one): the plain difference is wrong there.
        lags = np.arange(p)
        ends = (np.arange(1, self.count)[:, None] * size + lags[None, :]).reshape(-1)
        is_straddle = np.broadcast_to(lags < p - 1, (self.count - 1, p)).reshape(-1)
        keep = ends < n
        ends, is_straddle = ends[keep], is_straddle[keep]
        values = prefix[ends]
        head_end = ends[is_straddle] - p  # last index before the window, in segment s - 1
        head_seg = head_end // size
        shift = self.refs[head_seg + 1] - self.refs[head_seg]
        count = (head_seg + 1) * size - 1 - head_end
        head = prefix.reshape(self.count, size)[head_seg, -1] - prefix[head_end]
        if squares_of is None:
            values[is_straddle] += head - count * shift
        else:
            plain_head = squares_of.reshape(self.count, size)[head_seg, -1] - squares_of[head_end]
            values[is_straddle] += head - 2.0 * shift * plain_head + count * shift * shift
        out[ends] = values

    def add_refs(self, out: FloatArray) -> None:
        grid = out.reshape(self.count, self.size)
        grid += self.refs[:, None]


_NOISE_FACTOR = 1e4 * 64 * 2.0**-52
"""Variance below this times (segment square totals / period) is recomputed exactly."""
_EXACT_CHUNK = 1 << 16


def _exact_variance(x: FloatArray, period: int, ends: npt.NDArray[np.intp]) -> FloatArray:
    """Two-pass population variance of the windows ending at ``ends`` (chunked gathers)."""
    out = np.empty(ends.shape[0], dtype=np.float64)
    rows_per_chunk = max(1, _EXACT_CHUNK // period)
    lags = np.arange(period - 1, -1, -1)
    for first in range(0, ends.shape[0], rows_per_chunk):
        chunk = ends[first : first + rows_per_chunk]
        windows = x[chunk[:, None] - lags[None, :]]
        deviations = windows - windows.mean(axis=1, keepdims=True)
        out[first : first + rows_per_chunk] = np.einsum("ij,ij->i", deviations, deviations) / period
    return out


def _direct_sum(x: FloatArray, period: int, out: FloatArray) -> None:
    """Window sums into ``out[period-1:]``, adding one shifted slice per lag (tiny windows)."""
    n = x.shape[0]
    tail = out[period - 1 : n]
    tail[...] = x[period - 1 :]
    for lag in range(1, period):
        tail += x[period - 1 - lag : n - lag]


def window_mean(x: FloatArray, period: int) -> FloatArray:
    """Mean of the ``period`` values ending at each index (NaN before ``period - 1``)."""
    n = x.shape[0]
    if n < period:
        return np.full(n, np.nan)
    if period <= DIRECT_UP_TO:
        out = np.empty(n, dtype=np.float64)
        _direct_sum(x, period, out)
        out[period - 1 :] /= period
        out[: period - 1] = np.nan
        return out
    segments = _Segments(x, period)
    prefix = _prefix_in_segments(segments.centred, segments.size)
    padded = segments.centred  # no longer needed once the prefix sums exist
    segments.sums(prefix, padded)
    padded[period - 1 : n] /= period
    segments.add_refs(padded)
    padded[: period - 1] = np.nan
    result: FloatArray = padded[:n]
    return result


def window_mean_std(x: FloatArray, period: int) -> tuple[FloatArray, FloatArray]:
    """Mean and population standard deviation (divide by ``period``) of each window.

    Both NaN before ``period - 1``; a negative variance from rounding is clamped to 0.
    """
    n = x.shape[0]
    if n < period:
        return np.full(n, np.nan), np.full(n, np.nan)
    if period <= DIRECT_UP_TO:
        mean = window_mean(x, period)
        spread = np.zeros(n, dtype=np.float64)
        deviation = np.empty(n - period + 1, dtype=np.float64)
        for lag in range(period):
            np.subtract(x[period - 1 - lag : n - lag], mean[period - 1 :], out=deviation)
            deviation *= deviation
            spread[period - 1 :] += deviation
        spread[period - 1 :] /= period
        np.sqrt(spread, out=spread)
        spread[: period - 1] = np.nan
        return mean, spread
    segments = _Segments(x, period)
    prefix = _prefix_in_segments(segments.centred, segments.size)
    squared = segments.centred * segments.centred
    prefix_sq = _prefix_in_segments(squared, segments.size)
    mean_c = squared  # reuse: centred window means
    segments.sums(prefix, mean_c)
    mean_c[period - 1 : n] /= period
    variance = prefix  # reuse: its values are copied out where needed below
    sums_sq = segments.centred
    segments.sums(prefix_sq, sums_sq, squares_of=prefix)
    np.divide(sums_sq[period - 1 : n], period, out=variance[period - 1 : n])
    # The centred sums of squares carry an absolute error of a few eps times the segment's
    # total of squares. Where the variance is not well above that (flat stretches), the
    # difference of squares is noise, so those windows are recomputed directly (two-pass).
    square_totals = prefix_sq.reshape(segments.count, segments.size)[:, -1]
    neighbours = square_totals.copy()
    neighbours[1:] += square_totals[:-1]
    neighbours *= _NOISE_FACTOR / period
    np.multiply(mean_c[period - 1 : n], mean_c[period - 1 : n], out=sums_sq[period - 1 : n])
    variance[period - 1 : n] -= sums_sq[period - 1 : n]
    is_doubtful = variance.reshape(segments.count, segments.size) <= neighbours[:, None]
    doubtful = np.flatnonzero(is_doubtful.reshape(-1)[period - 1 : n]) + (period - 1)
    if doubtful.size:
        variance[doubtful] = _exact_variance(x, period, doubtful)
    np.maximum(variance, 0.0, out=variance)
    np.sqrt(variance, out=variance)
    segments.add_refs(mean_c)
    mean_c[: period - 1] = np.nan
    variance[: period - 1] = np.nan
    return mean_c[:n], variance[:n]


def _window_extreme(x: FloatArray, period: int, pick: np.ufunc) -> FloatArray:
    """``pick`` (np.maximum / np.minimum) over each window by doubling spans: O(n log period).

    After each round ``level[i]`` is the extreme of ``x[i : i + span]``; the final window is
    the union of two (possibly overlapping) spans.
    """
    n = x.shape[0]
    out = np.full(n, np.nan)
    if n < period:
        return out
    level = x.copy()
    spare = np.empty_like(level)
    span = 1
    while span * 2 <= period:
        pick(level[: n - span], level[span:n], out=spare[: n - span])
        level, spare = spare, level
        span *= 2
    windows = n - period + 1
    if span < period:
        pick(level[:windows], level[period - span : period - span + windows], out=out[period - 1 :])
    else:
        out[period - 1 :] = level[:windows]
    return out


def window_max(x: FloatArray, period: int) -> FloatArray:
    """Largest of the ``period`` values ending at each index (NaN before ``period - 1``)."""
    return _window_extreme(x, period, np.maximum)


def window_min(x: FloatArray, period: int) -> FloatArray:
    """Smallest of the ``period`` values ending at each index (NaN before ``period - 1``)."""
    return _window_extreme(x, period, np.minimum)
