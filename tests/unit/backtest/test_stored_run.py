"""A stored run reads back as it was: metrics from their JSON equal the computed ones, the equity
curve is thinned to a bounded size, and a stored run renders the CLI's report."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from rich.console import Console

from tradetui.backtest.metrics import BacktestMetrics
from tradetui.backtest.runner import run_backtest
from tradetui.backtest.stored import MAX_STORED_POINTS, metrics_from_dict, render_stored_run, run_record
from tradetui.candles.synthetic import generate_market
from tradetui.core.runs import BacktestRun, BacktestRunSummary
from tradetui.session.spec import SessionSpec
from tradetui.strategies import registry


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    series = generate_market("KRW-BTC", bars=30_000, start_s=1_735_689_600, seed=3)
    return run_backtest([series], [registry.create("breakout", {})], SessionSpec(cash_krw=Decimal("10000000")))


def test_metrics_come_back_from_their_json(result) -> None:  # type: ignore[no-untyped-def]
    metrics = result.metrics()
    assert metrics.n_trades > 0
    assert metrics_from_dict(json.loads(json.dumps(metrics.to_dict()))) == metrics


def test_infinite_and_missing_metrics() -> None:
    data = {
        "total_return_pct": 1.5,
        "profit_factor": "inf",
        "net_pnl_krw": "12.50",
        "monthly_returns_pct": {"2025-02": 1.5},
    }
    metrics = metrics_from_dict(data)
    assert metrics.profit_factor == float("inf") and metrics.net_pnl_krw == Decimal("12.50")
    assert metrics.monthly_returns_pct == {(2025, 2): 1.5}
    assert metrics.sharpe is None and metrics.n_trades == 0  # a field the stored run lacks
    with pytest.raises(ValueError, match="n_trades"):
        metrics_from_dict({"n_trades": "many"})
    assert isinstance(metrics, BacktestMetrics)


def test_the_record_is_bounded_and_renders_the_report(result) -> None:  # type: ignore[no-untyped-def]
    metrics = result.metrics()
    record = run_record(result, metrics, params={"lookback": 20}, created_ms=1_760_000_000_000)
    assert record.summary["markets"] == ["KRW-BTC"] and record.summary["timeframe"] == "1m"
    assert record.summary["start_ms"] == int(result.ts_s[0]) * 1000
    assert len(record.equity) <= MAX_STORED_POINTS + 1 and record.trades == tuple(result.trades)
    summary = BacktestRunSummary(
        3, 1_760_000_000_000, "breakout", ("KRW-BTC",), "1m", record.summary["start_ms"], record.summary["end_ms"],
        record.summary["params"], record.summary["metrics"], "",
    )  # fmt: skip
    console = Console(width=100, file=io.StringIO(), record=True)
    console.print(render_stored_run(BacktestRun(summary, record.trades, record.equity), width=100))
    text = console.export_text()
    assert "Backtest run #3: breakout" in text and "Total return" in text and "Equity" in text
