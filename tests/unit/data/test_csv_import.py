from __future__ import annotations

import gzip
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from tradetui.core.market import Timeframe
from tradetui.core.types import decimal_from_float
from tradetui.data.csv_import import (
    infer_timeframe,
    market_code_from_symbol,
    parse_candle_file_name,
    read_candles_csv,
)
from tradetui.errors import DataError

VALID = """ts,open,high,low,close,volume
2025-09-01T00:00:00Z,150700000,150803000,150640000,150803000,1.51931528
2025-09-01T00:01:00Z,150803000,150838000,150705000,150836000,0.8461566
2025-09-01T00:02:00Z,150836000,150900000,150800000,150850000,0.1
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    if name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_reads_plain_csv_and_infers_market_and_timeframe_from_the_name(tmp_path: Path) -> None:
    path = write(tmp_path, "upbit_KRW-BTC_1m_20250901_20250901.csv", VALID)
    series = read_candles_csv(path)
    assert series.market == "KRW-BTC"
    assert series.timeframe is Timeframe.M1
    assert series.ts_s.tolist() == [1_756_684_800, 1_756_684_860, 1_756_684_920]
    assert series.ts_s.dtype == np.int64
    assert series.open.tolist() == [150_700_000, 150_803_000, 150_836_000]
    assert decimal_from_float(float(series.volume[0])) == Decimal("1.51931528")
    assert decimal_from_float(float(series.volume[1])) == Decimal("0.8461566")


def test_reads_gzip_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "upbit_KRW-ETH_5m_20250901_20250901.csv.gz", VALID)
    series = read_candles_csv(path)
    assert (series.market, series.timeframe, len(series)) == ("KRW-ETH", Timeframe.M5, 3)


def test_binance_symbol_becomes_quote_base() -> None:
    info = parse_candle_file_name("binance_BTCUSDT_1m_20240101_20241231.csv.gz")
    assert info is not None
    assert (info.exchange, info.market, info.timeframe) == ("binance", "USDT-BTC", Timeframe.M1)
    assert market_code_from_symbol("KRW-BTC") == "KRW-BTC"
    assert market_code_from_symbol("ETHBTC") == "BTC-ETH"
    assert market_code_from_symbol("XYZ") is None
    assert parse_candle_file_name("upbit_KRW-BTC_60m_20220101_20250929.csv.gz").timeframe is Timeframe.M60  # type: ignore[union-attr]
    assert parse_candle_file_name("candles.csv") is None


def test_explicit_market_and_timeframe_win_and_spacing_is_the_fallback(tmp_path: Path) -> None:
    path = write(tmp_path, "candles.csv", VALID)
    series = read_candles_csv(path, market="KRW-XRP")
    assert (series.market, series.timeframe) == ("KRW-XRP", Timeframe.M1)
    assert read_candles_csv(path, market="KRW-XRP", timeframe="3m").timeframe is Timeframe.M3


def test_unknown_market_says_how_to_pass_it(tmp_path: Path) -> None:
    path = write(tmp_path, "candles.csv", VALID)
    with pytest.raises(DataError, match=r"candles\.csv: cannot tell the market .* market='KRW-BTC'"):
        read_candles_csv(path)


def test_epoch_seconds_and_milliseconds(tmp_path: Path) -> None:
    seconds = "ts,open,high,low,close,volume\n1756684800,10,11,9,10,1\n1756684860,10,12,10,11,2\n"
    millis = seconds.replace("1756684800,", "1756684800000,").replace("1756684860,", "1756684860000,")
    for name, text in (("s.csv", seconds), ("ms.csv", millis)):
        series = read_candles_csv(write(tmp_path, name, text), market="KRW-BTC")
        assert series.ts_s.tolist() == [1_756_684_800, 1_756_684_860]
        assert series.timeframe is Timeframe.M1


def test_offset_and_zoneless_times_are_utc(tmp_path: Path) -> None:
    text = "ts,open,high,low,close,volume\n2025-09-01T09:00:00+09:00,10,11,9,10,1\n2025-09-01 00:01:00,10,12,10,11,2\n"
    series = read_candles_csv(write(tmp_path, "x.csv", text), market="KRW-BTC", timeframe=Timeframe.M1)
    assert series.ts_s.tolist() == [1_756_684_800, 1_756_684_860]


def test_header_with_extra_columns_in_another_order_and_spaces(tmp_path: Path) -> None:
    text = "Volume, value ,TS,open,high,low,close\n1.5,99,2025-09-01T00:00:00Z,10,11,9,10.5\n"
    series = read_candles_csv(write(tmp_path, "x.csv", text), market="KRW-BTC", timeframe="1m")
    assert series.close.tolist() == [10.5]
    assert series.volume.tolist() == [1.5]


def test_does_not_reorder_or_reject_ohlc_problems(tmp_path: Path) -> None:
    text = (
        "ts,open,high,low,close,volume\n"
        "2025-09-01T00:05:00Z,10,9,11,10,-1\n"  # high < low, negative volume: the checker's job
        "2025-09-01T00:00:00Z,10,11,9,10,1\n"
    )
    series = read_candles_csv(write(tmp_path, "x.csv", text), market="KRW-BTC", timeframe="1m")
    assert series.ts_s.tolist() == [1_756_685_100, 1_756_684_800]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.csv\.gz: cannot read candles, no such file; check the path"):
        read_candles_csv(tmp_path / "nope.csv.gz")


@pytest.mark.parametrize("name", ["empty.csv", "empty.csv.gz"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    with pytest.raises(DataError, match=re.escape(name) + r": the file is empty; expected a header line"):
        read_candles_csv(write(tmp_path, name, ""), market="KRW-BTC")


def test_header_only(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"h\.csv: the file has a header but no candle rows"):
        read_candles_csv(write(tmp_path, "h.csv", "ts,open,high,low,close,volume\n"), market="KRW-BTC")


def test_wrong_header_names_the_missing_and_expected_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "bad_header.csv", "time,open,high,low,close,vol\n2025-09-01T00:00:00Z,1,1,1,1,1\n")
    with pytest.raises(DataError) as caught:
        read_candles_csv(path, market="KRW-BTC")
    message = str(caught.value)
    assert "bad_header.csv: line 1" in message
    assert "lacks column(s) ts, volume" in message
    assert "expected the columns ts,open,high,low,close,volume" in message
    assert "\n" not in message


def test_missing_header_line(tmp_path: Path) -> None:
    path = write(tmp_path, "nohead.csv", "2025-09-01T00:00:00Z,1,1,1,1,1\n")
    with pytest.raises(
        DataError, match=r"nohead\.csv: line 1 is data .* insert the header line 'ts,open,high,low,close,volume'"
    ):
        read_candles_csv(path, market="KRW-BTC")


def test_bad_number_names_line_column_and_value(tmp_path: Path) -> None:
    text = VALID + "2025-09-01T00:03:00Z,150850000,15O900000,150800000,150850000,0.2\n"
    path = write(tmp_path, "upbit_KRW-BTC_1m_20250901_20250901.csv.gz", text)
    with pytest.raises(DataError) as caught:
        read_candles_csv(path)
    message = str(caught.value)
    assert message.startswith("upbit_KRW-BTC_1m_20250901_20250901.csv.gz: line 5: high '15O900000' is not a number")
    assert "\n" not in message


def test_empty_number_cell(tmp_path: Path) -> None:
    text = VALID.replace(",0.8461566", ",")
    with pytest.raises(DataError, match=r"e\.csv: line 3: volume is empty"):
        read_candles_csv(write(tmp_path, "e.csv", text), market="KRW-BTC")


def test_bad_timestamp_names_line(tmp_path: Path) -> None:
    text = VALID.replace("2025-09-01T00:02:00Z", "2025-09-01T25:02:00Z")
    with pytest.raises(DataError, match=r"t\.csv: line 4: ts '2025-09-01T25:02:00Z' is not a time; write ISO-8601"):
        read_candles_csv(write(tmp_path, "t.csv", text), market="KRW-BTC")


def test_mixed_epoch_and_text_timestamp(tmp_path: Path) -> None:
    text = "ts,open,high,low,close,volume\n1756684800,1,1,1,1,1\nyesterday,1,1,1,1,1\n"
    with pytest.raises(DataError, match=r"m\.csv: line 3: ts 'yesterday' is not an epoch integer"):
        read_candles_csv(write(tmp_path, "m.csv", text), market="KRW-BTC")


@pytest.mark.parametrize("bad", ["0", "-5"])
def test_non_positive_price(tmp_path: Path, bad: str) -> None:
    text = VALID.replace("150640000", bad)
    with pytest.raises(DataError, match=r"p\.csv: line 2: low is -?[05]; prices must be > 0"):
        read_candles_csv(write(tmp_path, "p.csv", text), market="KRW-BTC")


def test_ragged_row(tmp_path: Path) -> None:
    text = VALID + "2025-09-01T00:03:00Z,1,1,1,1,1,7,8\n"
    with pytest.raises(DataError, match=r"r\.csv: malformed CSV .*line 5"):
        read_candles_csv(write(tmp_path, "r.csv", text), market="KRW-BTC")


def test_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "fake.csv.gz"
    path.write_text(VALID)
    with pytest.raises(DataError, match=r"fake\.csv\.gz: not a valid gzip file"):
        read_candles_csv(path, market="KRW-BTC")


def test_timeframe_unknown_when_spacing_matches_nothing(tmp_path: Path) -> None:
    text = "ts,open,high,low,close,volume\n1756684800,1,1,1,1,1\n1756684807,1,1,1,1,1\n"
    with pytest.raises(DataError, match=r"w\.csv: cannot tell the timeframe .* pass timeframe='1m'"):
        read_candles_csv(write(tmp_path, "w.csv", text), market="KRW-BTC")


def test_infer_timeframe_uses_the_median_spacing() -> None:
    ts = np.array([0, 300, 600, 1500, 1800, 2100], dtype=np.int64)
    assert infer_timeframe(ts) is Timeframe.M5
    assert infer_timeframe(np.array([0], dtype=np.int64)) is None


def test_blank_lines_at_the_end_are_fine_and_one_between_rows_is_named(tmp_path: Path) -> None:
    series = read_candles_csv(write(tmp_path, "b.csv", VALID + "\n\n"), market="KRW-BTC", timeframe="1m")
    assert len(series) == 3
    text = VALID.replace("0.8461566\n", "0.8461566\n\n")
    with pytest.raises(DataError, match=r"b\.csv: line 4 is empty; remove the blank line"):
        read_candles_csv(write(tmp_path, "b.csv", text), market="KRW-BTC", timeframe="1m")


def test_epoch_seconds_and_milliseconds_in_one_file_are_refused(tmp_path: Path) -> None:
    text = "ts,open,high,low,close,volume\n1756684800,10,11,9,10,1\n1756684860000,10,12,10,11,2\n"
    with pytest.raises(DataError, match=r"u\.csv: line 3: ts 1756684860000 is in milliseconds but line 2"):
        read_candles_csv(write(tmp_path, "u.csv", text), market="KRW-BTC")
