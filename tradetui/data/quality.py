"""Candle data quality: gaps, timestamp order and grid, OHLC sanity and price spikes.

:func:`check_candles` is vectorised (numpy; one pandas rolling median for the spike rule) and
returns a :class:`QualityReport` of plain dataclasses that converts to a dict for ``--json``.
Rendering for people lives in :mod:`tradetui.data.quality_view`.

Spike rule (documented, tunable). With ``r_t = ln(close_t / close_{t-1})`` and the bar's range
``g_t = ln(high_t / low_t)``, the local scale of each is the median of its absolute values over
the previous ``spike_window`` bars (robust to the spikes themselves; for returns this is the
MAD about zero, and ``1.4826 x MAD`` estimates sigma). A bar is a

* **return spike** when ``|r_t| > max(k * 1.4826 * MAD_r * sqrt(dt / step), min_spike_return)``,
  ``dt / step`` widening the band over a gap, and a
* **range spike** when ``g_t > max(k * median(g), min_spike_return)``,

with ``k = spike_threshold``. The floor keeps quiet or tick-bound markets (a one-tick move of a
130 KRW coin is 0.8 %) from flagging ordinary ticks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradetui.candles.series import BarSeries, FloatArray, IntArray
from tradetui.core.market import Timeframe

BoolArray = npt.NDArray[np.bool_]

MAD_TO_SIGMA = 1.4826
DEFAULT_SPIKE_THRESHOLD = 12.0
DEFAULT_MIN_SPIKE_RETURN = 0.03
DEFAULT_SPIKE_WINDOW = 120
EXAMPLES_PER_ISSUE = 10
LARGEST_GAPS = 10


class Severity(StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


class IssueKind(StrEnum):
    """One kind of problem; the value is the key used in JSON output."""

    GAP = "gap"
    DUPLICATE_TS = "duplicate_ts"
    NON_MONOTONIC_TS = "non_monotonic_ts"
    OFF_GRID_TS = "off_grid_ts"
    NON_FINITE = "non_finite"
    NON_POSITIVE_PRICE = "non_positive_price"
    HIGH_BELOW_OPEN_CLOSE = "high_below_open_close"
    LOW_ABOVE_OPEN_CLOSE = "low_above_open_close"
    HIGH_BELOW_LOW = "high_below_low"
    NEGATIVE_VOLUME = "negative_volume"
    RETURN_SPIKE = "return_spike"
    RANGE_SPIKE = "range_spike"

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self in _WARNINGS else Severity.ERROR

    @property
    def label(self) -> str:
        """What the problem is, in words."""
        return _TITLES[self]


_WARNINGS = frozenset({IssueKind.GAP, IssueKind.RETURN_SPIKE, IssueKind.RANGE_SPIKE})
_TITLES = {
    IssueKind.GAP: "gaps (missing bars)",
    IssueKind.DUPLICATE_TS: "duplicate timestamps",
    IssueKind.NON_MONOTONIC_TS: "timestamps going backwards",
    IssueKind.OFF_GRID_TS: "timestamps off the timeframe grid",
    IssueKind.NON_FINITE: "NaN / infinite values",
    IssueKind.NON_POSITIVE_PRICE: "price <= 0",
    IssueKind.HIGH_BELOW_OPEN_CLOSE: "high < max(open, close)",
    IssueKind.LOW_ABOVE_OPEN_CLOSE: "low > min(open, close)",
    IssueKind.HIGH_BELOW_LOW: "high < low",
    IssueKind.NEGATIVE_VOLUME: "volume < 0",
    IssueKind.RETURN_SPIKE: "return spikes",
    IssueKind.RANGE_SPIKE: "range spikes",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One affected row: its index in the series, its open time and what is wrong there."""

    row: int
    ts_s: int
    detail: str


@dataclass(frozen=True, slots=True)
class Issue:
    """All rows with one kind of problem: the count and the first few examples."""

    kind: IssueKind
    count: int
    examples: tuple[Finding, ...]

    @property
    def severity(self) -> Severity:
        return self.kind.severity


@dataclass(frozen=True, slots=True)
class Gap:
    """Consecutive rows more than one interval apart. ``missing_bars`` = grid slots between them."""

    row: int
    """Index of the row after the gap."""
    before_ts_s: int
    after_ts_s: int
    missing_bars: int


@dataclass(frozen=True, slots=True)
class QualityReport:
    market: str
    timeframe: Timeframe
    rows: int
    first_ts_s: int | None
    last_ts_s: int | None
    gap_count: int
    missing_bars: int
    largest_gaps: tuple[Gap, ...]
    issues: tuple[Issue, ...]
    """Every kind of problem that occurred (count > 0), in :class:`IssueKind` order."""
    spike_rule: str
    parameters: dict[str, float] = field(default_factory=dict)

    @property
    def verdict(self) -> Severity:
        severities = {issue.severity for issue in self.issues}
        if Severity.ERROR in severities:
            return Severity.ERROR
        return Severity.WARNING if severities else Severity.OK

    def count(self, kind: IssueKind) -> int:
        for issue in self.issues:
            if issue.kind is kind:
                return issue.count
        return 0

    def issue(self, kind: IssueKind) -> Issue | None:
        return next((issue for issue in self.issues if issue.kind is kind), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (str, int, float, lists, dicts)."""
        return {
            "market": self.market,
            "timeframe": self.timeframe.value,
            "rows": self.rows,
            "first_ts_s": self.first_ts_s,
            "last_ts_s": self.last_ts_s,
            "verdict": self.verdict.value,
            "gap_count": self.gap_count,
            "missing_bars": self.missing_bars,
            "largest_gaps": [
                {
                    "row": gap.row,
                    "before_ts_s": gap.before_ts_s,
                    "after_ts_s": gap.after_ts_s,
                    "missing_bars": gap.missing_bars,
                }
                for gap in self.largest_gaps
            ],
            "counts": {kind.value: self.count(kind) for kind in IssueKind},
            "issues": [
                {
                    "kind": issue.kind.value,
                    "severity": issue.severity.value,
                    "count": issue.count,
                    "examples": [
                        {"row": example.row, "ts_s": example.ts_s, "detail": example.detail}
                        for example in issue.examples
                    ],
                }
                for issue in self.issues
            ],
            "spike_rule": self.spike_rule,
            "parameters": dict(self.parameters),
        }


def check_candles(
    series: BarSeries,
    *,
    spike_threshold: float = DEFAULT_SPIKE_THRESHOLD,
    min_spike_return: float = DEFAULT_MIN_SPIKE_RETURN,
    spike_window: int = DEFAULT_SPIKE_WINDOW,
    examples: int = EXAMPLES_PER_ISSUE,
) -> QualityReport:
    """Find gaps, timestamp problems, OHLC disorder and spikes in ``series`` (see the module doc)."""
    if spike_threshold <= 0 or min_spike_return < 0 or spike_window < 2:
        raise ValueError("spike_threshold must be > 0, min_spike_return >= 0 and spike_window >= 2")
    n = len(series)
    step = series.timeframe.seconds
    ts = series.ts_s.astype(np.int64, copy=False)
    collector = _IssueCollector(ts, examples)

    steps = np.diff(ts)
    rows_after = np.arange(1, n, dtype=np.int64)
    bad = unusable_rows(series)
    collector.add(IssueKind.DUPLICATE_TS, bad[IssueKind.DUPLICATE_TS], lambda i: f"same time as row {i - 1}")
    collector.add(
        IssueKind.NON_MONOTONIC_TS,
        bad[IssueKind.NON_MONOTONIC_TS],
        lambda i: (
            f"{(ts[i - 1] - ts[i]) // 60} min before row {i - 1}"
            if ts[i - 1] - ts[i] >= 60
            else "earlier than previous row"
        ),
    )
    collector.add(
        IssueKind.OFF_GRID_TS,
        bad[IssueKind.OFF_GRID_TS],
        lambda i: f"{int(ts[i] % step)} s past the {series.timeframe} grid",
    )

    gap_rows = rows_after[steps > step]
    gap_missing = -(-steps[steps > step] // step) - 1  # grid slots strictly between the two rows
    collector.add(IssueKind.GAP, gap_rows, _gap_detail(gap_rows, gap_missing))
    largest = np.argsort(-gap_missing, kind="stable")[:LARGEST_GAPS]
    largest_gaps = tuple(
        Gap(int(gap_rows[i]), int(ts[gap_rows[i] - 1]), int(ts[gap_rows[i]]), int(gap_missing[i])) for i in largest
    )

    o, h, lo, c, v = series.open, series.high, series.low, series.close, series.volume
    collector.add(IssueKind.NON_FINITE, bad[IssueKind.NON_FINITE], lambda i: "NaN or infinite in OHLCV")
    collector.add(
        IssueKind.NON_POSITIVE_PRICE,
        bad[IssueKind.NON_POSITIVE_PRICE],
        lambda i: f"o={o[i]:g} h={h[i]:g} l={lo[i]:g} c={c[i]:g}",
    )

    def ohlc(i: int) -> str:
        return f"o={o[i]:.10g} h={h[i]:.10g} l={lo[i]:.10g} c={c[i]:.10g}"

    collector.add(IssueKind.HIGH_BELOW_OPEN_CLOSE, bad[IssueKind.HIGH_BELOW_OPEN_CLOSE], ohlc)
    collector.add(IssueKind.LOW_ABOVE_OPEN_CLOSE, bad[IssueKind.LOW_ABOVE_OPEN_CLOSE], ohlc)
    collector.add(IssueKind.HIGH_BELOW_LOW, bad[IssueKind.HIGH_BELOW_LOW], ohlc)
    collector.add(IssueKind.NEGATIVE_VOLUME, bad[IssueKind.NEGATIVE_VOLUME], lambda i: f"volume={v[i]:g}")
    usable = _sound_prices(series)

    return_rows, range_rows, log_return, log_range = _spikes(
        series, usable, spike_threshold=spike_threshold, min_spike_return=min_spike_return, window=spike_window
    )
    collector.add(
        IssueKind.RETURN_SPIKE,
        return_rows,
        lambda i: f"{np.expm1(log_return[i]) * 100:+.2f}% vs previous close {c[i - 1]:.10g} -> {c[i]:.10g}",
    )
    collector.add(
        IssueKind.RANGE_SPIKE,
        range_rows,
        lambda i: f"range {np.expm1(log_range[i]) * 100:.2f}% (h={h[i]:.10g} l={lo[i]:.10g})",
    )

    rule = (
        f"|ln(c/c_prev)| > max({spike_threshold:g} x 1.4826 x MAD over {spike_window} bars x sqrt(dt/step), "
        f"{min_spike_return:.2%}); ln(h/l) > max({spike_threshold:g} x median range, {min_spike_return:.2%})"
    )
    return QualityReport(
        market=series.market,
        timeframe=series.timeframe,
        rows=n,
        first_ts_s=int(ts[0]) if n else None,
        last_ts_s=int(ts[-1]) if n else None,
        gap_count=len(gap_rows),
        missing_bars=int(gap_missing.sum()),
        largest_gaps=largest_gaps,
        issues=collector.issues(),
        spike_rule=rule,
        parameters={
            "spike_threshold": float(spike_threshold),
            "min_spike_return": float(min_spike_return),
            "spike_window": float(spike_window),
        },
    )


def _finite(series: BarSeries) -> BoolArray:
    o, h, lo, c, v = series.open, series.high, series.low, series.close, series.volume
    result: BoolArray = np.isfinite(o) & np.isfinite(h) & np.isfinite(lo) & np.isfinite(c) & np.isfinite(v)
    return result


def _sound_prices(series: BarSeries) -> BoolArray:
    """Rows whose numbers are finite and whose prices are > 0 (order checks only make sense there)."""
    o, h, lo, c = series.open, series.high, series.low, series.close
    result: BoolArray = _finite(series) & (o > 0) & (h > 0) & (lo > 0) & (c > 0)
    return result


def unusable_rows(series: BarSeries) -> dict[IssueKind, IntArray]:
    """The rows with each problem of :class:`Severity` ERROR (the ones that make candles unusable).

    The same rules as :func:`check_candles` (which reports them), with no pandas and no spike
    statistics, so that loading a file for a backtest can afford it. Rows are indexes into
    ``series``; a timestamp problem is reported on the later row of the pair.
    """
    n = len(series)
    step = series.timeframe.seconds
    ts = series.ts_s.astype(np.int64, copy=False)
    steps = np.diff(ts)
    rows_after = np.arange(1, n, dtype=np.int64)
    o, h, lo, c, v = series.open, series.high, series.low, series.close, series.volume
    finite = _finite(series)
    usable = _sound_prices(series)
    return {
        IssueKind.DUPLICATE_TS: rows_after[steps == 0],
        IssueKind.NON_MONOTONIC_TS: rows_after[steps < 0],
        IssueKind.OFF_GRID_TS: np.flatnonzero(ts % step != 0),
        IssueKind.NON_FINITE: np.flatnonzero(~finite),
        IssueKind.NON_POSITIVE_PRICE: np.flatnonzero(finite & ~usable),
        IssueKind.HIGH_BELOW_OPEN_CLOSE: np.flatnonzero(usable & (h < np.maximum(o, c))),
        IssueKind.LOW_ABOVE_OPEN_CLOSE: np.flatnonzero(usable & (lo > np.minimum(o, c))),
        IssueKind.HIGH_BELOW_LOW: np.flatnonzero(usable & (h < lo)),
        IssueKind.NEGATIVE_VOLUME: np.flatnonzero(v < 0),
    }


def _gap_detail(gap_rows: IntArray, gap_missing: IntArray) -> Callable[[int], str]:
    missing_by_row = dict(zip(gap_rows.tolist(), gap_missing.tolist(), strict=True))
    return lambda i: f"{missing_by_row[i]} bar(s) missing before this row"


def _spikes(
    series: BarSeries, usable: BoolArray, *, spike_threshold: float, min_spike_return: float, window: int
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    n = len(series)
    log_return = np.zeros(n, dtype=np.float64)
    log_range = np.zeros(n, dtype=np.float64)
    if n < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, log_return, log_range
    with np.errstate(all="ignore"):
        log_close = np.log(np.where(usable, series.close, np.nan))
        log_return[1:] = log_close[1:] - log_close[:-1]
        log_range[:] = np.log(np.where(usable, series.high, np.nan)) - np.log(np.where(usable, series.low, np.nan))
    valid_return = np.isfinite(log_return)
    valid_return[0] = False
    valid_range = np.isfinite(log_range) & (log_range >= 0)

    min_periods = max(2, window // 4)
    abs_return = pd.Series(np.where(valid_return, np.abs(log_return), np.nan))
    mad = _trailing_median(abs_return, window, min_periods)
    spacing = np.ones(n, dtype=np.float64)
    spacing[1:] = np.maximum(np.diff(series.ts_s) / series.timeframe.seconds, 1.0)
    with np.errstate(invalid="ignore"):
        return_limit = np.fmax(spike_threshold * MAD_TO_SIGMA * mad * np.sqrt(spacing), min_spike_return)
        return_spike = valid_return & (np.abs(log_return) > return_limit)

    ranges = pd.Series(np.where(valid_range, log_range, np.nan))
    typical_range = _trailing_median(ranges, window, min_periods)
    with np.errstate(invalid="ignore"):
        range_limit = np.fmax(spike_threshold * typical_range, min_spike_return)
        range_spike = valid_range & (log_range > range_limit)
    return np.flatnonzero(return_spike), np.flatnonzero(range_spike), log_return, log_range


def _trailing_median(values: pd.Series[float], window: int, min_periods: int) -> FloatArray:
    """Median of the previous ``window`` values; the whole-series median during the warm-up."""
    trailing = np.asarray(
        values.rolling(window, min_periods=min_periods).median().shift(1).to_numpy(), dtype=np.float64
    )
    overall = float(values.median())
    return np.where(np.isnan(trailing), overall, trailing)


class _IssueCollector:
    def __init__(self, ts: IntArray, examples: int) -> None:
        self._ts = ts
        self._examples = examples
        self._found: dict[IssueKind, Issue] = {}

    def add(self, kind: IssueKind, rows: IntArray, describe: Callable[[int], str]) -> None:
        if len(rows) == 0:
            return
        shown = tuple(Finding(int(i), int(self._ts[i]), str(describe(int(i)))) for i in rows[: self._examples])
        self._found[kind] = Issue(kind, len(rows), shown)

    def issues(self) -> tuple[Issue, ...]:
        return tuple(self._found[kind] for kind in IssueKind if kind in self._found)
