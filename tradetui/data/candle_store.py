"""Series out of the candle store (what ``data import`` and ``data fetch`` wrote), for a backtest
without candle files; when a series is missing, one line saying what the store does hold."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tradetui.candles.series import BarSeries
from tradetui.core.market import Timeframe
from tradetui.errors import DataError
from tradetui.storage.records import CandleSet
from tradetui.storage.repository import SqliteRepository

PREFERRED = Timeframe.M1
"""The timeframe taken when none is asked for and the store has it."""


def _utc(ts_s: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts_s)) + " UTC"


def describe(sets: Sequence[CandleSet]) -> str:
    """What the store holds, e.g. ``upbit KRW-BTC 1m (5,760 candles, 2025-01-01 00:00 UTC … 2025-01-04 23:59 UTC)``."""
    if not sets:
        return "nothing (it is empty)"
    return "; ".join(
        f"{s.exchange} {s.market} {s.timeframe} ({s.count:,} candles, {_utc(s.first_s)} … {_utc(s.last_s)})"
        for s in sets
    )


def _fill_hint(exchange: str, market: str, timeframe: str) -> str:
    return (
        f"add it with `tradetui data fetch --exchange {exchange} --market {market} --timeframe {timeframe} "
        "--from DATE` or `tradetui data import FILE`"
    )


def _choose_timeframe(sets: Sequence[CandleSet], exchange: str, markets: Sequence[str]) -> Timeframe:
    """The timeframe every asked market has in the store: 1m when it is there, else the finest."""
    common: set[str] | None = None
    for market in markets:
        frames = {s.timeframe for s in sets if s.exchange == exchange and s.market == market}
        common = frames if common is None else common & frames
    parsed = sorted((Timeframe.parse(tf) for tf in common or ()), key=lambda tf: tf.seconds)
    if PREFERRED in parsed:
        return PREFERRED
    return parsed[0] if parsed else PREFERRED


def _empty(database: Path, market: str) -> DataError:
    return DataError(
        f"no candles to test on: the candle store {database} is empty; give --data FILE, or fill the store "
        f"with `tradetui data import FILE` or `tradetui data fetch --market {market} --from DATE`"
    )


async def load_stored_series(
    database: Path,
    *,
    exchange: str,
    markets: Sequence[str],
    timeframe: Timeframe | None,
    start_s: int | None,
    end_s: int | None,
) -> list[BarSeries]:
    """One series per market from the store at ``database``, ``start_s <= ts < end_s``.

    ``timeframe`` None: 1m when every market has it, else the finest timeframe they all have.
    Raises :class:`DataError` (one line: what is missing, what the store holds, how to fill it)."""
    if not database.is_file():
        raise _empty(database, markets[0])
    repo = await SqliteRepository.open(database)
    try:
        sets = await repo.list_candle_sets()
        if not sets:
            raise _empty(database, markets[0])
        chosen = timeframe or _choose_timeframe(sets, exchange, markets)
        return [await _one(repo, database, sets, exchange, market, chosen, start_s, end_s) for market in markets]
    finally:
        await repo.close()


async def _one(
    repo: SqliteRepository,
    database: Path,
    sets: Sequence[CandleSet],
    exchange: str,
    market: str,
    timeframe: Timeframe,
    start_s: int | None,
    end_s: int | None,
) -> BarSeries:
    held = next((s for s in sets if (s.exchange, s.market, s.timeframe) == (exchange, market, timeframe.value)), None)
    if held is None:
        raise DataError(
            f"no stored {timeframe} candles of {market} on {exchange} in {database}; the store holds "
            f"{describe(sets)}. Pick one with --market/--timeframe (and --exchange), or "
            + _fill_hint(exchange, market, timeframe.value)
        )
    rows = await repo.load_candles(exchange, market, timeframe, start_s, None if end_s is None else end_s - 1)
    if not rows:
        raise DataError(
            f"no stored {timeframe} candles of {market} between --from and --to; the store covers "
            f"{_utc(held.first_s)} … {_utc(held.last_s)}"
        )
    cols = list(zip(*rows, strict=True))
    return BarSeries(
        market,
        timeframe,
        np.array(cols[0], dtype=np.int64),
        *(np.array([float(x) for x in col], dtype=np.float64) for col in cols[1:]),
    )
