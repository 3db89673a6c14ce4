"""Every candle unit of the reference (issue 8; A3.2, B3): Upbit seconds, minutes, days, weeks,
months and years; Bithumb minutes, days, weeks and months (no seconds, no years). Weeks start on
Monday, months on the 1st, years on 1 January, at 00:00 UTC (09:00 KST) like the days."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sibling import load_sibling  # tests/support/sibling.py

peer = load_sibling(__file__, "peer")

BASE = {
    "market", "candle_date_time_utc", "candle_date_time_kst", "opening_price", "high_price", "low_price",
    "trade_price", "timestamp", "candle_acc_trade_price", "candle_acc_trade_volume",
}  # fmt: skip
HISTORY_MINUTES = 60 * 24 * 9  # from 2025-08-23: a part week, the full week of Aug 25, August and September


@pytest.fixture
async def upbit() -> AsyncIterator[Any]:
    async with peer.running("upbit") as sandbox:
        yield sandbox


@pytest.fixture
async def upbit_9_days() -> AsyncIterator[Any]:
    async with peer.running("upbit", history_minutes=HISTORY_MINUTES) as sandbox:
        yield sandbox


@pytest.fixture
async def bithumb_9_days() -> AsyncIterator[Any]:
    async with peer.running("bithumb", history_minutes=HISTORY_MINUTES) as sandbox:
        yield sandbox


def _start(row: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(row["candle_date_time_utc"]).replace(tzinfo=UTC)


async def _candles(sandbox: Any, unit: str, count: int = 200, **extra: str) -> list[dict[str, Any]]:
    reply = await sandbox.public(f"/v1/candles/{unit}", [("market", "KRW-BTC"), ("count", str(count)), *extra.items()])
    assert reply.status_code == 200, (unit, reply.text)
    rows: list[dict[str, Any]] = reply.json()
    return rows


async def test_upbit_weeks_start_on_monday_and_add_up_the_days(upbit_9_days: Any) -> None:
    upbit = upbit_9_days
    weeks = await _candles(upbit, "weeks")
    assert [r["first_day_of_period"] for r in weeks] == ["2025-09-01", "2025-08-25", "2025-08-18"]
    assert set(weeks[0]) == BASE | {"first_day_of_period"}
    assert [_start(r) for r in weeks] == sorted((_start(r) for r in weeks), reverse=True)
    for row in weeks:
        start = _start(row)
        assert start.weekday() == 0 and (start.hour, start.minute) == (0, 0)
        assert row["first_day_of_period"] == start.strftime("%Y-%m-%d")
        assert row["candle_date_time_kst"].endswith("T09:00:00")
    days = await _candles(upbit, "days")
    full_week = weeks[1]  # the newest full week (the first may be running)
    inside = [d for d in days if 0 <= (_start(d) - _start(full_week)).days < 7]
    assert len(inside) == 7
    assert full_week["opening_price"] == inside[-1]["opening_price"]
    assert full_week["trade_price"] == inside[0]["trade_price"]
    assert full_week["high_price"] == max(d["high_price"] for d in inside)
    assert full_week["low_price"] == min(d["low_price"] for d in inside)
    assert full_week["candle_acc_trade_volume"] == pytest.approx(sum(d["candle_acc_trade_volume"] for d in inside))


async def test_upbit_months_and_years(upbit_9_days: Any) -> None:
    upbit = upbit_9_days
    months = await _candles(upbit, "months")
    assert [r["first_day_of_period"] for r in months] == ["2025-09-01", "2025-08-01"]
    assert set(months[0]) == BASE | {"first_day_of_period"}
    assert all(_start(r).day == 1 and _start(r).hour == 0 for r in months)
    days = await _candles(upbit, "days")
    august = [d for d in days if d["candle_date_time_utc"].startswith("2025-08")]
    assert months[1]["opening_price"] == august[-1]["opening_price"]
    assert months[1]["trade_price"] == august[0]["trade_price"]
    years = await _candles(upbit, "years")
    assert [r["first_day_of_period"] for r in years] == ["2025-01-01"]
    assert years[0]["high_price"] == max(r["high_price"] for r in months)
    assert years[0]["low_price"] == min(r["low_price"] for r in months)
    to = months[0]["candle_date_time_utc"]
    older = await _candles(upbit, "months", to=to)  # exclusive 'to', as for the other units
    assert older == months[1:]


async def test_upbit_seconds_come_from_the_tape(upbit: Any) -> None:
    upbit.clock.advance_ms(120_000)  # the live tape prints trades; history is laid down in minutes
    seconds = await _candles(upbit, "seconds", count=50)
    assert seconds, "no second candles after two minutes of trading"
    assert set(seconds[0]) == BASE  # no "unit" (minutes only)
    assert all(_start(r).microsecond == 0 for r in seconds)
    assert [_start(r) for r in seconds] == sorted((_start(r) for r in seconds), reverse=True)
    for row in seconds:
        assert row["low_price"] <= row["trade_price"] <= row["high_price"]
        assert _start(row).timestamp() * 1000 <= row["timestamp"] < _start(row).timestamp() * 1000 + 1000
    tape = (await upbit.public("/v1/trades/ticks", [("market", "KRW-BTC"), ("count", "1")])).json()[0]
    assert seconds[0]["trade_price"] == tape["trade_price"] and seconds[0]["timestamp"] == tape["timestamp"]


async def test_bithumb_weeks_and_months_end_timestamps(bithumb_9_days: Any) -> None:
    bithumb = bithumb_9_days
    weeks = await _candles(bithumb, "weeks")
    months = await _candles(bithumb, "months")
    assert set(weeks[0]) == set(months[0]) == BASE | {"first_day_of_period"}
    week = weeks[1]
    assert week["timestamp"] == int(_start(week).timestamp() * 1000) + 7 * 86_400_000  # Bithumb: the period's end
    month = months[1]
    next_start = _start(months[0])
    assert month["timestamp"] == int(next_start.timestamp() * 1000)


async def test_bithumb_has_no_seconds_or_years() -> None:
    async with peer.running("bithumb") as bithumb:
        for unit in ("seconds", "years"):
            reply = await bithumb.public(f"/v1/candles/{unit}", [("market", "KRW-BTC")])
            assert reply.status_code == 404, unit
            assert set(reply.json()["error"]) == {"name", "message"}


async def test_unknown_units_are_refused(upbit: Any) -> None:
    for path in ("/v1/candles/minutes/2", "/v1/candles/minutes/seconds", "/v1/candles/decades"):
        reply = await upbit.public(path, [("market", "KRW-BTC")])
        assert 400 <= reply.status_code < 500, path
        assert "error" in reply.json()
