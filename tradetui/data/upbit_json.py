"""Upbit REST candle JSON (``GET /v1/candles/minutes/{unit}``, ``/days``) into :class:`BarSeries`.

Upbit answers newest first with ``candle_date_time_utc`` (period start, UTC, no zone); prices are
JSON numbers, which round-trip exactly through ``repr`` (see ``core.types.decimal_from_float``).
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from tradetui.candles.series import BarSeries, IntArray
from tradetui.core.market import Timeframe
from tradetui.data.csv_import import infer_timeframe, reading, require_file
from tradetui.errors import DataError

_UPBIT_FIELDS = (
    "market",
    "candle_date_time_utc",
    "opening_price",
    "high_price",
    "low_price",
    "trade_price",
    "candle_acc_trade_volume",
)


def read_upbit_candles_json(
    source: str | os.PathLike[str] | Sequence[Mapping[str, Any]],
    *,
    timeframe: Timeframe | str | None = None,
) -> BarSeries:
    """Candles from Upbit's ``/v1/candles`` JSON: a file path (``.json``/``.json.gz``) or the decoded list.

    Upbit answers newest first; the result is sorted ascending with repeated times dropped (the
    first occurrence is kept). The timeframe comes from ``unit`` (minutes) when present, else from
    ``timeframe`` or the spacing of the candles (day candles carry no ``unit``).
    """
    label, items = _load_upbit_items(source)
    if not items:
        raise DataError(f"{label}: no candles (empty JSON array); fetch at least one candle")
    markets: set[str] = set()
    units: set[int] = set()
    n = len(items)
    ts_s = np.empty(n, dtype=np.int64)
    values = np.empty((5, n), dtype=np.float64)
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise DataError(f"{label}: item {index}: expected a JSON object, got {type(item).__name__}")
        missing = [key for key in _UPBIT_FIELDS if key not in item]
        if missing:
            raise DataError(
                f"{label}: item {index}: missing key(s) {', '.join(missing)}; is this a /v1/candles answer?"
            )
        markets.add(str(item["market"]))
        if "unit" in item:
            units.add(_unit(label, index, item["unit"]))
        ts_s[index] = _upbit_time(label, index, item["candle_date_time_utc"])
        for row, key in enumerate(_UPBIT_FIELDS[2:]):
            number = item[key]
            if isinstance(number, bool) or not isinstance(number, int | float | str):
                raise DataError(f"{label}: item {index}: {key} {number!r} is not a number")
            try:
                values[row, index] = float(number)
            except ValueError:
                raise DataError(f"{label}: item {index}: {key} {number!r} is not a number") from None
            if not np.isfinite(values[row, index]) or (row < 4 and values[row, index] <= 0):
                raise DataError(f"{label}: item {index}: {key} is {number!r}; prices must be finite and > 0")
    if len(markets) != 1:
        raise DataError(f"{label}: candles of several markets ({', '.join(sorted(markets))}); load one market per call")
    if len(units) > 1:
        raise DataError(f"{label}: candles of several units ({sorted(units)} minutes); load one timeframe per call")
    order = np.argsort(ts_s, kind="stable")
    ts_sorted = ts_s[order]
    keep = np.ones(n, dtype=bool)
    keep[1:] = ts_sorted[1:] != ts_sorted[:-1]
    chosen = order[keep]
    resolved = _upbit_timeframe(label, timeframe, units, ts_s[chosen])
    return BarSeries(markets.pop(), resolved, ts_s[chosen], *(values[row, chosen].copy() for row in range(5)))


def _load_upbit_items(source: str | os.PathLike[str] | Sequence[Mapping[str, Any]]) -> tuple[str, list[Any]]:
    if isinstance(source, str | os.PathLike):
        file = Path(source)
        require_file(file)
        label = file.name
        try:
            with reading(file):
                opener = gzip.open if file.name.endswith(".gz") else open
                with opener(file, "rt", encoding="utf-8") as handle:
                    decoded = json.load(handle)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{label}: line {exc.lineno}: not valid JSON ({exc.msg}); save the raw API answer"
            ) from None
        except RecursionError:
            raise DataError(
                f"{label}: not valid candle JSON: arrays/objects nested too deeply; save the raw /v1/candles answer"
            ) from None
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            reason = "a number has more than 4300 digits" if "digits" in str(exc) else str(exc)
            raise DataError(f"{label}: not valid candle JSON ({reason}); save the raw /v1/candles answer") from None
    else:
        decoded, label = source, "Upbit candle JSON"
    if not isinstance(decoded, list):
        raise DataError(f"{label}: expected a JSON array of candle objects, got {type(decoded).__name__}")
    return label, decoded


def _unit(label: str, index: int, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DataError(f"{label}: item {index}: unit {value!r} is not a whole number of minutes")
    try:
        return int(value)
    except ValueError:
        raise DataError(f"{label}: item {index}: unit {value!r} is not a whole number of minutes") from None


def _upbit_time(label: str, index: int, value: Any) -> int:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise DataError(
            f"{label}: item {index}: candle_date_time_utc {value!r} is not a time like 2025-09-01T00:00:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _upbit_timeframe(label: str, given: Timeframe | str | None, units: set[int], ts_s: IntArray) -> Timeframe:
    if isinstance(given, Timeframe):
        return given
    if isinstance(given, str):
        return Timeframe.parse(given)
    if units:
        unit = next(iter(units))
        try:
            return Timeframe.parse(f"{unit}m")
        except ValueError:
            raise DataError(f"{label}: unit {unit} minutes is not a supported timeframe") from None
    inferred = infer_timeframe(ts_s)
    if inferred is None:
        raise DataError(f"{label}: no 'unit' and too few candles to tell the timeframe; pass timeframe='1d'")
    return inferred
