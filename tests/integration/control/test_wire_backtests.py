"""Stored backtest runs survive JSON (``GET /history/backtests[/{id}]``); malformed documents
raise ``ValueError`` naming the bad field; a long equity curve is thinned, its last point kept."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tradetui.control.wire_history import (
    backtest_run_from_dict,
    backtest_run_to_dict,
    backtest_summary_from_dict,
    backtest_summary_to_dict,
)
from tradetui.core.runs import BacktestRun, BacktestRunSummary
from tradetui.core.trades import ClosedTrade

SUMMARY = BacktestRunSummary(
    7,
    1_760_000_000_000,
    "breakout",
    ("KRW-BTC", "KRW-ETH"),
    "15m",
    1_700_000_000_000,
    None,
    {"lookback": 30, "volume_mult": 1.5},
    {"total_return_pct": -3.5, "profit_factor": "inf", "net_pnl_krw": "-35000.12", "monthly_returns_pct": {}},
    "[risk]\nmax_open_positions = 2\n",
)
TRADE = ClosedTrade(
    "KRW-ETH", "breakout", 1, 2, Decimal("0.5"), Decimal("4000000"), Decimal("4100000"), Decimal("49000"),
    Decimal("1000"), "trailing",
)  # fmt: skip


def _through_json(data: object) -> Any:
    return json.loads(json.dumps(data, allow_nan=False))


def test_a_summary_and_a_run_round_trip() -> None:
    assert backtest_summary_from_dict(_through_json(backtest_summary_to_dict(SUMMARY))) == SUMMARY
    run = BacktestRun(SUMMARY, (TRADE,), ((60, 10_000_000.0, 0.0), (120, 9_950_000.5, -0.49995)))
    assert backtest_run_from_dict(_through_json(backtest_run_to_dict(run))) == run


def test_a_long_equity_curve_is_thinned_keeping_its_ends() -> None:
    points = tuple((60 * k, 1e7 + k, 0.0) for k in range(10_001))
    run = BacktestRun(SUMMARY, (), points)
    sent = backtest_run_from_dict(_through_json(backtest_run_to_dict(run, max_points=500)))
    assert 2 < len(sent.equity) <= 500
    assert sent.equity[0] == points[0] and sent.equity[-1] == points[-1]
    assert list(sent.equity) == sorted(sent.equity)
    assert backtest_run_to_dict(run, max_points=20_000)["equity"] == [list(p) for p in points]


@pytest.mark.parametrize(
    ("key", "value"),
    [("id", "7"), ("markets", "KRW-BTC"), ("start_ms", 1.5), ("params", []), ("metrics", None), ("strategy", 3)],
)
def test_a_malformed_summary_names_the_field(key: str, value: object) -> None:
    data = backtest_summary_to_dict(SUMMARY) | {key: value}
    with pytest.raises(ValueError, match=repr(key)):
        backtest_summary_from_dict(data)


@pytest.mark.parametrize("point", [[1, 2.0], ["1", 2.0, 0.0], [1, float("inf"), 0.0], "1,2,3"])
def test_a_malformed_equity_point_is_refused(point: object) -> None:
    data = backtest_run_to_dict(BacktestRun(SUMMARY, (), ())) | {"equity": [point]}
    with pytest.raises(ValueError):
        backtest_run_from_dict(data)
