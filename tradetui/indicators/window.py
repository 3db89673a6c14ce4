"""Sliding-window sums, means, variances and extremes over the last ``period`` values.

Every function returns one value per *complete* window, i.e. ``len(x) - period + 1``
values, the first for the window ending at index ``period - 1`` (empty when the series is
shorter than the window). Callers pad with NaN to the input length.

Sums use prefix sums re-anchored every ``SEGMENT`` values: each segment is centred on its
first value and cumulated on its own, so a window sum only ever subtracts two partial sums of
one or two neighbouring segments. Error stays near ``SEGMENT * eps`` of the window's spread
instead of growing with the series length (a plain ``cumsum`` of a million prices near 1e8
loses ~6 digits) and the centring removes the cancellation in ``E[x^2] - E[x]^2``.
"""

from __future__ import annotations

import numpy as np

from tradetui.indicators.series import FloatArray

SEGMENT = 4096


def _segment_length(period: int) -> int:
    return max(SEGMENT, 4 * period)


def _window_sums(x: FloatArray, period: int, *, squares: bool) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(reference, sum of x - reference, sum of (x - reference)**2) per window.

    ``reference`` is the first value of the segment holding the window's last element; the
    squares are only computed when ``squares`` (else a zero-length array is returned).
    """
    n = x.shape[0]
    windows = n - period + 1
    seg = _segment_length(period)
    segments = -(-n // seg)
    padded = np.zeros(segments * seg, dtype=np.float64)
    padded[:n] = x
    grid = padded.reshape(segments, seg)
    refs = grid[:, 0].copy()
    if n % seg:
        grid[-1, n % seg :] = refs[-1]  # padding centred to zero, harmless
    centred = grid - refs[:, None]
    inclusive = np.cumsum(centred, axis=1).reshape(-1)
    exclusive = inclusive - centred.reshape(-1)
    ends = slice(period - 1, n)
    starts = slice(0, windows)
    sums = inclusive[ends] - exclusive[starts]
    squares_sum = np.empty(0, dtype=np.float64)
    if squares:
        sq = centred * centred
        inclusive_sq = np.cumsum(sq, axis=1).reshape(-1)
        exclusive_sq = inclusive_sq - sq.reshape(-1)
        squares_sum = inclusive_sq[ends] - exclusive_sq[starts]
    reference = np.repeat(refs, seg)[period - 1 : n]
    if period > 1 and segments > 1:
        # Windows whose start lies in the previous segment: that part is re-expressed
        # relative to the current segment's reference before adding.
        first_ends = np.arange(1, segments) * seg
        end_idx = (first_ends[:, None] + np.arange(period - 1)[None, :]).reshape(-1)
        end_idx = end_idx[end_idx < n]
        start_idx = end_idx - period + 1
        prev_seg = start_idx // seg
        head_count = (prev_seg + 1) * seg - start_idx
        shift = refs[prev_seg + 1] - refs[prev_seg]
        seg_total = inclusive.reshape(segments, seg)[:, -1]
        head = seg_total[prev_seg] - exclusive[start_idx]
        out_idx = end_idx - (period - 1)
        sums[out_idx] = head - head_count * shift + inclusive[end_idx]
        if squares:
            seg_total_sq = inclusive_sq.reshape(segments, seg)[:, -1]
            head_sq = seg_total_sq[prev_seg] - exclusive_sq[start_idx]
            squares_sum[out_idx] = head_sq - 2.0 * shift * head + head_count * shift * shift + inclusive_sq[end_idx]
    return reference, sums, squares_sum


def window_mean(x: FloatArray, period: int) -> FloatArray:
    """Mean of each complete window of ``period`` values."""
    if x.shape[0] < period:
        return np.empty(0, dtype=np.float64)
    if period == 1:
        return x.copy()
    reference, sums, _ = _window_sums(x, period, squares=False)
    return reference + sums / period


def window_mean_var(x: FloatArray, period: int) -> tuple[FloatArray, FloatArray]:
    """Mean and population variance (divide by ``period``, clamped at 0) of each complete window."""
    if x.shape[0] < period:
        empty = np.empty(0, dtype=np.float64)
        return empty, empty.copy()
    reference, sums, squares_sum = _window_sums(x, period, squares=True)
    centred_mean = sums / period
    variance = squares_sum / period - centred_mean * centred_mean
    np.maximum(variance, 0.0, out=variance)
    return reference + centred_mean, variance


def _window_extreme(x: FloatArray, period: int, pick: np.ufunc) -> FloatArray:
    """``pick`` (np.maximum / np.minimum) over each window, by doubling: O(n log period)."""
    n = x.shape[0]
    if n < period:
        return np.empty(0, dtype=np.float64)
    span = 1
    level = x.copy()  # level[i] = extreme of x[i : i + span]
    while span * 2 <= period:
        level = pick(level[:-span], level[span:])
        span *= 2
    if span < period:
        level = pick(level[: n - period + 1], level[period - span : n - span + 1])
    result: FloatArray = level[: n - period + 1]
    return result


def window_max(x: FloatArray, period: int) -> FloatArray:
    """Largest value of each complete window."""
    return _window_extreme(x, period, np.maximum)


def window_min(x: FloatArray, period: int) -> FloatArray:
    """Smallest value of each complete window."""
    return _window_extreme(x, period, np.minimum)
