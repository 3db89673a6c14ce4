"""Calendar candle periods of the sandbox (weeks from Monday, months, years) at 00:00 UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradetui.sandbox.candles import DAY_MS, SECOND_MS, Calendar, CandleStore, period_end, period_start

D = Decimal


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("period", "moment", "start", "end"),
    [
        (Calendar.WEEKS, "2025-09-03T12:00:00", "2025-09-01T00:00:00", "2025-09-08T00:00:00"),
        (Calendar.WEEKS, "2025-09-01T00:00:00", "2025-09-01T00:00:00", "2025-09-08T00:00:00"),
        (Calendar.WEEKS, "2025-08-31T23:59:59", "2025-08-25T00:00:00", "2025-09-01T00:00:00"),
        (Calendar.WEEKS, "1970-01-01T00:00:00", "1969-12-29T00:00:00", "1970-01-05T00:00:00"),
        (Calendar.MONTHS, "2025-12-31T23:59:59", "2025-12-01T00:00:00", "2026-01-01T00:00:00"),
        (Calendar.MONTHS, "2024-02-29T10:00:00", "2024-02-01T00:00:00", "2024-03-01T00:00:00"),
        (Calendar.YEARS, "2025-12-31T23:59:59", "2025-01-01T00:00:00", "2026-01-01T00:00:00"),
        (DAY_MS, "2025-09-03T12:00:00", "2025-09-03T00:00:00", "2025-09-04T00:00:00"),
        (SECOND_MS, "2025-09-03T12:00:00.750", "2025-09-03T12:00:00", "2025-09-03T12:00:01"),
    ],
)
def test_period_bounds(period: int | Calendar, moment: str, start: str, end: str) -> None:
    assert period_start(period, _ms(moment)) == _ms(start)
    assert period_end(period, _ms(start)) == _ms(end)


def test_trades_across_a_year_end_split_months_and_years_not_the_week() -> None:
    store = CandleStore()
    store.add_trade(_ms("2025-12-31T23:59:59"), Decimal("100"), Decimal("1"))
    store.add_trade(_ms("2026-01-01T00:00:01"), Decimal("110"), Decimal("2"))
    store.add_trade(_ms("2026-01-01T00:00:01.5"), Decimal("105"), Decimal("1"))
    for unit in (Calendar.MONTHS, Calendar.YEARS):
        newest, older = store.newest_first(unit, before_ms=None, count=5)
        assert (older.close, newest.open, newest.close, newest.volume) == (D(100), D(110), D(105), D(3)), unit
    (week,) = store.newest_first(Calendar.WEEKS, before_ms=None, count=5)  # Wednesday and Thursday: one week
    assert (week.open, week.close, week.volume) == (D(100), D(105), D(4))
    assert [c.start_ms for c in store.newest_first(SECOND_MS, before_ms=None, count=5)] == [
        _ms("2026-01-01T00:00:01"),
        _ms("2025-12-31T23:59:59"),
    ]


def test_history_minutes_never_become_second_candles_and_seconds_are_bounded() -> None:
    store = CandleStore(max_seconds=3)
    for second in range(10):
        store.add_trade(_ms("2025-09-01T00:00:00") + second * 1000, Decimal("1"), Decimal("1"))
    assert len(store.newest_first(SECOND_MS, before_ms=None, count=200)) == 3
    restored = CandleStore()
    for candle in store.newest_first(60_000, before_ms=None, count=200):
        restored.add_candle(candle)
    assert restored.newest_first(SECOND_MS, before_ms=None, count=200) == []
    assert len(restored.newest_first(Calendar.WEEKS, before_ms=None, count=200)) == 1
