from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradetui.core.market import Timeframe
from tradetui.core.types import decimal_from_float
from tradetui.data.upbit_json import read_upbit_candles_json
from tradetui.errors import DataError


def candle(kst: str, utc: str, o: float, h: float, lo: float, c: float, v: float) -> dict[str, Any]:
    return {
        "market": "KRW-BTC",
        "candle_date_time_utc": utc,
        "candle_date_time_kst": kst,
        "opening_price": o,
        "high_price": h,
        "low_price": lo,
        "trade_price": c,
        "timestamp": 1756685099000,
        "candle_acc_trade_price": 123456789.1234,
        "candle_acc_trade_volume": v,
        "unit": 1,
    }


# Newest first, as Upbit answers, with one repeated candle (overlapping pages).
UPBIT_MINUTES = [
    candle("2025-09-01T09:02:00", "2025-09-01T00:02:00", 150836000.0, 150900000.0, 150800000.0, 150850000.0, 0.1),
    candle("2025-09-01T09:01:00", "2025-09-01T00:01:00", 150803000.0, 150838000.0, 150705000.0, 150836000.0, 0.8461566),
    candle("2025-09-01T09:01:00", "2025-09-01T00:01:00", 150803000.0, 150838000.0, 150705000.0, 150836000.0, 0.8461566),
    candle(
        "2025-09-01T09:00:00", "2025-09-01T00:00:00", 150700000.0, 150803000.0, 150640000.0, 150803000.0, 1.51931528
    ),
]


def test_sorts_ascending_drops_duplicates_and_reads_the_unit() -> None:
    series = read_upbit_candles_json(UPBIT_MINUTES)
    assert series.market == "KRW-BTC"
    assert series.timeframe is Timeframe.M1
    assert series.ts_s.tolist() == [1_756_684_800, 1_756_684_860, 1_756_684_920]
    assert series.open.tolist() == [150_700_000, 150_803_000, 150_836_000]
    assert series.close.tolist() == [150_803_000, 150_836_000, 150_850_000]
    assert decimal_from_float(float(series.volume[0])) == Decimal("1.51931528")


def test_reads_a_file_and_day_candles_without_unit(tmp_path: Path) -> None:
    days = []
    for day in ("2025-09-03", "2025-09-02", "2025-09-01"):
        item = candle(f"{day}T09:00:00", f"{day}T00:00:00", 1.0, 2.0, 0.5, 1.5, 10.0)
        del item["unit"]
        days.append(item)
    path = tmp_path / "days.json"
    path.write_text(json.dumps(days))
    series = read_upbit_candles_json(path)
    assert series.timeframe is Timeframe.D1
    assert series.ts_s.tolist() == [1_756_684_800, 1_756_771_200, 1_756_857_600]


def test_missing_key_names_the_item() -> None:
    broken = [dict(item) for item in UPBIT_MINUTES]
    del broken[2]["trade_price"]
    with pytest.raises(DataError, match=r"Upbit candle JSON: item 2: missing key\(s\) trade_price"):
        read_upbit_candles_json(broken)


def test_bad_values_and_shapes() -> None:
    broken = [dict(item) for item in UPBIT_MINUTES]
    broken[1]["low_price"] = 0
    with pytest.raises(DataError, match=r"item 1: low_price is 0; prices must be finite and > 0"):
        read_upbit_candles_json(broken)
    broken[1]["low_price"] = "abc"
    with pytest.raises(DataError, match=r"item 1: low_price 'abc' is not a number"):
        read_upbit_candles_json(broken)
    broken = [dict(item) for item in UPBIT_MINUTES]
    broken[0]["candle_date_time_utc"] = "yesterday"
    with pytest.raises(DataError, match=r"item 0: candle_date_time_utc 'yesterday' is not a time"):
        read_upbit_candles_json(broken)
    with pytest.raises(DataError, match=r"no candles"):
        read_upbit_candles_json([])


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no such file"):
        read_upbit_candles_json(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"market": ')
    with pytest.raises(DataError, match=r"bad\.json: line 1: not valid JSON"):
        read_upbit_candles_json(bad)
    obj = tmp_path / "obj.json"
    obj.write_text('{"error": {"name": "invalid_query"}}')
    with pytest.raises(DataError, match=r"obj\.json: expected a JSON array"):
        read_upbit_candles_json(obj)


def test_several_markets_are_refused() -> None:
    mixed = [dict(item) for item in UPBIT_MINUTES]
    mixed[0]["market"] = "KRW-ETH"
    with pytest.raises(DataError, match=r"several markets \(KRW-BTC, KRW-ETH\)"):
        read_upbit_candles_json(mixed)
