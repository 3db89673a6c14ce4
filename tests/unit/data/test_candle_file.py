"""Loading a candle file for use: the first unusable line is named; --repair sorts and de-duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tradetui.candles.series import BarSeries
from tradetui.core.market import Timeframe
from tradetui.data.candle_file import load_candle_file
from tradetui.data.quality import IssueKind, Severity, check_candles, unusable_rows
from tradetui.errors import DataError

HEADER = "ts,open,high,low,close,volume"
NAME = "upbit_KRW-BTC_1m_20250901_20250901.csv"


def _row(minute: int, close: int = 100, *, high: int = 110, low: int = 90, volume: str = "1") -> str:
    return f"2025-09-01T00:{minute:02d}:00Z,100,{high},{low},{close},{volume}"


def _write(tmp_path: Path, rows: list[str], name: str = NAME) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_sound_file_loads_as_it_is(tmp_path: Path) -> None:
    candles = load_candle_file(_write(tmp_path, [_row(m) for m in range(5)]))
    assert len(candles.series) == 5 and candles.repaired is None and candles.foreign_market is None
    assert candles.named is not None and candles.named.exchange == "upbit"


def test_repair_sorts_drops_exact_duplicates_and_keeps_file_lines_in_later_messages(tmp_path: Path) -> None:
    rows = [_row(0), _row(2), _row(1), _row(1), _row(3), _row(4, high=80)]  # line 7: high 80 < low 90
    path = _write(tmp_path, rows)
    with pytest.raises(DataError, match=r"line 4: ts 2025-09-01T00:01:00Z is earlier than line 3"):
        load_candle_file(path)
    with pytest.raises(DataError) as caught:
        load_candle_file(path, repair=True)
    assert "line 7: high 80 is below low 90" in str(caught.value)  # the file's line, not the sorted row
    path = _write(tmp_path, rows[:-1])
    candles = load_candle_file(path, repair=True)
    assert candles.series.ts_s.tolist() == [1_756_684_800 + 60 * m for m in range(4)]
    assert candles.repaired == "sorted 1 row(s) into time order and dropped 1 exact duplicate row(s)"


def test_repair_never_chooses_between_two_different_rows_of_one_time(tmp_path: Path) -> None:
    path = _write(tmp_path, [_row(0), _row(2), _row(1, close=101), _row(1, close=99)])
    with pytest.raises(DataError, match=r"line 5: .* repeats line 4 with different values \(close 99 vs 101"):
        load_candle_file(path, repair=True)


def test_an_upbit_json_row_is_named_by_its_time(tmp_path: Path) -> None:
    items = [
        {
            "market": "KRW-BTC",
            "candle_date_time_utc": f"2025-09-01T00:0{m}:00",
            "opening_price": 100,
            "high_price": 110,
            "low_price": 90,
            "trade_price": 100,
            "candle_acc_trade_volume": -1 if m == 2 else 1,
            "unit": 1,
        }
        for m in range(4)
    ]
    path = tmp_path / "upbit_KRW-BTC_1m_20250901_20250901.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    with pytest.raises(DataError, match=r"the candle of 2025-09-01T00:02:00Z: volume -1 is negative"):
        load_candle_file(path)


def test_what_load_refuses_is_what_data_check_calls_an_error() -> None:
    """One set of rules: every ERROR kind of the check, found on the same rows."""
    errors = {kind for kind in IssueKind if kind.severity is Severity.ERROR}
    ts = np.array([0, 60, 60, 30, 180, 240, 300, 360, 420], dtype=np.int64)
    o = np.array([10, 10, 10, 10, 10, 10, 10, 10, 10], dtype=np.float64)
    h = np.array([11, 11, 11, 11, 9, 11, 11, 11, 11], dtype=np.float64)
    lo = np.array([9, 9, 9, 9, 9.5, 12, 9, 9, 9], dtype=np.float64)
    c = np.array([10, 10, 10, 10, 10, 10, 10, -1, 10], dtype=np.float64)
    v = np.array([1, 1, 1, 1, 1, 1, -1, 1, np.nan], dtype=np.float64)
    series = BarSeries("KRW-X", Timeframe.M1, ts, o, h, lo, c, v)
    found = unusable_rows(series)
    assert set(found) == errors and all(len(rows) for rows in found.values())
    report = check_candles(series)
    for kind in errors:
        issue = report.issue(kind)
        shown = [f.row for f in issue.examples] if issue is not None else []
        assert shown == found[kind].tolist(), kind


def test_a_market_that_is_no_market_code_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "upbit_KRW-BTC_1m_20250901_20250901.json"
    item = {
        "market": "bitcoin",
        "candle_date_time_utc": "2025-09-01T00:00:00",
        "opening_price": 1,
        "high_price": 1,
        "low_price": 1,
        "trade_price": 1,
        "candle_acc_trade_volume": 1,
        "unit": 1,
    }
    path.write_text(json.dumps([item]), encoding="utf-8")
    with pytest.raises(DataError, match=r"\.json: market code 'bitcoin' is not of the form QUOTE-BASE"):
        load_candle_file(path)
