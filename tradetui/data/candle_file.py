"""A candle file made ready to use: read, then refused at its first bad row or repaired.

``tradetui data check`` reports everything that is wrong with a file. A backtest or an import
must not go on with candles whose order or numbers make no sense (the engine needs strictly
increasing times on the timeframe grid and ``low <= open, close <= high``, ``volume >= 0``), so
:func:`load_candle_file` applies the same rules (:func:`tradetui.data.quality.unusable_rows`)
and raises one :class:`DataError` line naming the first bad line of the file, what is wrong
there and how to fix it. With ``repair=True`` it first sorts the rows by time and drops exact
duplicate rows (and says how many in :attr:`CandleFile.repaired`); two rows of the same time
with different numbers are never guessed between.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tradetui.candles.series import BarSeries, IntArray
from tradetui.core.market import Market, Timeframe
from tradetui.data.csv_import import CandleFileName, parse_candle_file_name, read_candles_csv, ts_texts
from tradetui.data.quality import IssueKind, unusable_rows
from tradetui.data.upbit_json import read_upbit_candles_json
from tradetui.errors import DataError

_FIRST_NAMED = (
    # when several problems start on the same row, the one named first is the clearest
    IssueKind.NON_FINITE,
    IssueKind.NON_POSITIVE_PRICE,
    IssueKind.HIGH_BELOW_LOW,
    IssueKind.HIGH_BELOW_OPEN_CLOSE,
    IssueKind.LOW_ABOVE_OPEN_CLOSE,
    IssueKind.NEGATIVE_VOLUME,
    IssueKind.DUPLICATE_TS,
    IssueKind.NON_MONOTONIC_TS,
    IssueKind.OFF_GRID_TS,
)
_ZONE = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CandleFile:
    """Candles read from a file and found usable."""

    path: Path
    series: BarSeries
    named: CandleFileName | None
    """What the file name says (exchange, market, timeframe), if it follows the pattern."""
    repaired: str | None = None
    """What ``repair=True`` changed, e.g. "sorted 1 row(s) into time order", or None."""

    @property
    def foreign_market(self) -> str | None:
        """A sentence when the candles are not of a KRW market (what Upbit and Bithumb trade), else None."""
        code = self.series.market
        if Market(code).quote == "KRW":
            return None
        origin = f" from {self.named.exchange}" if self.named is not None else ""
        return (
            f"{self.path.name}: holds {code} candles{origin} (prices in {Market(code).quote}), "
            "not a KRW market of Upbit or Bithumb"
        )


def is_json_file(path: str | os.PathLike[str]) -> bool:
    return Path(path).name.lower().endswith((".json", ".json.gz"))


def read_candle_file(
    path: str | os.PathLike[str], *, market: str | None = None, timeframe: Timeframe | None = None
) -> BarSeries:
    """A candle CSV (``.csv``/``.csv.gz``) or Upbit candle JSON (``.json``/``.json.gz``), as it is."""
    if is_json_file(path):
        series = read_upbit_candles_json(path, timeframe=timeframe)
        if market is not None and market != series.market:
            raise DataError(f"{Path(path).name} holds {series.market}, not {market}")
    else:
        series = read_candles_csv(path, market=market, timeframe=timeframe)
    try:
        Market(series.market)
    except ValueError as exc:
        raise DataError(f"{Path(path).name}: {exc}") from None
    return series


def load_candle_file(
    path: str | os.PathLike[str],
    *,
    market: str | None = None,
    timeframe: Timeframe | None = None,
    repair: bool = False,
) -> CandleFile:
    """Read ``path`` and refuse it at its first unusable row, or (``repair``) sort it and drop exact duplicates."""
    file = Path(path)
    series = read_candle_file(file, market=market, timeframe=timeframe)
    rows = _Rows(file, series, is_csv=not is_json_file(file))
    repaired = None
    if repair:
        series, rows, repaired = _repair(series, rows)
    bad = unusable_rows(series)
    first = min(
        ((int(found[0]), _FIRST_NAMED.index(kind), kind) for kind, found in bad.items() if len(found)),
        default=None,
    )
    if first is not None:
        row, _, kind = first
        raise DataError(_refusal(series, rows, kind, row, len(bad[kind])))
    return CandleFile(file, series, parse_candle_file_name(file.name), repaired)


@dataclass(frozen=True, slots=True)
class _Rows:
    """How to name a row of the series in a message: its line in a CSV, else its time."""

    file: Path
    series: BarSeries
    is_csv: bool
    origin: IntArray | None = None
    """Row index in the file of each series row, after a repair reordered them."""

    def line(self, row: int) -> int:
        return (int(self.origin[row]) if self.origin is not None else row) + 2

    def where(self, row: int) -> str:
        if self.is_csv:
            return f"line {self.line(row)}"
        return f"the candle of {_iso(int(self.series.ts_s[row]))}"

    def ts_text(self, *rows: int) -> list[str]:
        """The ``ts`` of each row as written in the file (a CSV), else as UTC time."""
        if not self.is_csv:
            return [_iso(int(self.series.ts_s[row])) for row in rows]
        texts = ts_texts(self.file, {self.line(row) for row in rows})
        return [texts[self.line(row)] for row in rows]


def _iso(ts_s: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts_s))


def _num(value: float) -> str:
    return f"{value:.10g}"


def _repair(series: BarSeries, rows: _Rows) -> tuple[BarSeries, _Rows, str | None]:
    ts = series.ts_s
    out_of_order = int(np.count_nonzero(np.diff(ts) < 0))
    order = np.argsort(ts, kind="stable")
    columns = [series.open, series.high, series.low, series.close, series.volume]
    ts_sorted = ts[order]
    same_time = np.zeros(len(order), dtype=np.bool_)
    same_time[1:] = ts_sorted[1:] == ts_sorted[:-1]
    exact = same_time.copy()
    for column in columns:
        values = column[order]
        exact[1:] &= values[1:] == values[:-1]
    conflicts = np.flatnonzero(same_time & ~exact)
    if len(conflicts):
        k = int(conflicts[0])
        later, earlier = sorted((int(order[k]), int(order[k - 1])), reverse=True)
        raise DataError(_conflict(series, rows, later, earlier, len(conflicts)))
    keep = order[~exact]
    dropped = int(np.count_nonzero(exact))
    if not out_of_order and not dropped:
        return series, rows, None
    fixed = BarSeries(series.market, series.timeframe, ts[keep], *(column[keep] for column in columns))
    done = []
    if out_of_order:
        done.append(f"sorted {out_of_order} row(s) into time order")
    if dropped:
        done.append(f"dropped {dropped} exact duplicate row(s)")
    return fixed, _Rows(rows.file, fixed, rows.is_csv, keep.astype(np.int64)), " and ".join(done)


def _conflict(series: BarSeries, rows: _Rows, later: int, earlier: int, count: int) -> str:
    names = ("open", "high", "low", "close", "volume")
    columns = (series.open, series.high, series.low, series.close, series.volume)
    differ = ", ".join(
        f"{name} {_num(column[later])} vs {_num(column[earlier])}"
        for name, column in zip(names, columns, strict=True)
        if column[later] != column[earlier]
    )
    return (
        f"{rows.file.name}: {rows.where(later)}: ts {_iso(int(series.ts_s[later]))} repeats {rows.where(earlier)} "
        f"with different values ({differ}; {count} such row(s)); keep one of the two rows"
    )


def _zones_hint(rows: _Rows, row: int, previous: int) -> str:
    """Why two times collide or go backwards when the file writes them in different zones."""
    if not rows.is_csv:
        return ""
    texts = rows.ts_text(row, previous)
    zones = [m.group(1).upper() if (m := _ZONE.search(text)) else "no zone" for text in texts]
    if zones[0] == zones[1]:
        return ""
    return f"; the file mixes time zones ({zones[1]} and {zones[0]}): write every ts in one zone, e.g. UTC with Z"


def _refusal(series: BarSeries, rows: _Rows, kind: IssueKind, row: int, count: int) -> str:
    name = rows.file.name
    where = rows.where(row)
    o, h, lo, c, v = (float(x[row]) for x in (series.open, series.high, series.low, series.close, series.volume))
    check = f"({count} row(s) in all; `tradetui data check {name}` lists them)"
    fix_row = f"fix or remove the row {check}"
    if kind is IssueKind.DUPLICATE_TS or kind is IssueKind.NON_MONOTONIC_TS:
        return _order_refusal(series, rows, kind, row, count)
    if kind is IssueKind.OFF_GRID_TS:
        step = series.timeframe.seconds
        (text,) = rows.ts_text(row)
        return (
            f"{name}: {where}: ts {text} is {int(series.ts_s[row]) % step} s past the {series.timeframe} grid "
            f"{check}; ts must be each candle's open time, on the {series.timeframe} grid"
        )
    return f"{name}: {where}: {_ohlcv_problem(kind, o, h, lo, c, v)}; {fix_row}"


def _ohlcv_problem(kind: IssueKind, o: float, h: float, lo: float, c: float, v: float) -> str:
    if kind is IssueKind.NON_FINITE:
        return f"open/high/low/close/volume {_num(o)}/{_num(h)}/{_num(lo)}/{_num(c)}/{_num(v)} is not finite"
    if kind is IssueKind.NON_POSITIVE_PRICE:
        return f"a price is not > 0 (open {_num(o)}, high {_num(h)}, low {_num(lo)}, close {_num(c)})"
    if kind is IssueKind.HIGH_BELOW_LOW:
        return f"high {_num(h)} is below low {_num(lo)}"
    if kind is IssueKind.HIGH_BELOW_OPEN_CLOSE:
        return f"high {_num(h)} is below the {'open' if h < o else 'close'} {_num(o if h < o else c)}"
    if kind is IssueKind.LOW_ABOVE_OPEN_CLOSE:
        return f"low {_num(lo)} is above the {'open' if lo > o else 'close'} {_num(o if lo > o else c)}"
    return f"volume {_num(v)} is negative"


def _order_refusal(series: BarSeries, rows: _Rows, kind: IssueKind, row: int, count: int) -> str:
    name = rows.file.name
    now, before = rows.ts_text(row, row - 1)
    zones = _zones_hint(rows, row, row - 1)
    if kind is IssueKind.DUPLICATE_TS:
        columns = (series.open, series.high, series.low, series.close, series.volume)
        if any(column[row] != column[row - 1] for column in columns):
            return _conflict(series, rows, row, row - 1, count) + zones
        return (
            f"{name}: {rows.where(row)}: ts {now} repeats {rows.where(row - 1)} (an exact copy; {count} duplicate "
            f"row(s) in all){zones}; remove the duplicates, or pass --repair to drop exact duplicates"
        )
    utc = _iso(int(series.ts_s[row]))
    shown = now if now == utc else f"{now} ({utc.replace('T', ' ').replace('Z', ' UTC')})"
    if zones:
        return f"{name}: {rows.where(row)}: ts {shown} is earlier than {rows.where(row - 1)} ({before}){zones}"
    return (
        f"{name}: {rows.where(row)}: ts {shown} is earlier than {rows.where(row - 1)} ({before}); "
        f"{count} row(s) are out of time order: sort the file by ts, or pass --repair to sort it"
    )
