"""First-order linear recurrences ``y[t] = decay * y[t-1] + drive[t]`` solved with numpy.

EMA and Wilder smoothing are this recurrence. A Python loop would cost ~0.3 s per million
bars, so the series is cut into blocks of ``BLOCK`` values: inside a block the closed form
``y[j] = sum_{i<=j} decay**(j-i) * drive[i] + decay**(j+1) * y_before`` is one matrix product
with a fixed upper-triangular matrix of powers of ``decay`` (every entry <= 1, so nothing
overflows and errors stay at a few ulps); the value carried from block to block is itself
the same recurrence with ``decay**BLOCK``, solved recursively on the (32x shorter) series of
block ends, and folded into each block's first drive value before the product.
"""

from __future__ import annotations

import numpy as np

from tradetui.candles.series import FloatArray

BLOCK = 32
"""Block length; 32 keeps the matrix product cache-resident and the power table tiny."""

ROWS_PER_PRODUCT = 256
"""Blocks per matrix product. OpenBLAS runs products of at most 256x32x32 (and matrix-vector
products under 9216 entries) on the calling thread; bigger ones wake its thread pool, whose
hand-offs cost far more than the arithmetic here (a 1M-bar EMA took 4-25 ms instead of 2)."""

_LOOP_BELOW = 4 * BLOCK
_TINY = 1e-290  # powers below this are flushed to 0 to keep subnormals out of the product


def _power_matrix(decay: float) -> FloatArray:
    """``m[i, j] = decay**(j - i)`` for ``i <= j``, else 0."""
    steps = np.arange(BLOCK)
    lag = steps[None, :] - steps[:, None]
    powers = np.power(decay, np.maximum(lag, 0).astype(np.float64))
    powers[(lag < 0) | (powers < _TINY)] = 0.0
    result: FloatArray = powers
    return result


def _solve_by_loop(drive: FloatArray, decay: float, initial: float, out: FloatArray) -> None:
    level = initial
    values: list[float] = drive.tolist()
    for index, value in enumerate(values):
        level = decay * level + value
        values[index] = level
    out[:] = values


def solve_into(drive: FloatArray, decay: float, initial: float, out: FloatArray) -> None:
    """Write ``y`` into ``out`` where ``y[t] = decay*y[t-1] + drive[t]`` and ``y[-1] = initial``.

    ``drive`` is used as scratch space and is modified. ``0 <= decay <= 1``.
    """
    length = drive.shape[0]
    if length < _LOOP_BELOW:
        _solve_by_loop(drive, decay, initial, out)
        return
    blocks = length // BLOCK
    body = blocks * BLOCK
    powers = _power_matrix(decay)
    drive_blocks = drive[:body].reshape(blocks, BLOCK)
    end_weights = np.ascontiguousarray(powers[:, -1])
    block_ends = np.empty(blocks, dtype=np.float64)  # each block's end value, started from 0
    for first in range(0, blocks, ROWS_PER_PRODUCT):
        rows = slice(first, first + ROWS_PER_PRODUCT)
        np.matmul(drive_blocks[rows], end_weights, out=block_ends[rows])
    block_decay = decay**BLOCK
    carried = np.empty(blocks, dtype=np.float64)
    solve_into(block_ends, block_decay if block_decay >= _TINY else 0.0, initial, carried)
    drive_blocks[0, 0] += decay * initial
    drive_blocks[1:, 0] += decay * carried[:-1]
    out_blocks = out[:body].reshape(blocks, BLOCK)
    for first in range(0, blocks, ROWS_PER_PRODUCT):
        rows = slice(first, first + ROWS_PER_PRODUCT)
        np.matmul(drive_blocks[rows], powers, out=out_blocks[rows])
    if body < length:
        _solve_by_loop(drive[body:], decay, float(carried[-1]), out[body:])


def solve(drive: FloatArray, decay: float, initial: float) -> FloatArray:
    """``y`` with ``y[t] = decay*y[t-1] + drive[t]`` and ``y[-1] = initial`` (``drive`` is kept)."""
    out = np.empty_like(drive)
    solve_into(drive.copy(), decay, initial, out)
    return out
