from __future__ import annotations

from tradetui.core.market import Timeframe
from tradetui.data.fetch import missing_segments

M = 60_000


def test_nothing_stored_fetches_everything() -> None:
    assert missing_segments(0, 100 * M, None, Timeframe.M1) == [(0, 100 * M)]


def test_resume_fetches_only_both_ends() -> None:
    # stored candles open at minutes 40..69: fetch [70, 100) then [0, 40)
    assert missing_segments(0, 100 * M, (40 * 60, 69 * 60), Timeframe.M1) == [(70 * M, 100 * M), (0, 40 * M)]


def test_fully_covered_and_disjoint_ranges() -> None:
    assert missing_segments(10 * M, 20 * M, (0, 30 * 60), Timeframe.M1) == []
    assert missing_segments(100 * M, 120 * M, (0, 30 * 60), Timeframe.M1) == [(100 * M, 120 * M)]
    assert missing_segments(5 * M, 5 * M, None, Timeframe.M1) == []
