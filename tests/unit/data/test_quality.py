from __future__ import annotations

import json

import numpy as np
from rich.console import Console

from tradetui.candles.series import BarSeries
from tradetui.core.market import Timeframe
from tradetui.data.quality import IssueKind, Severity, check_candles
from tradetui.data.quality_view import render_report, summary_line

T0 = 1_756_684_800  # 2025-09-01 00:00 UTC = 09:00 KST


def flat_series(ts: list[int], *, price: float = 100_000.0, timeframe: Timeframe = Timeframe.M1) -> BarSeries:
    n = len(ts)
    base = np.full(n, price)
    return BarSeries(
        "KRW-BTC",
        timeframe,
        np.array(ts, dtype=np.int64),
        base.copy(),
        base * 1.001,
        base * 0.999,
        base.copy(),
        np.ones(n),
    )


def wiggly_series(n: int, seed: int = 7) -> BarSeries:
    """A calm random walk (0.05 % per bar) without any outliers."""
    rng = np.random.default_rng(seed)
    close = 100_000.0 * np.exp(np.cumsum(rng.normal(0, 0.0005, n)))
    open_ = np.concatenate(([100_000.0], close[:-1]))
    high = np.maximum(open_, close) * 1.0003
    low = np.minimum(open_, close) * 0.9997
    ts = T0 + 60 * np.arange(n, dtype=np.int64)
    return BarSeries("KRW-BTC", Timeframe.M1, ts, open_, high, low, close, rng.uniform(0.5, 2, n))


def test_clean_series_is_ok() -> None:
    report = check_candles(wiggly_series(2000))
    assert report.issues == ()
    assert report.verdict is Severity.OK
    assert (report.rows, report.gap_count, report.missing_bars) == (2000, 0, 0)


def test_gaps_and_missing_bars_are_counted_and_ranked() -> None:
    minutes = [0, 1, 2, 5, 6, 7, 17, 18, 20]  # gaps: 2 missing, 9 missing, 1 missing
    report = check_candles(flat_series([T0 + 60 * m for m in minutes]))
    assert report.gap_count == 3
    assert report.missing_bars == 12
    assert report.count(IssueKind.GAP) == 3
    assert [g.missing_bars for g in report.largest_gaps] == [9, 2, 1]
    biggest = report.largest_gaps[0]
    assert (biggest.row, biggest.before_ts_s, biggest.after_ts_s) == (6, T0 + 7 * 60, T0 + 17 * 60)
    assert report.verdict is Severity.WARNING


def test_duplicates_backwards_and_off_grid_timestamps() -> None:
    ts = [T0, T0 + 60, T0 + 60, T0 + 180, T0 + 120, T0 + 245, T0 + 300]
    report = check_candles(flat_series(ts))
    assert report.count(IssueKind.DUPLICATE_TS) == 1
    assert report.count(IssueKind.NON_MONOTONIC_TS) == 1
    assert report.count(IssueKind.OFF_GRID_TS) == 1
    duplicate = report.issue(IssueKind.DUPLICATE_TS)
    assert duplicate is not None and duplicate.examples[0].row == 2
    assert report.verdict is Severity.ERROR


def test_daily_grid_is_midnight_utc() -> None:
    day = 86_400
    report = check_candles(flat_series([T0, T0 + day, T0 + 2 * day + 9 * 3600], timeframe=Timeframe.D1))
    assert report.count(IssueKind.OFF_GRID_TS) == 1


def test_ohlc_sanity() -> None:
    series = wiggly_series(50)
    high, low, open_, volume = series.high.copy(), series.low.copy(), series.open.copy(), series.volume.copy()
    high[3] = max(series.open[3], series.close[3]) * 0.99  # high below the body, still above low
    low[3] = min(series.open[3], series.close[3]) * 0.98
    low[10] = max(series.open[10], series.close[10]) * 1.01  # low above the body and above high
    open_[20] = -1.0
    volume[30] = -0.5
    high[40] = np.nan
    broken = BarSeries(series.market, series.timeframe, series.ts_s, open_, high, low, series.close, volume)
    report = check_candles(broken)
    assert report.count(IssueKind.HIGH_BELOW_OPEN_CLOSE) == 1  # row 3 (row 20 counts only as price <= 0)
    assert report.count(IssueKind.LOW_ABOVE_OPEN_CLOSE) == 1
    assert report.count(IssueKind.HIGH_BELOW_LOW) == 1
    assert report.count(IssueKind.NON_POSITIVE_PRICE) == 1
    assert report.count(IssueKind.NEGATIVE_VOLUME) == 1
    assert report.count(IssueKind.NON_FINITE) == 1
    assert report.verdict is Severity.ERROR


def test_spikes_are_found_and_the_floor_holds() -> None:
    series = wiggly_series(1000)
    close, high, low = series.close.copy(), series.high.copy(), series.low.copy()
    close[500] *= 1.05  # +5 %: a return spike (and the next bar's -5 % back)
    high[500] = max(high[500], close[500])
    high[700] = high[700] * 1.06  # a wick of 6 %: a range spike, not a return spike
    spiky = BarSeries(series.market, series.timeframe, series.ts_s, series.open, high, low, close, series.volume)
    report = check_candles(spiky)
    returns = report.issue(IssueKind.RETURN_SPIKE)
    assert returns is not None and [f.row for f in returns.examples] == [500, 501]
    ranges = report.issue(IssueKind.RANGE_SPIKE)
    assert ranges is not None and [f.row for f in ranges.examples] == [500, 700]  # the +5 % bar's range, the wick
    assert report.verdict is Severity.WARNING
    # A floor of 10 % hides both.
    assert check_candles(spiky, min_spike_return=0.10).issues == ()


def test_examples_are_limited_but_counts_are_complete() -> None:
    ts = [T0 + 60 * m + 1 for m in range(40)]  # every row off the grid
    report = check_candles(flat_series(ts), examples=10)
    issue = report.issue(IssueKind.OFF_GRID_TS)
    assert issue is not None and issue.count == 40 and len(issue.examples) == 10


def test_to_dict_is_json_ready() -> None:
    report = check_candles(flat_series([T0, T0 + 60, T0 + 240]))
    data = report.to_dict()
    text = json.dumps(data)
    assert json.loads(text)["counts"]["gap"] == 1
    assert data["missing_bars"] == 2
    assert data["verdict"] == "warning"
    assert data["largest_gaps"][0] == {"row": 2, "before_ts_s": T0 + 60, "after_ts_s": T0 + 240, "missing_bars": 2}


def test_render_shows_summary_counts_examples_in_kst_and_utc_and_verdict() -> None:
    report = check_candles(flat_series([T0, T0 + 60, T0 + 60, T0 + 240]))
    console = Console(width=160, record=True, color_system=None)
    console.print(render_report(report))
    text = console.export_text()
    assert "KRW-BTC 1m | 4 bars" in text
    assert "duplicate timestamps" in text
    assert "2025-09-01 09:01:00 KST" in text and "2025-09-01 00:01:00 UTC" in text
    assert "Verdict: ERRORS" in text
    assert "verdict: ERROR" in summary_line(report)


def test_empty_series() -> None:
    report = check_candles(BarSeries.empty("KRW-BTC", Timeframe.M1))
    assert report.rows == 0 and report.verdict is Severity.OK and report.first_ts_s is None
    Console(width=100, record=True).print(render_report(report))
