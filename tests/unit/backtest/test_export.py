"""Exported files parse back to exactly what was exported."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tradetui.backtest.export import EQUITY_COLUMNS, TRADE_COLUMNS, export_run
from tradetui.backtest.metrics import BacktestMetrics, compute_metrics, drawdown_pct
from tradetui.core.trades import ClosedTrade
from tradetui.errors import ConfigError

DAY = 86_400
T0 = 1_704_067_200  # 2024-01-01 00:00 UTC
START = Decimal("1000000")

TRADES = [
    ClosedTrade(
        market="KRW-XRP",
        strategy="rsi",
        entry_ms=T0 * 1000 + 5 * 3_600_000 + 250,
        exit_ms=T0 * 1000 + 2 * 86_400_000,
        volume=Decimal("1234.56789012"),
        entry_price=Decimal("812.3"),
        exit_price=Decimal("790.1"),
        pnl=Decimal("-27903.12345678"),
        fees=Decimal("0.00000001"),
        exit_reason="stop_loss",
    ),
    ClosedTrade(
        market="KRW-BTC",
        strategy="rsi",
        entry_ms=T0 * 1000,
        exit_ms=T0 * 1000 + 3_600_000,
        volume=Decimal("0.00012345"),
        entry_price=Decimal("95000000"),
        exit_price=Decimal("96000000"),
        pnl=Decimal("111.5"),
        fees=Decimal("11.7"),
        exit_reason="take_profit",
    ),
]


@pytest.fixture
def curve() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    ts = T0 + np.arange(3, dtype=np.int64) * DAY
    return ts, np.array([1_000_111.5, 0.1 + 0.2, 972_208.37654322], dtype=np.float64)


def metrics_for(ts: npt.NDArray[np.int64], equity: npt.NDArray[np.float64]) -> BacktestMetrics:
    return compute_metrics(
        ts_s=ts,
        equity=equity,
        exposure=np.array([True, False, True]),
        trades=TRADES,
        starting_cash=START,
        fees_paid=Decimal("11.70000001"),
        bar_interval_s=DAY,
    )


def export(
    directory: Path, ts: npt.NDArray[np.int64], equity: npt.NDArray[np.float64], **run_info: object
) -> dict[str, Path]:
    return export_run(
        directory,
        metrics=metrics_for(ts, equity),
        trades=TRADES,
        ts_s=ts,
        equity=equity,
        drawdown=drawdown_pct(equity, START),
        run_info=run_info,
    )


def test_writes_three_files_into_a_new_directory(
    tmp_path: Path, curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]
) -> None:
    target = tmp_path / "runs" / "2024-01-01"
    paths = export(target, *curve)
    assert paths == {
        "trades": target / "trades.csv",
        "equity": target / "equity.csv",
        "report": target / "report.json",
    }
    assert all(path.is_file() for path in paths.values())
    assert sorted(p.name for p in target.iterdir()) == ["equity.csv", "report.json", "trades.csv"]  # no temp files


def test_trades_csv_keeps_decimals_exact_and_times_in_utc_and_kst(
    tmp_path: Path, curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]
) -> None:
    paths = export(tmp_path, *curve)
    with paths["trades"].open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == TRADE_COLUMNS
        rows = list(reader)
    assert [row["market"] for row in rows] == ["KRW-BTC", "KRW-XRP"]  # by exit time
    btc, xrp = rows
    assert xrp["volume"] == "1234.56789012"
    assert xrp["pnl_krw"] == "-27903.12345678"
    assert xrp["fees_krw"] == "0.00000001"  # not 1E-8
    assert btc["volume"] == "0.00012345"
    assert btc["entry_price"] == "95000000"
    assert btc["pnl_krw"] == "111.5"
    for row, original in zip(rows, [TRADES[1], TRADES[0]], strict=True):
        assert Decimal(row["volume"]) == original.volume
        assert Decimal(row["entry_price"]) == original.entry_price
        assert Decimal(row["exit_price"]) == original.exit_price
        assert Decimal(row["pnl_krw"]) == original.pnl
        assert Decimal(row["fees_krw"]) == original.fees
        assert int(row["entry_ms"]) == original.entry_ms
        assert float(row["return_pct"]) == original.return_pct
    assert xrp["entry_time_utc"] == "2024-01-01T05:00:00.250Z"
    assert xrp["entry_time_kst"] == "2024-01-01T14:00:00.250+09:00"
    assert xrp["exit_time_utc"] == "2024-01-03T00:00:00.000Z"
    assert xrp["exit_time_kst"] == "2024-01-03T09:00:00.000+09:00"
    assert float(btc["holding_hours"]) == 1.0
    assert xrp["exit_reason"] == "stop_loss"


def test_equity_csv_round_trips_floats(
    tmp_path: Path, curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]
) -> None:
    ts, equity = curve
    paths = export(tmp_path, ts, equity)
    with paths["equity"].open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == EQUITY_COLUMNS
        rows = list(reader)
    assert [row["ts_utc"] for row in rows] == [
        "2024-01-01T00:00:00Z",
        "2024-01-02T00:00:00Z",
        "2024-01-03T00:00:00Z",
    ]
    assert [int(row["ts_s"]) for row in rows] == ts.tolist()
    assert [float(row["equity_krw"]) for row in rows] == equity.tolist()  # 0.30000000000000004 included
    assert [float(row["drawdown_pct"]) for row in rows] == drawdown_pct(equity, START).tolist()
    assert float(rows[0]["drawdown_pct"]) == 0.0


def test_report_json_holds_metrics_and_run_info(
    tmp_path: Path, curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]
) -> None:
    ts, equity = curve
    paths = export(tmp_path, ts, equity, strategy="rsi", params={"period": 14}, fee_rate=Decimal("0.0005"))
    report = json.loads(paths["report"].read_text(encoding="utf-8"))
    assert report["metrics"] == metrics_for(ts, equity).to_dict()
    assert report["metrics"]["fees_paid_krw"] == "11.70000001"
    assert report["metrics"]["net_pnl_krw"] == "-27791.62345678"
    assert report["run"]["strategy"] == "rsi"
    assert report["run"]["params"] == {"period": 14}
    assert report["run"]["fee_rate"] == "0.0005"
    assert report["run"]["n_trades"] == 2 and report["run"]["n_bars"] == 3


def test_an_empty_run_exports(tmp_path: Path) -> None:
    empty_ts = np.array([], dtype=np.int64)
    empty = np.array([], dtype=np.float64)
    metrics = compute_metrics(
        ts_s=empty_ts,
        equity=empty,
        exposure=np.array([], dtype=bool),
        trades=[],
        starting_cash=START,
        fees_paid=Decimal(0),
        bar_interval_s=60,
    )
    paths = export_run(tmp_path, metrics=metrics, trades=[], ts_s=empty_ts, equity=empty, drawdown=empty)
    assert paths["trades"].read_text(encoding="utf-8").splitlines() == [",".join(TRADE_COLUMNS)]
    assert paths["equity"].read_text(encoding="utf-8").splitlines() == [",".join(EQUITY_COLUMNS)]
    assert json.loads(paths["report"].read_text(encoding="utf-8"))["metrics"]["n_bars"] == 0


def test_a_directory_that_cannot_be_created_is_a_config_error(
    tmp_path: Path, curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(ConfigError, match="a-file"):
        export(blocker / "run", *curve)


def test_a_file_that_cannot_be_written_is_a_config_error(
    tmp_path: Path, curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]
) -> None:
    (tmp_path / "report.json").mkdir()  # a directory where the file should go
    with pytest.raises(ConfigError, match=r"report\.json"):
        export(tmp_path, *curve)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the temporary file is gone


def test_arrays_of_different_lengths_are_refused(
    tmp_path: Path, curve: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]
) -> None:
    ts, equity = curve
    with pytest.raises(ValueError, match="differ in length"):
        export_run(tmp_path, metrics=metrics_for(ts, equity), trades=[], ts_s=ts, equity=equity, drawdown=np.zeros(2))
