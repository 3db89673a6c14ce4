"""The terminal report renders without a terminal and shows what matters."""

from __future__ import annotations

import io
import time
from decimal import Decimal

import numpy as np
import numpy.typing as npt
from rich.console import Console, RenderableType

from tradetui.backtest.metrics import BacktestMetrics, compute_metrics
from tradetui.backtest.report import downsample_minmax, render_report
from tradetui.core.trades import ClosedTrade

DAY = 86_400
T0 = 1_704_067_200  # 2024-01-01 00:00 UTC = 09:00 KST


def closed(index: int, pnl: str, reason: str) -> ClosedTrade:
    entry_ms = (T0 + index * 3_600) * 1000
    return ClosedTrade(
        market="KRW-BTC" if index % 2 else "KRW-ETH",
        strategy="ema_cross",
        entry_ms=entry_ms,
        exit_ms=entry_ms + 1_800_000,
        volume=Decimal("0.01"),
        entry_price=Decimal("100000000"),
        exit_price=Decimal("100000000") + Decimal(pnl) * 100,
        pnl=Decimal(pnl),
        fees=Decimal("50"),
        exit_reason=reason,
    )


def measure(
    ts_s: npt.NDArray[np.int64], equity: npt.NDArray[np.float64], trades: list[ClosedTrade], interval_s: int
) -> BacktestMetrics:
    return compute_metrics(
        ts_s=ts_s,
        equity=equity,
        exposure=np.zeros(len(equity), dtype=bool),
        trades=trades,
        starting_cash=Decimal("1000000"),
        fees_paid=Decimal("1000"),
        bar_interval_s=interval_s,
    )


def render(renderable: RenderableType, *, colour: bool = False) -> str:
    """Print into a recording console that is not a terminal (or poses as a colour one)."""
    if colour:
        console = Console(record=True, width=120, file=io.StringIO(), force_terminal=True, color_system="standard")
    else:
        console = Console(record=True, width=120, file=io.StringIO())
    console.print(renderable)
    return console.export_text(styles=colour)


def test_report_shows_header_metrics_months_trades_and_plots() -> None:
    ts = T0 + np.arange(5, dtype=np.int64) * DAY
    equity = np.array([1_100_000, 990_000, 1_045_000, 1_155_000, 1_097_250], dtype=np.float64)
    trades = [closed(1, "50000", "take_profit"), closed(2, "-20000", "stop_loss")]
    metrics = measure(ts, equity, trades, DAY)
    text = render(render_report(metrics, title="EMA cross on KRW-BTC", trades=trades, ts_s=ts, equity=equity))

    for label in ("EMA cross on KRW-BTC", "Strategy", "ema_cross", "KRW-BTC, KRW-ETH", "Starting cash"):
        assert label in text
    assert "2024-01-01 09:00 → 2024-01-06 09:00 KST" in text  # the period, in KST
    assert "1,000,000 KRW" in text and "1,097,250 KRW" in text
    for group in ("Returns", "Risk", "Trades"):
        assert group in text
    for label in ("Total return", "CAGR", "Max drawdown", "Sharpe", "Sortino", "Calmar", "VaR 95 %", "CVaR 95 %"):
        assert label in text
    for label in ("Win rate", "Profit factor", "Payoff ratio", "Expectancy", "Avg holding", "Max consecutive"):
        assert label in text
    assert "+9.73 %" in text  # total return
    assert "-10.00 %" in text  # max drawdown
    assert "2.50" in text  # profit factor 50,000 / 20,000
    assert "Monthly returns" in text and "2024" in text and "Jan" in text
    assert "2024-01-01 10:00" in text  # first trade's entry in KST
    assert "take_profit" in text and "stop_loss" in text
    assert "+50,000" in text and "-20,000" in text
    assert "Equity (KRW)" in text and "Drawdown (%)" in text
    assert all(len(line) <= 120 for line in text.splitlines())


def test_only_the_last_trades_are_listed() -> None:
    ts = T0 + np.arange(48, dtype=np.int64) * 3_600
    equity = np.linspace(1_000_000, 1_100_000, 48)
    trades = [closed(i, "1000", f"reason{i:02d}") for i in range(20)]
    text = render(render_report(measure(ts, equity, trades, 3_600), title="t", trades=trades, ts_s=ts, equity=equity))
    assert "Last 15 of 20 trades" in text
    assert "reason19" in text and "reason05" in text
    assert "reason04" not in text


def test_monthly_cells_are_coloured() -> None:
    ts = T0 + np.arange(60, dtype=np.int64) * DAY  # January up, February down
    equity = np.concatenate((np.full(31, 1_100_000.0), np.full(29, 990_000.0)))
    metrics = measure(ts, equity, [], DAY)
    text = render(render_report(metrics, title="t", trades=[], ts_s=ts, equity=equity), colour=True)
    assert "\x1b[32m+10.00" in text  # green January
    assert "\x1b[31m-10.00" in text  # red February


def test_empty_run_renders() -> None:
    empty = np.array([], dtype=np.int64)
    metrics = measure(empty, np.array([], dtype=np.float64), [], 60)
    text = render(render_report(metrics, title="nothing", trades=[], ts_s=empty, equity=np.array([])))
    assert "no bars" in text
    assert "Last 0 of 0 trades" in text


def test_a_flat_one_bar_run_renders() -> None:
    ts = np.array([T0], dtype=np.int64)
    equity = np.array([1_000_000.0])
    text = render(render_report(measure(ts, equity, [], 60), title="flat", trades=[], ts_s=ts, equity=equity))
    assert "Equity (KRW)" in text


def test_downsampling_keeps_extremes_in_time_order() -> None:
    x = np.arange(1_000_000, dtype=np.float64)
    y = np.sin(x / 5_000.0)
    y[123_457] = 5.0
    y[876_543] = -5.0
    xs, ys = downsample_minmax(x, y, max_points=120)
    assert len(xs) <= 120
    assert ys.max() == 5.0 and ys.min() == -5.0
    assert (np.diff(xs) >= 0).all()
    small_x, small_y = downsample_minmax([1.0, 2.0], [3.0, 4.0], max_points=120)
    assert small_x.tolist() == [1.0, 2.0] and small_y.tolist() == [3.0, 4.0]


def test_a_million_bar_curve_renders_quickly() -> None:
    n = 1_000_000
    ts = T0 + np.arange(n, dtype=np.int64) * 60
    equity = 1_000_000 * np.exp(np.cumsum(np.random.default_rng(7).normal(0.0, 1e-3, n)))
    metrics = measure(ts, equity, [], 60)
    started = time.perf_counter()
    text = render(render_report(metrics, title="big", trades=[], ts_s=ts, equity=equity))
    assert time.perf_counter() - started < 5.0
    assert "Equity (KRW)" in text
