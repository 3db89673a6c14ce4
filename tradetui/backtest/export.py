"""Write a finished backtest to a directory: ``trades.csv``, ``equity.csv`` and ``report.json``.

``report.json`` holds the run, the metrics and the positions still open at the end. Decimal
amounts are written as exact plain strings (``format(value, "f")``, never through float),
times as ISO-8601 UTC with a KST column beside them for trades. Each file is written to a
temporary name and renamed into place, so a crash never leaves half a file behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tradetui.backtest.metrics import BacktestMetrics
from tradetui.core.clock import KST
from tradetui.core.trades import ClosedTrade, OpenPosition
from tradetui.errors import ConfigError

TRADES_FILE = "trades.csv"
EQUITY_FILE = "equity.csv"
REPORT_FILE = "report.json"

TRADE_COLUMNS = (
    "market",
    "strategy",
    "entry_time_utc",
    "entry_time_kst",
    "exit_time_utc",
    "exit_time_kst",
    "entry_ms",
    "exit_ms",
    "volume",
    "entry_price",
    "exit_price",
    "pnl_krw",
    "fees_krw",
    "return_pct",
    "holding_hours",
    "exit_reason",
    "exit_fills",
)
EQUITY_COLUMNS = ("ts_utc", "ts_s", "equity_krw", "drawdown_pct")


def export_run(
    directory: str | os.PathLike[str],
    *,
    metrics: BacktestMetrics,
    trades: Sequence[ClosedTrade],
    ts_s: npt.ArrayLike,
    equity: npt.ArrayLike,
    drawdown: npt.ArrayLike,
    run_info: Mapping[str, object] | None = None,
    open_positions: Sequence[OpenPosition] = (),
) -> dict[str, Path]:
    """Write the three files into ``directory`` (created if needed) and return their paths.

    ``drawdown`` is per bar in percent (as :func:`tradetui.backtest.metrics.drawdown_pct` gives).
    ``run_info`` (strategy, parameters, markets, ...) is stored under ``"run"`` in ``report.json``;
    values JSON cannot hold are written with ``str()``. Raises :class:`ConfigError` naming the path
    when the directory or a file cannot be written.
    """
    times = np.asarray(ts_s, dtype=np.int64)
    values = np.asarray(equity, dtype=np.float64)
    depths = np.asarray(drawdown, dtype=np.float64)
    if not len(times) == len(values) == len(depths):
        raise ValueError(f"ts_s, equity and drawdown differ in length ({len(times)}, {len(values)}, {len(depths)})")
    target = Path(directory)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the backtest export directory {target}: {exc.strerror or exc}") from exc

    report = {
        "run": {
            "exported_files": [TRADES_FILE, EQUITY_FILE, REPORT_FILE],
            "n_trades": len(trades),
            "n_bars": len(times),
            **dict(run_info or {}),
        },
        "metrics": metrics.to_dict(),
        "open_positions": [open_position_to_dict(p) for p in open_positions],
    }
    paths = {
        "trades": _write(target / TRADES_FILE, _trades_csv(trades)),
        "equity": _write(target / EQUITY_FILE, _equity_csv(times, values, depths)),
        "report": _write(target / REPORT_FILE, json.dumps(report, indent=2, default=str, allow_nan=False) + "\n"),
    }
    return paths


def open_position_to_dict(position: OpenPosition) -> dict[str, object]:
    """A position still held at the end, for JSON: amounts as exact strings."""
    return {
        "market": position.market,
        "strategy": position.strategy,
        "entry_time_utc": _iso_utc(position.entry_ms),
        "entry_ms": position.entry_ms,
        "volume": _exact(position.volume),
        "avg_price": _exact(position.avg_price),
        "last_price": _exact(position.last_price),
        "unrealized_pnl_krw": _exact(position.unrealized_pnl),
        "return_pct": position.return_pct,
    }


def _trades_csv(trades: Sequence[ClosedTrade]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TRADE_COLUMNS)
    for trade in sorted(trades, key=lambda item: (item.exit_ms, item.entry_ms)):
        writer.writerow(
            (
                trade.market,
                trade.strategy,
                _iso_utc(trade.entry_ms),
                _iso_kst(trade.entry_ms),
                _iso_utc(trade.exit_ms),
                _iso_kst(trade.exit_ms),
                trade.entry_ms,
                trade.exit_ms,
                _exact(trade.volume),
                _exact(trade.entry_price),
                _exact(trade.exit_price),
                _exact(trade.pnl),
                _exact(trade.fees),
                repr(trade.return_pct),
                repr(trade.holding_ms / 3_600_000),
                trade.exit_reason,
                trade.exit_fills,
            )
        )
    return buffer.getvalue()


def _equity_csv(times: npt.NDArray[np.int64], values: npt.NDArray[np.float64], depths: npt.NDArray[np.float64]) -> str:
    """Vectorised where it counts: a million rows take about a second."""
    iso = np.datetime_as_string(times.astype("datetime64[s]"), unit="s", timezone="UTC")
    lines = [",".join(EQUITY_COLUMNS)]
    lines.extend(
        f"{stamp},{second},{value!r},{depth!r}"
        for stamp, second, value, depth in zip(
            iso.tolist(), times.tolist(), values.tolist(), depths.tolist(), strict=True
        )
    )
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> Path:
    temporary: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="", dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as handle:
            temporary = handle.name
            handle.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise ConfigError(f"cannot write the backtest export file {path}: {exc.strerror or exc}") from exc
    return path


def _exact(value: Decimal) -> str:
    return format(value, "f")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso_utc(ts_ms: int) -> str:
    moment = _EPOCH + timedelta(milliseconds=ts_ms)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso_kst(ts_ms: int) -> str:
    return (_EPOCH + timedelta(milliseconds=ts_ms)).astimezone(KST).isoformat(timespec="milliseconds")
