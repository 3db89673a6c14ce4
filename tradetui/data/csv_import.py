"""Reading candle files into :class:`BarSeries`.

the house CSV format (``.csv`` or ``.csv.gz``) with the header ``ts,open,high,low,close,volume``,
``ts`` being the candle open time as ISO-8601 (UTC when no zone is given) or epoch seconds or
milliseconds. Upbit's REST candle JSON is read by :mod:`tradetui.data.upbit_json`.

Import refuses only what makes the numbers unusable (missing or unreadable file, a truncated
gzip, no rows, bad header, a blank line between rows, text that is not a number or a time, a
price that is not > 0) and says where and how to fix it in one line. Gaps, OHLC disorder,
duplicates and spikes are left for :mod:`tradetui.data.quality` (and refused or repaired
before use by :mod:`tradetui.data.candle_file`). The order of rows is kept as in the file, so
row ``i`` of the series is line ``i + 2`` of the file.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tradetui.candles.series import BarSeries, FloatArray, IntArray
from tradetui.core.market import Market, Timeframe
from tradetui.errors import DataError

CANDLE_COLUMNS = ("ts", "open", "high", "low", "close", "volume")
PRICE_COLUMNS = ("open", "high", "low", "close")
_EXPECTED_HEADER = ",".join(CANDLE_COLUMNS)
_EPOCH_MS_THRESHOLD = 100_000_000_000  # 1e11 s is the year 5138, so larger values are milliseconds

# Quote assets recognised at the end of concatenated symbols such as ``BTCUSDT``; longest first.
_QUOTE_SUFFIXES = ("FDUSD", "USDT", "USDC", "BUSD", "TUSD", "KRW", "BTC", "ETH", "BNB", "EUR", "TRY", "DAI")
_FILE_NAME = re.compile(
    r"^(?P<exchange>[A-Za-z0-9]+)_(?P<market>[A-Za-z0-9-]+)_(?P<timeframe>[A-Za-z0-9]+)"
    r"_(?P<start>\d{8})_(?P<end>\d{8})\.(?:csv|csv\.gz|json|json\.gz)$"
)


@dataclass(frozen=True, slots=True)
class CandleFileName:
    """What a file named ``EXCHANGE_MARKET_TIMEFRAME_START_END.csv.gz`` says about itself."""

    exchange: str
    market: str | None
    """``QUOTE-BASE`` code; a concatenated symbol like ``BTCUSDT`` becomes ``USDT-BTC``."""
    timeframe: Timeframe | None
    start: str
    end: str


def parse_candle_file_name(name: str | os.PathLike[str]) -> CandleFileName | None:
    """Split a data-set file name into its parts, or None when it does not follow the pattern."""
    match = _FILE_NAME.match(Path(name).name)
    if match is None:
        return None
    try:
        timeframe: Timeframe | None = Timeframe.parse(match["timeframe"])
    except ValueError:
        timeframe = None
    return CandleFileName(
        exchange=match["exchange"].lower(),
        market=market_code_from_symbol(match["market"]),
        timeframe=timeframe,
        start=match["start"],
        end=match["end"],
    )


def market_code_from_symbol(symbol: str) -> str | None:
    """``KRW-BTC`` stays; ``BTCUSDT`` becomes ``USDT-BTC``; None when no quote asset is recognised."""
    text = symbol.strip().upper()
    if "-" in text:
        try:
            return Market(text).code
        except ValueError:
            return None
    for quote in _QUOTE_SUFFIXES:
        if text.endswith(quote) and len(text) > len(quote):
            return f"{quote}-{text[: -len(quote)]}"
    return None


def infer_timeframe(ts_s: IntArray) -> Timeframe | None:
    """The timeframe whose length equals the median positive spacing of ``ts_s``, if any."""
    if len(ts_s) < 2:
        return None
    steps = np.diff(ts_s)
    steps = steps[steps > 0]
    if len(steps) == 0:
        return None
    median = int(np.median(steps))
    for timeframe in Timeframe:
        if timeframe.seconds == median:
            return timeframe
    return None


# --- CSV --------------------------------------------------------------------------------------


def read_candles_csv(
    path: str | os.PathLike[str],
    *,
    market: str | None = None,
    timeframe: Timeframe | str | None = None,
) -> BarSeries:
    """Read a ``ts,open,high,low,close,volume`` file (plain or gzip) into a :class:`BarSeries`.

    ``market`` and ``timeframe`` default to what the file name says
    (``upbit_KRW-BTC_1m_20250901_20251004.csv.gz``); the timeframe falls back to the median
    spacing of the timestamps. Raises :class:`DataError` with the file, line and fix.
    """
    file = Path(path)
    name = file.name
    require_file(file)
    first_line = _read_first_line(file)
    if not first_line.strip():
        raise DataError(
            f"{name}: the file is empty; expected a header line '{_EXPECTED_HEADER}' followed by candle rows"
        )
    width, positions = _check_header(name, first_line)
    frame = _parse_frame(file, width, positions)
    if len(frame) == 0:
        raise DataError(f"{name}: the file has a header but no candle rows; add rows of {_EXPECTED_HEADER}")
    ts_s = _parse_ts_column(file, frame["ts"])
    columns = {column: _float_column(name, frame, column) for column in CANDLE_COLUMNS[1:]}
    _check_prices(name, columns)

    info = parse_candle_file_name(name)
    resolved_market = market or (info.market if info else None)
    if resolved_market is None:
        raise DataError(
            f"{name}: cannot tell the market from the file name; name the file like "
            "upbit_KRW-BTC_1m_20250901_20250930.csv.gz (EXCHANGE_MARKET_TIMEFRAME_START_END), "
            "or pass market='KRW-BTC' (--market of data import/check)"
        )
    resolved_timeframe = _resolve_timeframe(name, timeframe, info.timeframe if info else None, ts_s)
    return BarSeries(
        resolved_market,
        resolved_timeframe,
        ts_s,
        columns["open"],
        columns["high"],
        columns["low"],
        columns["close"],
        columns["volume"],
    )


_GZIP_MAGIC = b"\x1f\x8b"


def require_file(file: Path) -> None:
    """Raise :class:`DataError` unless ``file`` is a regular file this process may look at."""
    try:
        is_file = file.is_file()
        is_dir = not is_file and file.is_dir()
    except OSError as exc:  # e.g. a folder on the way that we may not enter
        raise DataError(
            f"{file}: cannot read candles ({exc.strerror or exc}); check the path and its permissions"
        ) from None
    if is_dir:
        raise DataError(
            f"{file}: is a directory; give a candle file in it, "
            f"e.g. {file / 'upbit_KRW-BTC_1m_20250901_20250930.csv.gz'}"
        )
    if not is_file:
        raise DataError(
            f"{file}: cannot read candles, no such file; check the path (data files live in e.g. shared/data/)"
        )


@contextmanager
def reading(file: Path) -> Iterator[None]:
    """Turn every way reading a (gzip) text file can fail into one :class:`DataError` line."""
    name = file.name
    try:
        yield
    except gzip.BadGzipFile:
        raise DataError(f"{name}: not a valid gzip file; decompress it or drop the .gz suffix") from None
    except EOFError:
        raise DataError(
            f"{name}: the gzip data ends early (the file is truncated, or was still being written); "
            "download or copy it again"
        ) from None
    except zlib.error as exc:
        raise DataError(f"{name}: the gzip data is corrupt ({exc}); download or copy it again") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{name}: byte {exc.start} of the text is not UTF-8 ({exc.object[exc.start : exc.start + 1]!r}); "
            "export the file as UTF-8"
        ) from None
    except OSError as exc:
        raise DataError(
            f"{name}: cannot read the file ({exc.strerror or exc}); check its permissions or copy it again"
        ) from None


def _read_first_line(file: Path) -> str:
    name = file.name
    with reading(file):
        with file.open("rb") as raw:
            magic = raw.read(2)
        if magic == _GZIP_MAGIC and not name.endswith(".gz"):
            raise DataError(f"{name}: the file is gzip-compressed; rename it to {name}.gz (or decompress it)")
        try:
            if name.endswith(".gz"):
                with gzip.open(file, "rt", encoding="utf-8-sig", newline="") as handle:
                    return handle.readline()
            with file.open(encoding="utf-8-sig", newline="") as plain:
                return plain.readline()
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{name}: line 1: byte {exc.start} is not UTF-8 text; export the file as UTF-8 CSV"
            ) from None


def _open_text(file: Path) -> Any:
    if file.name.endswith(".gz"):
        return gzip.open(file, "rt", encoding="utf-8-sig", newline="")
    return file.open(encoding="utf-8-sig", newline="")


def raw_lines(file: Path, numbers: Collection[int]) -> dict[int, str]:
    """The text of the given 1-based lines of a candle file (for messages; reads up to the last one)."""
    wanted = set(numbers)
    found: dict[int, str] = {}
    if not wanted:
        return found
    last = max(wanted)
    with reading(file), _open_text(file) as handle:
        for number, line in enumerate(handle, start=1):
            if number in wanted:
                found[number] = line.rstrip("\r\n")
            if number >= last:
                break
    return found


def ts_texts(file: Path, numbers: Collection[int]) -> dict[int, str]:
    """The ``ts`` cell, as written, of the given 1-based lines of a candle CSV."""
    lines = raw_lines(file, {1, *numbers})
    cells = [cell.strip().strip('"').strip().lower() for cell in lines.get(1, "").split(",")]
    column = cells.index("ts") if "ts" in cells else 0
    texts: dict[int, str] = {}
    for number in numbers:
        parts = lines.get(number, "").split(",")
        texts[number] = parts[column].strip().strip('"') if column < len(parts) else ""
    return texts


def _check_header(name: str, first_line: str) -> tuple[int, list[int]]:
    """Check line 1; return the number of columns and the positions of ``CANDLE_COLUMNS`` in it."""
    line = first_line.strip()
    cells = [cell.strip().strip('"').strip().lower() for cell in line.split(",")]
    positions = {cell: index for index, cell in reversed(list(enumerate(cells)))}
    missing = [column for column in CANDLE_COLUMNS if column not in positions]
    if not missing:
        return len(cells), [positions[column] for column in CANDLE_COLUMNS]
    if cells and (_looks_numeric(cells[0]) or _looks_like_time(cells[0])):
        raise DataError(
            f"{name}: line 1 is data ('{line[:60]}'), not a header; "
            f"insert the header line '{_EXPECTED_HEADER}' at the top"
        )
    raise DataError(
        f"{name}: line 1: header '{line[:80]}' lacks column(s) {', '.join(missing)}; "
        f"expected the columns {_EXPECTED_HEADER} (other columns are ignored)"
    )


def _looks_numeric(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _looks_like_time(cell: str) -> bool:
    return re.match(r"^\d{4}-\d{2}-\d{2}", cell) is not None


def _parse_frame(file: Path, width: int, positions: list[int]) -> pd.DataFrame:
    """Read the candle columns; ``ts`` as text, the rest as float64 (text only to locate a bad value)."""
    with reading(file):
        return _drop_blank_lines(file.name, _parse_numbers(file, width, positions))


def _drop_blank_lines(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Blank lines at the end are dropped; one between rows is refused (it would shift every line number)."""
    blank = frame.isna().all(axis=1).to_numpy()
    if not blank.any():
        return frame
    keep = len(blank) - int(np.argmin(blank[::-1])) if not blank.all() else 0
    inner = np.flatnonzero(blank[:keep])
    if len(inner):
        raise DataError(f"{name}: line {int(inner[0]) + 2} is empty; remove the blank line(s) between the candle rows")
    return frame.iloc[:keep]


def _parse_numbers(file: Path, width: int, positions: list[int]) -> pd.DataFrame:
    name = file.name
    try:
        return _read_frame(file, width, positions, numbers_as_text=False)
    except UnicodeDecodeError:
        raise  # not a number problem: `reading` words it
    except pd.errors.ParserError as exc:
        raise DataError(
            f"{name}: malformed CSV ({_short(exc)}); every row needs the same columns as the header"
        ) from None
    except ValueError as exc:
        frame = _read_frame(file, width, positions, numbers_as_text=True)
        for column in CANDLE_COLUMNS[1:]:
            values = pd.to_numeric(frame[column], errors="coerce")
            bad = np.flatnonzero(values.isna().to_numpy() & frame[column].notna().to_numpy())
            if len(bad):
                row = int(bad[0])
                raise DataError(
                    f"{name}: line {row + 2}: {column} '{frame[column].iloc[row]}' is not a number; "
                    "write plain decimals such as 150803000 or 0.8461566"
                ) from None
        raise DataError(f"{name}: cannot parse the numbers ({_short(exc)}); write plain decimals") from None


def _read_frame(file: Path, width: int, positions: list[int], *, numbers_as_text: bool) -> pd.DataFrame:
    names = [f"c{index}" for index in range(width)]
    # All columns are read (no usecols) so that a row with too many fields is an error, not ignored.
    dtypes: dict[str, Any] = dict.fromkeys(names, str)
    for position in positions[1:]:
        dtypes[names[position]] = str if numbers_as_text else "float64"
    frame = pd.read_csv(
        file,
        header=None,
        skiprows=1,
        names=names,
        dtype=dtypes,
        skipinitialspace=True,
        keep_default_na=False,
        na_values=[""],
        encoding="utf-8-sig",
        compression="gzip" if file.name.endswith(".gz") else None,
        engine="c",
        skip_blank_lines=False,
    )
    frame = frame[[names[position] for position in positions]]
    frame.columns = pd.Index(list(CANDLE_COLUMNS))
    return frame


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:160]


def _binary_line(file: Path, line: int) -> DataError | None:
    """The error for a line that holds NUL bytes (binary data), else None."""
    text = raw_lines(file, {line}).get(line, "")
    if "\x00" in text:
        return DataError(
            f"{file.name}: line {line} holds NUL bytes (binary data, not text); "
            "the file is damaged: export or download it again"
        )
    return None


def _parse_ts_column(file: Path, column: pd.Series[Any]) -> IntArray:
    name = file.name
    missing = np.flatnonzero(column.isna().to_numpy())
    if len(missing):
        raise DataError(f"{name}: line {int(missing[0]) + 2}: ts is empty; every row needs the candle open time")
    first = str(column.iloc[0]).strip()
    if first.isdigit():
        numbers = pd.to_numeric(column, errors="coerce")
        bad = np.flatnonzero(numbers.isna().to_numpy())
        if len(bad):
            row = int(bad[0])
            raise _binary_line(file, row + 2) or DataError(
                f"{name}: line {row + 2}: ts '{column.iloc[row]}' is not an epoch integer like line 2's; "
                "use one time format for the whole file"
            )
        values: IntArray = np.asarray(numbers.to_numpy(), dtype=np.int64)
        is_ms = values >= _EPOCH_MS_THRESHOLD
        if is_ms.any() and not is_ms.all():
            row = int(np.argmax(is_ms != is_ms[0]))
            units = ("milliseconds", "seconds") if is_ms[row] else ("seconds", "milliseconds")
            raise DataError(
                f"{name}: line {row + 2}: ts {values[row]} is in {units[0]} but line 2 ({values[0]}) is in "
                f"{units[1]}; use one unit for the whole file"
            )
        if is_ms.any():
            values = values // 1000
        return values
    times = pd.to_datetime(column, format="ISO8601", utc=True, errors="coerce")
    bad = np.flatnonzero(times.isna().to_numpy())
    if len(bad):
        row = int(bad[0])
        raise _binary_line(file, row + 2) or DataError(
            f"{name}: line {row + 2}: ts '{column.iloc[row]}' is not a time; "
            "write ISO-8601 UTC like 2025-09-01T00:00:00Z or epoch seconds/milliseconds"
        )
    naive = np.asarray(times.dt.tz_convert(None).to_numpy(), dtype="datetime64[s]")
    return np.asarray(naive.astype(np.int64), dtype=np.int64)


def _float_column(name: str, frame: pd.DataFrame, column: str) -> FloatArray:
    values: FloatArray = np.asarray(frame[column].to_numpy(), dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        row = int(bad[0])
        shown = "empty" if np.isnan(values[row]) else f"'{values[row]}'"
        raise DataError(f"{name}: line {row + 2}: {column} is {shown}; every row needs a finite number in each column")
    return values


def _check_prices(name: str, columns: Mapping[str, FloatArray]) -> None:
    for column in PRICE_COLUMNS:
        bad = np.flatnonzero(columns[column] <= 0)
        if len(bad):
            row = int(bad[0])
            raise DataError(
                f"{name}: line {row + 2}: {column} is {columns[column][row]:.10g}; prices must be > 0 "
                f"({len(bad)} row(s) affected), fix or remove these rows"
            )


def _resolve_timeframe(
    name: str, given: Timeframe | str | None, from_name: Timeframe | None, ts_s: IntArray
) -> Timeframe:
    if isinstance(given, Timeframe):
        return given
    if isinstance(given, str):
        return Timeframe.parse(given)
    if from_name is not None:
        return from_name
    inferred = infer_timeframe(ts_s)
    if inferred is None:
        raise DataError(
            f"{name}: cannot tell the timeframe (file name has none and the row spacing matches no timeframe); "
            "pass timeframe='1m' (--timeframe)"
        )
    return inferred
