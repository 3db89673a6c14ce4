"""The sandbox replays a candle file exactly: its REST candle endpoint gives back the file's
candles (open, high, low, close and volume, Decimal for Decimal), absent candles stay absent."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tradetui.core.clock import LiveClock, SimClock
from tradetui.core.types import decimal_from_float
from tradetui.data.csv_import import read_candles_csv
from tradetui.sandbox.app import serve
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.market import MarketSpec
from tradetui.sandbox.state import SandboxState

# heavy: sandbox servers and engine processes; run one after another in one xdist worker
pytestmark = pytest.mark.xdist_group("heavy")

MINUTE_MS = 60_000
FIRST_ROW = 3900
HISTORY_ROWS = 100
LAST_ROW = 4500
"""Rows of the real file: history, then a replay that crosses the file's missing minute after row 4044."""


def write_slice(source: Path, target: Path, first: int, stop: int) -> Path:
    """Rows ``[first, stop)`` of a candle file, copied as text (so every digit stays as it was)."""
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    target.write_text("\n".join([lines[0], *lines[1 + first : 1 + stop]]) + "\n", encoding="utf-8")
    return target


def _utc(ts_s: int) -> str:
    return datetime.fromtimestamp(ts_s, UTC).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.parametrize("profile", ["upbit", "bithumb"])
async def test_replayed_candles_equal_the_file(profile: str, btc_1m_file: Path, tmp_path: Path) -> None:
    path = write_slice(btc_1m_file, tmp_path / "upbit_KRW-BTC_1m_slice.csv", FIRST_ROW, LAST_ROW)
    rows = read_candles_csv(path, market="KRW-BTC", timeframe="1m")
    first_s, last_s = int(rows.ts_s[0]), int(rows.ts_s[-1])
    replay_start_ms = int(rows.ts_s[HISTORY_ROWS]) * 1000
    history_minutes = (replay_start_ms // 1000 - first_s) // 60
    expected_count = (last_s - first_s) // 60 + 1
    assert len(rows) < expected_count, "the slice should cross a minute missing from the file"
    clock = SimClock(replay_start_ms)
    state = SandboxState(
        SandboxConfig(profile=profile, speed=1 / 60, history_minutes=history_minutes, rate_limits_enabled=False),
        clock=clock,
        wall_clock=LiveClock(),
        markets=[MarketSpec("KRW-BTC", "비트코인", "Bitcoin", candles_csv=str(path))],
    )
    clock.set_ms(last_s * 1000 + 2 * MINUTE_MS)  # the whole file played, and then some
    runner, port = await serve(state)
    got: dict[int, dict[str, Decimal]] = {}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            to_s = last_s + 5 * 60
            for _ in range(expected_count // 200 + 10):  # bounded: a page that does not move on fails below
                to = _utc(to_s) if profile == "upbit" else _utc(to_s + 9 * 3600)  # Bithumb: KST
                response = await client.get(
                    "/v1/candles/minutes/1", params={"market": "KRW-BTC", "count": "200", "to": to}
                )
                assert response.status_code == 200, response.text
                page = json.loads(response.text, parse_float=Decimal, parse_int=Decimal)
                for item in page:
                    ts_s = _parse_utc(item["candle_date_time_utc"])
                    got[ts_s] = item
                if len(page) < 200:
                    break
                assert min(got) < to_s, f"a page before {to} brought nothing older: the walk would not end"
                to_s = min(got)
            else:
                pytest.fail("the candle pages never ran out")
    finally:
        await runner.cleanup()
    assert sorted(got) == rows.ts_s.tolist()  # every candle of the file, none that it lacks
    for k, ts_s in enumerate(rows.ts_s.tolist()):
        item = got[ts_s]
        expected = [decimal_from_float(float(column[k])) for column in (rows.open, rows.high, rows.low, rows.close)]
        actual = [item[key] for key in ("opening_price", "high_price", "low_price", "trade_price")]
        assert actual == expected, (_utc(ts_s), actual, expected)
        assert item["candle_acc_trade_volume"] == decimal_from_float(float(rows.volume[k])), _utc(ts_s)


def _parse_utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())
