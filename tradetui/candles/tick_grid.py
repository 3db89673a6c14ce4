"""Vectorised snapping of float prices onto an exchange's dated tick grid.

The Decimal path (:meth:`MarketRules.round_price`) is the reference; this is its numpy twin for
millions of values (synthetic data, simulations): pick the rule version in force at each time,
find the band by ``searchsorted`` over the band lower bounds, round half up to a multiple of the
band's tick. Results are the floats nearest to the exact decimal grid values, so
``decimal_from_float`` recovers the grid price exactly.
"""

from __future__ import annotations

import numpy as np

from tradetui.candles.series import FloatArray, IntArray
from tradetui.core.rules import UPBIT_RULES, RuleBook, TickTable


def round_prices_nearest(prices: FloatArray, ts_s: IntArray, market: str, book: RuleBook = UPBIT_RULES) -> FloatArray:
    """Each positive price rounded (half up) to the grid of the rules in force at its time."""
    prices = np.asarray(prices, dtype=np.float64)
    ts = np.broadcast_to(np.asarray(ts_s, dtype=np.int64), prices.shape)
    if np.any(~(prices > 0)):
        raise ValueError("prices must be finite and > 0 to snap onto a tick grid")
    version = np.searchsorted(np.asarray(book.boundaries_s(), dtype=np.int64), ts, side="right")
    result = np.empty_like(prices)
    for index in np.unique(version):
        mask = version == index
        result[mask] = round_to_table(prices[mask], book.versions[int(index)].table_for(market))
    return result


def round_to_table(prices: FloatArray, table: TickTable) -> FloatArray:
    """Round half up onto one tick table's grid (band chosen by the price itself)."""
    lowers = np.array([float(lower) for lower, _ in table.bands], dtype=np.float64)
    ticks = np.array([float(tick) for _, tick in table.bands], dtype=np.float64)
    band = np.searchsorted(lowers, prices, side="right") - 1
    tick = ticks[band]
    coarse = tick >= 1
    # Sub-unit ticks divide by an exact integer (1/tick) so 123.4 comes out as the float nearest 123.4.
    inverse = np.where(coarse, 1.0, np.rint(1.0 / tick))
    multiple = np.where(coarse, tick, 1.0)
    steps = np.floor(prices / multiple * inverse + 0.5)
    steps = np.maximum(steps, 1.0)
    return np.where(coarse, steps * multiple, steps / inverse)
