"""Candle chart of the selected market (plotext candlesticks) with an EMA and the breakout
level overlaid, buy/sell markers at fills, and the position's stop and target."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import plotext
from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tradetui.backtest.report import plotext_lock
from tradetui.engine.read_model import ChartData
from tradetui.indicators.channel import highest
from tradetui.indicators.moving import ema
from tradetui.ui.formatting import kst_time

BUY_COLOR = (0, 200, 255)
SELL_COLOR = (255, 120, 0)


def render_candles(chart: ChartData, width: int, height: int) -> Text:
    """The chart as ANSI text of ``width`` × ``height`` cells (safe to call from any thread)."""
    n = len(chart.close)
    if n == 0 or width < 20 or height < 6:
        return Text(f"{chart.market}: waiting for candles…", style="dim")
    keep = max(10, min(n, width - 12))
    lo = n - keep
    xs = list(range(keep))
    ts = chart.ts_s[lo:]
    with plotext_lock:
        plotext.terminal.limit(False, False)
        fig = plotext.figure
        fig.clear.all()
        fig.plot_size(width, height)
        fig.theme("simple")
        low, high = float(np.min(chart.low[lo:])), float(np.max(chart.high[lo:]))
        span = max(high - low, abs(high) * 1e-6)
        candles = fig.candlestick(
            {
                "date": xs,
                "open": list(chart.open[lo:]),
                "close": list(chart.close[lo:]),
                "high": list(chart.high[lo:]),
                "low": list(chart.low[lo:]),
            }
        )
        fig.draw(candles)
        if n >= 21:
            full_close = np.asarray(chart.close)
            overlay = ema(full_close, 20)[lo:]
            level = np.concatenate(([np.nan], highest(np.asarray(chart.high), 20)[:-1]))[lo:]
            for values, color in ((overlay, (200, 200, 0)), (level, (150, 150, 255))):
                mask = ~np.isnan(values)
                if mask.any():
                    line = fig.signal(
                        np.asarray(xs)[mask].tolist(), values[mask].tolist(), marker=plotext.marker("·", pixel=color)
                    )
                    fig.draw(line)
        for level_value, color in ((chart.stop, (255, 60, 60)), (chart.target, (60, 255, 60))):
            if level_value is not None and low - span / 2 <= level_value <= high + span / 2:
                fig.draw(fig.signal(xs, [level_value] * keep, marker=plotext.marker("-", pixel=color)))
        for points, symbol, color in ((chart.buys, "▲", BUY_COLOR), (chart.sells, "▼", SELL_COLOR)):
            px = [int(np.searchsorted(ts, t, side="right")) - 1 for t, _ in points]
            keep_points = [(x, p) for x, (_, p) in zip(px, points, strict=True) if 0 <= x < keep]
            if keep_points:
                fig.draw(
                    fig.signal(
                        [x for x, _ in keep_points],
                        [p for _, p in keep_points],
                        marker=plotext.marker(symbol, pixel=color),
                    )
                )
        ticks = np.linspace(0, keep - 1, min(5, keep)).astype(int).tolist()
        fig.ruler("x").ticks(ticks, [kst_time(int(ts[t]) * 1000, seconds=False) for t in ticks])
        if high > low:
            y_ticks = np.linspace(low, high, 4)
            fig.ruler("y").ticks(y_ticks.tolist(), [f"{v:,.0f}" if high >= 100 else f"{v:,.4f}" for v in y_ticks])
        rendered = str(fig.build().string())
        fig.clear.all()
    return Text.from_ansi(rendered)


def _rgb(color: tuple[int, int, int]) -> str:
    return "rgb({},{},{})".format(*color)


class CandleChart(Static):
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

    def render(self) -> Text:
        chart = self.data
        if chart is None:
            return Text("select a market", style="dim")
        title = Text.assemble(
            (f" {chart.market} ", "bold"),
            (f"{chart.timeframe}  ", "dim"),
            ("— EMA20 ", "rgb(200,200,0)"),
            ("·· high20 ", "rgb(150,150,255)"),
            ("▲ buy ", _rgb(BUY_COLOR)),
            ("▼ sell ", _rgb(SELL_COLOR)),
        )
        if chart.stop is not None:
            title.append(f" stop {chart.stop:,.0f}", style="red")
        if chart.target is not None:
            title.append(f" target {chart.target:,.0f}", style="green")
        title.no_wrap = True
        title.overflow = "ellipsis"
        title.truncate(self.size.width, overflow="ellipsis")
        body = self._body(replace(chart, book=None), self.size.width, max(self.size.height - 1, 6))
        return Text("\n").join([title, body])
