"""The backtest report at 80 columns and into a pipe: every key number in full (no "…"), a
position still open at the end stated with its unrealised PnL, partial exits' price labelled as
an average, one drawdown sign, and no stray sign on the drawdown axis ("--3.71")."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from tradetui.backtest.metrics import drawdown_pct
from tradetui.backtest.report import _line_plot, render_report
from tradetui.backtest.runner import BacktestResult, run_backtest
from tradetui.candles.series import BarSeries
from tradetui.candles.synthetic import generate_market
from tradetui.core.notation import krw, price
from tradetui.strategies.registry import create

REPO = Path(__file__).resolve().parents[3]
START_S = 1_699_999_980  # on the minute grid


def _series() -> BarSeries:
    return generate_market("KRW-BTC", bars=3000, start_s=START_S, seed=5)


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    run = run_backtest([_series()], [create("breakout")])
    assert run.open_positions, "the synthetic run should end holding a position"
    assert any(t.has_partial_exits for t in run.trades), "and have a trade with partial exits"
    return run


def _printed(run: BacktestResult, width: int) -> str:
    out = io.StringIO()
    console = Console(file=out, width=width)  # a file, not a terminal: as into a pipe
    assert not console.is_terminal
    metrics = run.metrics()
    console.print(
        render_report(
            metrics,
            title="Backtest: breakout",
            trades=run.trades,
            ts_s=run.ts_s,
            equity=run.equity,
            width=width,
            open_positions=run.open_positions,
        )
    )
    return out.getvalue()


def _key_numbers(run: BacktestResult) -> list[str]:
    m = run.metrics()
    numbers = [
        krw(m.starting_cash_krw),
        krw(m.final_equity_krw),
        krw(m.net_pnl_krw, signed=True),
        krw(m.fees_paid_krw),
        krw(m.unrealized_pnl_krw, signed=True),
        f"{m.total_return_pct:+,.2f} %",
        f"{m.max_drawdown_pct:+,.2f} %",
    ]
    for trade in run.trades:
        numbers += [price(trade.entry_price), krw(trade.pnl, signed=True, unit=False)]
        numbers.append(("avg " if trade.has_partial_exits else "") + price(trade.exit_price))
    for position in run.open_positions:
        numbers += [price(position.avg_price), price(position.last_price)]
        numbers.append(krw(position.unrealized_pnl, signed=True, unit=False))
    return numbers


@pytest.mark.parametrize("width", [80, 120])
def test_every_key_number_appears_in_full(result: BacktestResult, width: int) -> None:
    text = _printed(result, width)
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= width
    missing = [number for number in _key_numbers(result) if number not in text]
    assert not missing, missing
    assert "Still open" in text and "Unrealised PnL" in text
    assert "avg: the average price of the trade's partial exits" in text


def test_open_positions_and_closed_trades_add_up_to_the_equity_change(result: BacktestResult) -> None:
    m = result.metrics()
    assert m.open_positions == len(result.open_positions) == 1
    change = Decimal(repr(m.final_equity_krw)) - m.starting_cash_krw
    assert abs(change - (m.net_pnl_krw + m.unrealized_pnl_krw)) < Decimal("0.01")


def test_drawdown_has_one_sign_in_text_json_and_curve(result: BacktestResult) -> None:
    m = result.metrics()
    assert m.max_drawdown_pct < 0
    assert m.max_drawdown_pct == pytest.approx(float(drawdown_pct(result.equity, result.spec.cash_krw).min()))
    assert m.to_dict()["max_drawdown_pct"] == m.max_drawdown_pct
    assert f"{m.max_drawdown_pct:+,.2f} %" in _printed(result, 120)


@pytest.mark.parametrize("low", [-3.71, -14.31, -0.004])
@pytest.mark.parametrize("height", [6, 7, 14])
def test_drawdown_axis_labels_have_one_sign(low: float, height: int) -> None:
    rng = np.random.default_rng(1)
    walk = np.minimum(0.0, np.cumsum(rng.normal(0, 1, 2000)))
    values = walk / abs(walk.min()) * abs(low)
    days = np.linspace(0.0, 30.0, len(values))
    text = _line_plot(days, values, START_S, title="Drawdown (%)", color="red", width=80, height=height).plain
    axis = [line.split("┤")[0] for line in text.splitlines() if "┤" in line]
    assert axis, text
    assert not any("--" in label or label.strip() == "-0.00" for label in axis), axis


def test_cli_report_into_a_pipe_at_80_columns(result: BacktestResult, tmp_path: Path) -> None:
    series = _series()
    csv = tmp_path / "upbit_KRW-BTC_1m_20231114_20231116.csv"
    rows = ["ts,open,high,low,close,volume"]
    rows += [
        f"{int(t)},{float(o)!r},{float(h)!r},{float(lo)!r},{float(c)!r},{float(v)!r}"
        for t, o, h, lo, c, v in zip(
            series.ts_s, series.open, series.high, series.low, series.close, series.volume, strict=True
        )
    ]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = {**os.environ, "COLUMNS": "80"}
    run = [sys.executable, "-m", "tradetui", "backtest", "--data", str(csv), "--no-store"]
    text = subprocess.run(run, capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert text.returncode == 0, text.stderr
    report = json.loads(
        subprocess.run([*run, "--json"], capture_output=True, text=True, timeout=120, cwd=REPO, env=env).stdout
    )
    assert "…" not in text.stdout
    assert max(len(line) for line in text.stdout.splitlines()) <= 80
    metrics = report["metrics"]
    for key in ("final_equity_krw", "net_pnl_krw", "fees_paid_krw", "unrealized_pnl_krw", "starting_cash_krw"):
        assert isinstance(metrics[key], str), key  # JSON money is a string
        assert krw(Decimal(metrics[key])).removesuffix(" KRW").lstrip("+") in text.stdout, key
    [held] = report["open_positions"]
    assert held["market"] == "KRW-BTC" and isinstance(held["unrealized_pnl_krw"], str)
    assert krw(Decimal(held["unrealized_pnl_krw"]), signed=True, unit=False) in text.stdout
    assert metrics["max_drawdown_pct"] < 0 and f"{metrics['max_drawdown_pct']:+,.2f} %" in text.stdout
