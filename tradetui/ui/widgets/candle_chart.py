"""Candle chart of the selected market (plotext candlesticks): the chart's overlays as the handle
gives them (an EMA for context, then the levels the market's strategies trade on, e.g.
breakout's N-bar high with its own lookback), markers at the bot's entries, partial exits and
exits, and the position's stop and target as lines that stay inside the plot. It only draws:
the candles come rolled up and the lines computed from the engine's side."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import plotext
from rich.text import Text
from textual.reactive import reactive

from tradetui.engine.read_model import ChartData
from tradetui.plot_lock import plotext_lock
from tradetui.ui.containment import SafeStatic
from tradetui.ui.formatting import kst_time
from tradetui.ui.widgets.status_bar import Segment, fit

BUY_COLOR = (0, 200, 255)
SELL_COLOR = (255, 120, 0)
PARTIAL_COLOR = (255, 200, 80)
STOP_COLOR = (255, 60, 60)
TARGET_COLOR = (60, 255, 60)
OVERLAY_COLORS = ((200, 200, 0), (150, 150, 255), (255, 130, 255), (130, 255, 255), (200, 160, 120))
"""The overlays' colours in their order (the first is the EMA's: the handle puts it first)."""
MIN_WIDTH = 20
MIN_HEIGHT = 6
Y_LABEL_COLUMNS = 12
"""Columns the y-axis labels take; the rest of the width holds one candle a column."""


def _rgb(color: tuple[int, int, int]) -> str:
    return "rgb({},{},{})".format(*color)


def _price_label(value: float, high: float) -> str:
    return f"{value:,.0f}" if high >= 100 else f"{value:,.4f}"


def render_candles(chart: ChartData, width: int, height: int) -> Text:
    """The chart as ANSI text of ``width`` × ``height`` cells (safe to call from any thread).

    Works for any number of candles (0, 1, a few, thousands) and any price shape (a flat
    market, one candle with high == low)."""
    n = len(chart.close)
    if n == 0:
        return Text(f"{chart.market} {chart.timeframe}: waiting for the first closed candle…", style="dim")
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return Text(f"{chart.market}: too small to draw ({width}×{height})", style="dim")
    keep = max(1, min(n, width - Y_LABEL_COLUMNS))
    lo = n - keep
    xs = list(range(keep))
    ts = chart.ts_s[lo:]
    low = float(np.min(chart.low[lo:]))
    high = float(np.max(chart.high[lo:]))
    levels = [v for v in (chart.stop, chart.target) if v is not None and math.isfinite(v) and v > 0]
    # the stop and target are always inside the plot, however far from the candles they are
    y_low, y_high = min([low, *levels]), max([high, *levels])
    pad = max((y_high - y_low) * 0.03, abs(y_high) * 1e-4, 1e-9)
    y_low, y_high = y_low - pad, y_high + pad
    with plotext_lock:
        plotext.terminal.limit(False, False)
        fig = plotext.figure
        fig.clear.all()
        try:
            fig.plot_size(width, height)
            fig.theme("simple")
            fig.ruler("y").lim(y_low, y_high)
            if keep == 1:  # plotext needs an x range to place a lone candle in
                fig.ruler("x").lim(-1, 1)
            # level lines first (candles and markers draw over them), in every column however few candles
            x_span = np.linspace(0 if keep > 1 else -1, keep - 1 if keep > 1 else 1, 3 * width).tolist()
            for level, color in ((chart.stop, STOP_COLOR), (chart.target, TARGET_COLOR)):
                if level is not None and level in levels:
                    fig.draw(fig.signal(x_span, [level] * len(x_span), marker=plotext.marker("─", pixel=color)))
            fig.draw(
                fig.candlestick(
                    {
                        "date": xs,
                        "open": list(chart.open[lo:]),
                        "close": list(chart.close[lo:]),
                        "high": list(chart.high[lo:]),
                        "low": list(chart.low[lo:]),
                    }
                )
            )
            lines = []
            for k, overlay in enumerate(chart.overlays):
                values = np.asarray(overlay.values, dtype=np.float64)
                if len(values) == n:
                    lines.append((values[lo:], OVERLAY_COLORS[k % len(OVERLAY_COLORS)]))
            for values, color in lines:
                mask = np.isfinite(values)
                if mask.any():
                    fig.draw(
                        fig.signal(
                            np.asarray(xs)[mask].tolist(),
                            values[mask].tolist(),
                            marker=plotext.marker("·", pixel=color),
                        )
                    )
            for points, symbol, color in (
                (chart.buys, "▲", BUY_COLOR),
                (chart.partial_exits, "▽", PARTIAL_COLOR),
                (chart.sells, "▼", SELL_COLOR),
            ):
                shown = _marker_points(points, ts, keep)
                if shown:
                    fig.draw(
                        fig.signal(
                            [x for x, _ in shown], [p for _, p in shown], marker=plotext.marker(symbol, pixel=color)
                        )
                    )
            ticks = sorted(set(np.linspace(0, keep - 1, min(5, keep)).astype(int).tolist()))
            fig.ruler("x").ticks(ticks, [kst_time(int(ts[t]) * 1000, seconds=False) for t in ticks])
            y_ticks = np.linspace(y_low + pad, y_high - pad, 4) if y_high - y_low > 2 * pad else [(low + high) / 2]
            fig.ruler("y").ticks(list(y_ticks), [_price_label(float(v), y_high) for v in y_ticks])
            rendered = str(fig.build().string()).rstrip("\n")
        finally:
            fig.clear.all()
    return Text.from_ansi(rendered)


def _marker_points(points: tuple[tuple[int, float], ...], ts: tuple[int, ...], keep: int) -> list[tuple[int, float]]:
    """Markers as (x, price), each on the candle its time falls in; those before the window dropped."""
    shown = []
    for t, p in points:
        x = int(np.searchsorted(ts, t, side="right")) - 1
        if 0 <= x < keep and math.isfinite(p):
            shown.append((x, p))
    return shown


def chart_title(chart: ChartData, width: int) -> Text:
    """Market, timeframe, stop and target first; the legend goes when the line is short."""
    segments: list[Segment] = [
        (f" {chart.market} ", "bold", 10),
        (f"{chart.timeframe} ", "dim", 9),
    ]
    high = max(chart.high, default=0.0)
    if chart.stop is not None:
        segments.append((f" stop {_price_label(chart.stop, high)}", f"bold {_rgb(STOP_COLOR)}", 8))
    if chart.target is not None:
        segments.append((f" target {_price_label(chart.target, high)}", f"bold {_rgb(TARGET_COLOR)}", 8))
    segments.append(("  ", "", 7))
    for k, overlay in enumerate(chart.overlays):
        segments.append((f"·· {overlay.label} ", _rgb(OVERLAY_COLORS[k % len(OVERLAY_COLORS)]), 3))
    segments.append(("▲ buy ", _rgb(BUY_COLOR), 4))
    if chart.partial_exits:
        segments.append(("▽ part ", _rgb(PARTIAL_COLOR), 4))
    segments.append(("▼ sell ", _rgb(SELL_COLOR), 4))
    return fit(segments, width)


class CandleChart(SafeStatic):
    DEFAULT_CSS = "CandleChart { height: 1fr; min-height: 8; }"

    data: reactive[ChartData | None] = reactive(None)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._drawn: tuple[ChartData, int, int, Text] | None = None
        """The last chart body drawn, with its size: plotext takes ~10 ms a chart."""

    def _body(self, chart: ChartData, width: int, height: int) -> Text:
        drawn = self._drawn
        if drawn is not None and drawn[1:3] == (width, height) and drawn[0] == chart:
            return drawn[3].copy()
        body = render_candles(chart, width, height)
        self._drawn = (chart, width, height, body)
        return body.copy()

    def render_safely(self) -> Text:
        chart = self.data
        if chart is None:
            return Text("select a market", style="dim")
        title = chart_title(chart, self.size.width)
        body = self._body(replace(chart, book=None), self.size.width, max(self.size.height - 1, MIN_HEIGHT))
        return Text("\n").join([title, body])
