"""The importer and checker on the real recorded files in ``<repo>/../shared/data`` (see its README)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from tradetui.candles.resample import resample
from tradetui.core.market import Timeframe
from tradetui.core.types import decimal_from_float
from tradetui.data.csv_import import read_candles_csv
from tradetui.data.quality import IssueKind, check_candles
from tradetui.data.quality_view import render_report

REPO_ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = REPO_ROOT / ".." / "shared" / "data"


def data_file(name: str) -> Path:
    path = DATA_DIR / name
    if not path.is_file():
        pytest.skip(f"shared data file {name} not present in {DATA_DIR.resolve()}")
    return path


# (file, market, timeframe, rows, gaps, missing bars) from the data README table.
README_FIGURES = [
    ("upbit_KRW-BTC_1m_20250901_20251004.csv.gz", "KRW-BTC", Timeframe.M1, 47597, 2, 2),
    ("upbit_KRW-ETH_1m_20250901_20251004.csv.gz", "KRW-ETH", Timeframe.M1, 47598, 1, 1),
    ("upbit_KRW-SOL_1m_20250901_20251004.csv.gz", "KRW-SOL", Timeframe.M1, 47586, 13, 13),
    ("upbit_KRW-BTC_1m_20210502_20210511.csv.gz", "KRW-BTC", Timeframe.M1, 12199, 3, 38),
    ("upbit_KRW-BTC_60m_20220101_20250929.csv.gz", "KRW-BTC", Timeframe.M60, 32780, 18, 52),
    ("upbit_KRW-BTC_1d_20220101_20251004.csv.gz", "KRW-BTC", Timeframe.D1, 1373, 0, 0),
    ("upbit_KRW-EOS_5m_20210627_20210729.csv.gz", "KRW-EOS", Timeframe.M5, 8999, 1, 37),
    ("upbit_KRW-STRK_5m_20210625_20210726.csv.gz", "KRW-STRK", Timeframe.M5, 8999, 48, 96),
    ("upbit_KRW-XEM_5m_20210625_20210726.csv.gz", "KRW-XEM", Timeframe.M5, 8999, 33, 73),
    ("binance_BTCUSDT_1m_20210501_20210531.csv.gz", "USDT-BTC", Timeframe.M1, 44640, 0, 0),
]


@pytest.mark.parametrize(("name", "market", "timeframe", "rows", "gaps", "missing"), README_FIGURES)
def test_import_and_check_agree_with_the_readme(
    name: str, market: str, timeframe: Timeframe, rows: int, gaps: int, missing: int
) -> None:
    series = read_candles_csv(data_file(name))
    assert (series.market, series.timeframe, len(series)) == (market, timeframe, rows)
    report = check_candles(series)
    assert (report.gap_count, report.missing_bars) == (gaps, missing)
    # README: all files pass the sanity checks (prices > 0, OHLC order, increasing, on the grid).
    for kind in IssueKind:
        if kind not in (IssueKind.GAP, IssueKind.RETURN_SPIKE, IssueKind.RANGE_SPIKE):
            assert report.count(kind) == 0, (kind, report.issue(kind))


def test_btc_1m_gap_details_and_rendering() -> None:
    series = read_candles_csv(data_file("upbit_KRW-BTC_1m_20250901_20251004.csv.gz"))
    assert series.ts_s[0] == 1_756_684_800  # 2025-09-01T00:00:00Z
    report = check_candles(series)
    assert report.issue(IssueKind.RETURN_SPIKE) is None  # a calm month: no outliers flagged
    assert sorted((g.before_ts_s, g.after_ts_s) for g in report.largest_gaps) == [
        (1_756_927_440, 1_756_927_560),  # 2025-09-03 19:24 -> 19:26 UTC
        (1_757_269_140, 1_757_269_260),  # 2025-09-07 18:19 -> 18:21 UTC
    ]
    console = Console(width=140, record=True, color_system=None)
    console.print(render_report(report))
    text = console.export_text()
    assert "2025-09-04 04:26:00 KST" in text and "2025-09-03 19:26:00 UTC" in text
    assert "Verdict: WARNINGS" in text


def test_strk_5m_largest_gap_is_the_maintenance_window() -> None:
    report = check_candles(read_candles_csv(data_file("upbit_KRW-STRK_5m_20210625_20210726.csv.gz")))
    biggest = report.largest_gaps[0]
    assert biggest.missing_bars == 38
    assert biggest.before_ts_s == 1_625_064_900  # 2021-06-30 14:55 UTC
    assert biggest.after_ts_s == 1_625_076_600  # 2021-06-30 18:10 UTC


def test_prices_round_trip_exactly_as_written() -> None:
    series = read_candles_csv(data_file("upbit_KRW-XEM_5m_20210625_20210726.csv.gz"))
    assert str(decimal_from_float(float(series.open[0]))) == "133"
    assert str(decimal_from_float(float(series.volume[0]))) == "204807.53333764"


def test_one_minute_bars_aggregate_to_the_recorded_hour_bars() -> None:
    """README: 1m aggregated to 1h agrees with the recorded 60m file (highs/lows/closes)."""
    minutes = read_candles_csv(data_file("upbit_KRW-BTC_1m_20250901_20251004.csv.gz"))
    hours = read_candles_csv(data_file("upbit_KRW-BTC_60m_20220101_20250929.csv.gz"))
    derived = resample(minutes, Timeframe.M60)
    common, mine, theirs = np.intersect1d(derived.ts_s, hours.ts_s, return_indices=True)
    assert len(common) > 600
    agree = np.mean(
        (derived.high[mine] == hours.high[theirs])
        & (derived.low[mine] == hours.low[theirs])
        & (derived.close[mine] == hours.close[theirs])
    )
    assert agree > 0.98
