"""The terminal report of a backtest: header, grouped metrics, monthly returns, last trades, plots.

Everything is a rich renderable, so the same report prints to a terminal, to a pipe or into a
``Console(record=True)``. Nothing is cut short: a part that does not fit ``width`` (80 columns,
or a pipe) is stacked instead (the metric groups one under another, months down the side, each
trade on two lines), so every key number appears in full. Plots are drawn with plotext into
plain text (no TTY needed) after the curve is cut down to at most ``width`` points (the minimum
and the maximum of each bucket), so a million-bar curve renders in well under a second. Times
are shown in KST; months are UTC months, as in :mod:`tradetui.backtest.metrics`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import plotext
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tradetui.backtest.metrics import SECONDS_PER_DAY, BacktestMetrics, FloatArray, drawdown_pct
from tradetui.core.clock import to_kst
from tradetui.core.notation import krw, price, volume
from tradetui.core.trades import ClosedTrade, OpenPosition
from tradetui.plot_lock import plotext_lock

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MISSING = "—"
GAIN_STYLE = "green"
LOSS_STYLE = "red"
_EQUITY_COLOR = "cyan"
_DRAWDOWN_COLOR = "red"

Rows = list[tuple[str, Text]]


def render_report(
    metrics: BacktestMetrics,
    *,
    title: str,
    trades: Sequence[ClosedTrade],
    ts_s: npt.ArrayLike,
    equity: npt.ArrayLike,
    width: int = 120,
    strategy: str | None = None,
    markets: Sequence[str] | None = None,
    last_trades: int = 15,
    plot_height: int = 14,
    open_positions: Sequence[OpenPosition] = (),
) -> Group:
    """Build the whole report for a console ``width`` columns wide. ``strategy`` and ``markets``
    default to those seen in ``trades`` (and ``open_positions``)."""
    times = np.asarray(ts_s, dtype=np.int64)
    values = np.asarray(equity, dtype=np.float64)
    if strategy is None:
        seen = {trade.strategy for trade in trades} | {p.strategy for p in open_positions}
        strategy = ", ".join(sorted(seen)) or MISSING
    if markets is None:
        markets = sorted({trade.market for trade in trades} | {p.market for p in open_positions})
    parts: list[RenderableType] = [
        header_panel(metrics, title=title, strategy=strategy, markets=markets),
        metrics_table(metrics, width=width),
        monthly_returns_table(metrics, width=width),
    ]
    if open_positions:
        parts.append(open_positions_table(open_positions, width=width))
    parts.append(trades_table(trades, last=last_trades, width=width))
    if len(values):
        parts.extend(plot_curves(metrics, times, values, width=width, height=plot_height))
    else:
        parts.append(Text("No bars: nothing to plot.", style="dim"))
    return Group(*parts)


def fits(renderable: RenderableType, width: int) -> bool:
    """Whether ``renderable`` shows in ``width`` columns without wrapping or cutting a cell."""
    return Console(width=10_000, file=io.StringIO()).measure(renderable).maximum <= width


def header_panel(metrics: BacktestMetrics, *, title: str, strategy: str, markets: Sequence[str]) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("Strategy", strategy)
    grid.add_row("Markets", ", ".join(markets) or MISSING)
    if metrics.start_ts_s is not None and metrics.end_ts_s is not None:
        span = f"{metrics.elapsed_days:,.1f} days, {metrics.n_bars:,} bars of {_interval(metrics.bar_interval_s)}"
        grid.add_row("Period", f"{_kst(metrics.start_ts_s)} → {_kst(metrics.end_ts_s)} KST  ({span})")
    else:
        grid.add_row("Period", "no bars")
    grid.add_row("Starting cash", _krw(metrics.starting_cash_krw))
    grid.add_row("Final equity", _krw(metrics.final_equity_krw))
    if metrics.open_positions:
        grid.add_row(
            "Still open",
            Text(
                f"{metrics.open_positions} position(s) at the end, unrealised "
                f"{_signed_amount(metrics.unrealized_pnl_krw)} at the last close (see below)",
                style="bold yellow",
            ),
        )
    return Panel(grid, title=Text(title, style="bold"), title_align="left")


def metrics_table(metrics: BacktestMetrics, *, width: int = 120) -> Table:
    """Returns, Risk and Trades side by side, or one under another when that does not fit."""
    m = metrics
    months = m.monthly_returns_pct.values()
    unrealised = (
        Text(f"{_signed_amount(m.unrealized_pnl_krw)} ({m.open_positions} open)", style=_style(m.unrealized_pnl_krw))
        if m.open_positions
        else Text("0 KRW (none open)", style="dim")
    )
    returns: Rows = [
        ("Total return", _pct(m.total_return_pct)),
        ("CAGR", _pct(m.cagr_pct)),
        ("Net PnL (realised)", _signed_krw(m.net_pnl_krw)),
        ("Unrealised PnL", unrealised),
        ("Fees paid", Text(_krw(m.fees_paid_krw))),
        ("Best month", _pct(max(months, default=None))),
        ("Worst month", _pct(min(months, default=None))),
    ]
    risk: Rows = [
        ("Max drawdown", _pct(m.max_drawdown_pct)),
        ("Drawdown peak", _date(m.max_drawdown_peak_ts_s)),
        ("Drawdown trough", _date(m.max_drawdown_trough_ts_s)),
        ("Longest drawdown", Text(f"{m.longest_drawdown_days:,.1f} days")),
        ("Volatility (ann.)", _number(m.annual_volatility_pct, suffix=" %")),
        ("Sharpe", _number(m.sharpe)),
        ("Sortino", _number(m.sortino)),
        ("Calmar", _number(m.calmar)),
        ("VaR 95 % (day)", _number(m.var_95_pct, suffix=" %")),
        ("CVaR 95 % (day)", _number(m.cvar_95_pct, suffix=" %")),
        ("Exposure", _number(m.exposure_pct, suffix=" %", digits=1)),
    ]
    trade_rows: Rows = [
        ("Trades", Text(f"{m.n_trades:,} ({m.n_wins} W / {m.n_losses} L)")),
        ("Win rate", _number(m.win_rate_pct, suffix=" %", digits=1)),
        ("Profit factor", _number(m.profit_factor)),
        ("Avg win", _amount_and_pct(m.avg_win_krw, m.avg_win_pct)),
        ("Avg loss", _amount_and_pct(m.avg_loss_krw, m.avg_loss_pct)),
        ("Payoff ratio", _number(m.payoff_ratio)),
        ("Expectancy", _amount_and_pct(m.expectancy_krw, m.expectancy_pct)),
        ("Avg holding", _number(m.avg_holding_hours, suffix=" h", digits=1)),
        ("Trades per day", _number(m.trades_per_day)),
        ("Max consecutive", Text(f"{m.max_consecutive_wins} W / {m.max_consecutive_losses} L")),
    ]
    groups = [
        _labelled_values("Returns", returns),
        _labelled_values("Risk", risk),
        _labelled_values("Trades", trade_rows),
    ]
    side_by_side = Table.grid(padding=(0, 2))
    for _ in groups:
        side_by_side.add_column(vertical="top")
    side_by_side.add_row(*groups)
    if fits(side_by_side, width):
        return side_by_side
    stacked = Table.grid()
    stacked.add_column()
    for group in groups:
        stacked.add_row(group)
    return stacked


def monthly_returns_table(metrics: BacktestMetrics, *, width: int = 120) -> RenderableType:
    """Years down, months across (UTC months), and the compounded year in the last column; when
    that does not fit ``width``, months down and years across (as many years as fit a table)."""
    table = Table(title="Monthly returns % (UTC months)", title_style="bold", title_justify="left")
    table.add_column("Year", style="bold", no_wrap=True)
    for name in MONTH_NAMES:
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("Year", justify="right", style="bold", no_wrap=True)
    years = sorted({year for year, _ in metrics.monthly_returns_pct})
    for year in years:
        cells: list[Text] = []
        for month in range(1, 13):
            pct = metrics.monthly_returns_pct.get((year, month))
            cells.append(_pct(pct, suffix="") if pct is not None else Text(""))
        table.add_row(str(year), *cells, _pct(_year_return(metrics, year), suffix=""))
    if not years:
        table.add_row(MISSING, *([""] * 13))
    if fits(table, width) or not years:
        return table
    per_table = max(1, (width - 8) // 10)
    parts: list[RenderableType] = []
    for first in range(0, len(years), per_table):
        chunk = years[first : first + per_table]
        down = Table(title="Monthly returns % (UTC months)", title_style="bold", title_justify="left")
        down.add_column("Month", style="bold", no_wrap=True)
        for year in chunk:
            down.add_column(str(year), justify="right", no_wrap=True)
        for month in range(1, 13):
            values = [metrics.monthly_returns_pct.get((year, month)) for year in chunk]
            if all(value is None for value in values):
                continue
            down.add_row(MONTH_NAMES[month - 1], *(_pct(v, suffix="") if v is not None else Text("") for v in values))
        down.add_row("Year", *(_pct(_year_return(metrics, year), suffix="") for year in chunk), style="bold")
        parts.append(down)
    return Group(*parts)


def _year_return(metrics: BacktestMetrics, year: int) -> float:
    growth = 1.0
    for month in range(1, 13):
        growth *= 1.0 + (metrics.monthly_returns_pct.get((year, month)) or 0.0) / 100.0
    return (growth - 1.0) * 100.0


def open_positions_table(positions: Sequence[OpenPosition], *, width: int = 120) -> RenderableType:
    """Positions still held at the end of the run, marked at the last close."""
    title = f"Still open at the end: {len(positions)} position(s), marked at the last close (KST)"
    table = Table(title=title, title_style="bold yellow", title_justify="left")
    for name in ("Entry", "Market"):
        table.add_column(name, no_wrap=True)
    for name in ("Volume", "Avg entry", "Last close", "Unrealised KRW", "%"):
        table.add_column(name, justify="right", no_wrap=True)
    for p in positions:
        table.add_row(
            _kst(p.entry_ms // 1000),
            p.market,
            _volume(p.volume),
            _price(p.avg_price),
            _price(p.last_price),
            _signed_krw(p.unrealized_pnl, unit=""),
            _pct(p.return_pct, suffix=""),
        )
    if fits(table, width):
        return table
    compact = Table(title=title, title_style="bold yellow", title_justify="left", show_lines=True)
    compact.add_column("Entry (KST)\nMarket", no_wrap=True)
    compact.add_column("Volume\nAvg entry", justify="right", no_wrap=True)
    compact.add_column("Last close", justify="right", no_wrap=True)
    compact.add_column("Unrealised KRW\n%", justify="right", no_wrap=True)
    for p in positions:
        compact.add_row(
            f"{_kst(p.entry_ms // 1000)}\n{p.market}",
            f"{_volume(p.volume)}\n{_price(p.avg_price)}",
            _price(p.last_price),
            Text.assemble(_signed_krw(p.unrealized_pnl, unit=""), "\n", _pct(p.return_pct, suffix="")),
        )
    return compact


def trades_table(trades: Sequence[ClosedTrade], *, last: int = 15, width: int = 120) -> RenderableType:
    """The ``last`` trades to close, oldest first; two lines a trade when one does not fit."""
    recent = sorted(trades, key=lambda trade: trade.exit_ms)[-last:] if last > 0 else []
    title = f"Last {len(recent)} of {len(trades)} trades (KST)"
    caption = (
        "avg: the average price of the trade's partial exits" if any(t.has_partial_exits for t in recent) else None
    )
    table = Table(title=title, title_style="bold", title_justify="left", caption=caption, caption_justify="left")
    for name in ("Entry", "Exit", "Market"):
        table.add_column(name, no_wrap=True)
    for name in ("Entry price", "Exit price", "Return %", "PnL KRW"):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("Reason", no_wrap=True)
    for trade in recent:
        table.add_row(
            _kst(trade.entry_ms // 1000),
            _kst(trade.exit_ms // 1000),
            trade.market,
            _price(trade.entry_price),
            _exit_price(trade),
            _pct(trade.return_pct, suffix=""),
            _signed_krw(trade.pnl, unit=""),
            trade.exit_reason,
        )
    if fits(table, width):
        return table
    compact = Table(
        title=title, title_style="bold", title_justify="left", caption=caption, caption_justify="left", show_lines=True
    )
    compact.add_column("Entry\nExit", no_wrap=True)
    compact.add_column("Market\nReason", no_wrap=True)
    compact.add_column("Entry price\nExit price", justify="right", no_wrap=True)
    compact.add_column("PnL KRW\nReturn %", justify="right", no_wrap=True)
    for trade in recent:
        compact.add_row(
            f"{_kst(trade.entry_ms // 1000)}\n{_kst(trade.exit_ms // 1000)}",
            f"{trade.market}\n{trade.exit_reason}",
            f"{_price(trade.entry_price)}\n{_exit_price(trade)}",
            Text.assemble(_signed_krw(trade.pnl, unit=""), "\n", _pct(trade.return_pct, suffix="")),
        )
    return compact


def _exit_price(trade: ClosedTrade) -> str:
    return ("avg " if trade.has_partial_exits else "") + _price(trade.exit_price)


def plot_curves(
    metrics: BacktestMetrics, ts_s: npt.ArrayLike, equity: npt.ArrayLike, *, width: int = 120, height: int = 14
) -> list[Text]:
    """Equity and drawdown (%) against time, as text; the starting cash is the first point."""
    times = np.asarray(ts_s, dtype=np.int64)
    values = np.asarray(equity, dtype=np.float64)
    if len(values) == 0:
        return []
    start_s = int(times[0])
    days = np.concatenate(([0.0], (times + metrics.bar_interval_s - start_s) / SECONDS_PER_DAY))
    curve = np.concatenate(([float(metrics.starting_cash_krw)], values))
    drawdown = np.concatenate(([0.0], drawdown_pct(values, metrics.starting_cash_krw)))
    with plotext_lock:
        equity_text = _line_plot(
            days, curve, start_s, title="Equity (KRW)", color=_EQUITY_COLOR, width=width, height=height
        )
        drawdown_text = _line_plot(
            days,
            drawdown,
            start_s,
            title="Drawdown (%)",
            color=_DRAWDOWN_COLOR,
            width=width,
            height=max(height // 2, 6),
        )
    return [equity_text, drawdown_text]


def downsample_minmax(x: npt.ArrayLike, y: npt.ArrayLike, max_points: int) -> tuple[FloatArray, FloatArray]:
    """At most ``max_points`` points keeping the lowest and highest ``y`` of each bucket, in order."""
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    buckets = max(max_points // 2, 1)
    if len(ys) <= max(max_points, 2):
        return xs, ys
    per_bucket = math.ceil(len(ys) / buckets)
    buckets = math.ceil(len(ys) / per_bucket)
    padding = buckets * per_bucket - len(ys)
    grid_x = np.pad(xs, (0, padding), mode="edge").reshape(buckets, per_bucket)
    grid_y = np.pad(ys, (0, padding), mode="edge").reshape(buckets, per_bucket)
    low = np.argmin(grid_y, axis=1)
    high = np.argmax(grid_y, axis=1)
    order = np.stack((np.minimum(low, high), np.maximum(low, high)), axis=1)
    rows = np.arange(buckets)[:, None]
    return grid_x[rows, order].ravel(), grid_y[rows, order].ravel()


def _line_plot(
    days: FloatArray, values: FloatArray, start_s: int, *, title: str, color: str, width: int, height: int
) -> Text:
    xs, ys = downsample_minmax(days, values, max_points=width)
    plotext.terminal.limit(False, False)  # no terminal here: the caller chooses the size
    figure = plotext.figure
    figure.clear.all()
    figure.plot_size(width, height)
    figure.theme("simple")
    signal = figure.signal(xs.tolist(), ys.tolist(), marker=plotext.marker("hd", pixel=color))
    signal.lines()
    figure.draw(signal)
    figure.title(title)
    low, high = float(ys.min()), float(ys.max())
    if high > low:
        # no more labels than the plot has rows (title, frame and x labels take 4), all of one
        # width: plotext drops labels that collide and leaves a stray sign behind ("--3.71")
        count = max(2, min(5, height - 4))
        y_ticks = np.linspace(low, high, count)
        labels = [_axis_number(value, high - low) for value in y_ticks]
        size = max(len(label) for label in labels)
        figure.ruler("y").ticks(y_ticks.tolist(), [label.rjust(size) for label in labels])
    span_days = float(days[-1])
    if span_days > 0:
        x_ticks = np.linspace(0.0, span_days, 5)
        pattern = "%Y-%m-%d" if span_days >= 4 else "%m-%d %H:%M"
        labels = [to_kst((start_s + int(day * SECONDS_PER_DAY)) * 1000).strftime(pattern) for day in x_ticks]
        figure.ruler("x").ticks(x_ticks.tolist(), labels)
    rendered = figure.build().string()
    figure.clear.all()
    return Text.from_ansi(str(rendered))


def _labelled_values(name: str, rows: Rows) -> Table:
    table = Table(title=name, title_style="bold", show_header=False, box=None, padding=(0, 0, 0, 1))
    table.add_column(style="dim", no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    for label, value in rows:
        table.add_row(label, value)
    return table


def _kst(ts_s: int, *, date_only: bool = False) -> str:
    return to_kst(ts_s * 1000).strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")


def _date(ts_s: int | None) -> Text:
    return Text(MISSING, style="dim") if ts_s is None else Text(_kst(ts_s, date_only=True))


def _interval(seconds: int) -> str:
    for unit, size in (("d", SECONDS_PER_DAY), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _style(value: float | Decimal) -> str:
    return GAIN_STYLE if value > 0 else LOSS_STYLE if value < 0 else ""


def _pct(value: float | None, *, suffix: str = " %") -> Text:
    if value is None:
        return Text(MISSING, style="dim")
    return Text(f"{value:+,.2f}{suffix}", style=_style(value))


def _number(value: float | None, *, suffix: str = "", digits: int = 2) -> Text:
    if value is None:
        return Text(MISSING, style="dim")
    if math.isinf(value):
        return Text("∞" if value > 0 else "-∞")
    return Text(f"{value:,.{digits}f}{suffix}")


def _krw(value: Decimal | float) -> str:
    return krw(value)


def _signed_krw(value: Decimal, *, unit: str = " KRW") -> Text:
    return Text(krw(value, signed=True, unit=False) + unit, style=_style(float(value)))


def _signed_amount(value: Decimal) -> str:
    return krw(value, signed=True)


def _volume(value: Decimal) -> str:
    return volume(value)


def _amount_and_pct(amount: Decimal | None, pct: float | None) -> Text:
    if amount is None or pct is None:
        return Text(MISSING, style="dim")
    return Text(f"{amount:+,.0f} KRW ({pct:+.2f} %)", style=_style(float(amount)))


def _price(value: Decimal) -> str:
    """Prices as traders read them: averages of partial fills are cut to a sensible precision."""
    return price(value)


def _axis_number(value: float, span: float) -> str:
    digits = 0 if span >= 50 else 2
    text = f"{value:,.{digits}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # never "-0.00"
