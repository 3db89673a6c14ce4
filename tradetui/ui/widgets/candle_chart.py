"""Candle chart of the selected market (plotext candlesticks): the chart's overlays as the handle
gives them (an EMA for context, then the levels the market's strategies trade on, e.g.
breakout's N-bar high with its own lookback), markers at the bot's entries, partial exits and
exits, and the position's stop and target as lines that stay inside the plot. It only draws:
the candles come rolled up and the lines computed from the engine's side."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tradetui.engine.read_model import ChartData
from tradetui.plot_lock import plotext_loaded, plotext_lock
from tradetui.ui.containment import SafeStatic
from tradetui.ui.formatting import kst_time
from tradetui.ui.widgets.status_bar import Segment, fit

RGB = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class ChartPalette:
    """Every colour of the chart, as the (r, g, b) plotext draws with, in one place."""

    buy: RGB
    sell: RGB
    partial: RGB
    stop: RGB
    target: RGB
    overlays: tuple[RGB, ...]
    """The overlays' colours in their order (the first is the EMA's: the handle puts it first)."""


DEFAULT_PALETTE = ChartPalette(
    buy=(0, 200, 255),
    sell=(255, 120, 0),
    partial=(255, 200, 80),
    stop=(255, 60, 60),
    target=(60, 255, 60),
    overlays=((200, 200, 0), (150, 150, 255), (255, 130, 255), (130, 255, 255), (200, 160, 120)),
)
"""For a chart drawn without a theme at hand (a test, a report); in the app the theme decides
(:func:`chart_palette`)."""
CHART_CLASSES = {f"candle-chart--{role}" for role in ("buy", "sell", "partial", "stop", "target")} | {
    f"candle-chart--overlay-{k + 1}" for k in range(len(DEFAULT_PALETTE.overlays))
}
"""The component classes the palette is read from (``app.tcss`` styles them with the theme's
variables); a widget that draws a chart declares them."""


def chart_palette(widget: Widget) -> ChartPalette:
    """The chart's colours from the theme, as ``widget`` (which declares :data:`CHART_CLASSES`)
    sees them; :data:`DEFAULT_PALETTE`'s for any that is not styled."""

    def colour(name: str, default: RGB) -> RGB:
        style = widget.get_component_rich_style(f"candle-chart--{name}", partial=True, default=Style.null())
        if style.color is None:
            return default
        triplet = style.color.get_truecolor()
        return (triplet.red, triplet.green, triplet.blue)

    default = DEFAULT_PALETTE
    return ChartPalette(
        buy=colour("buy", default.buy),
        sell=colour("sell", default.sell),
        partial=colour("partial", default.partial),
        stop=colour("stop", default.stop),
        target=colour("target", default.target),
        overlays=tuple(colour(f"overlay-{k + 1}", rgb) for k, rgb in enumerate(default.overlays)),
    )


MIN_WIDTH = 20
MIN_HEIGHT = 6
Y_LABEL_COLUMNS = 12
"""Columns the y-axis labels take; the rest of the width holds one candle a column."""


def _rgb(color: tuple[int, int, int]) -> str:
    return "rgb({},{},{})".format(*color)


def _price_label(value: float, high: float) -> str:
    return f"{value:,.0f}" if high >= 100 else f"{value:,.4f}"


def render_candles(chart: ChartData, width: int, height: int, palette: ChartPalette = DEFAULT_PALETTE) -> Text:
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
    import plotext  # ~0.2 s the first time: the dashboard loads it after its first frame

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
            for level, color in ((chart.stop, palette.stop), (chart.target, palette.target)):
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
                    lines.append((values[lo:], palette.overlays[k % len(palette.overlays)]))
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
                (chart.buys, "▲", palette.buy),
                (chart.partial_exits, "▽", palette.partial),
                (chart.sells, "▼", palette.sell),
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


def chart_title(chart: ChartData, width: int, palette: ChartPalette = DEFAULT_PALETTE) -> Text:
    """Market, timeframe, stop and target first; the legend goes when the line is short."""
    segments: list[Segment] = [
        (f" {chart.market} ", "bold", 10),
        (f"{chart.timeframe} ", "dim", 9),
    ]
    high = max(chart.high, default=0.0)
    if chart.stop is not None:
        segments.append((f" stop {_price_label(chart.stop, high)}", f"bold {_rgb(palette.stop)}", 8))
    if chart.target is not None:
        segments.append((f" target {_price_label(chart.target, high)}", f"bold {_rgb(palette.target)}", 8))
    segments.append(("  ", "", 7))
    for k, overlay in enumerate(chart.overlays):
        segments.append((f"·· {overlay.label} ", _rgb(palette.overlays[k % len(palette.overlays)]), 3))
    segments.append(("▲ buy ", _rgb(palette.buy), 4))
    if chart.partial_exits:
        segments.append(("▽ part ", _rgb(palette.partial), 4))
    segments.append(("▼ sell ", _rgb(palette.sell), 4))
    return fit(segments, width)


class CandleChart(SafeStatic):
    DEFAULT_CSS = "CandleChart { height: 1fr; min-height: 8; }"
    COMPONENT_CLASSES = set(CHART_CLASSES)

    data: reactive[ChartData | None] = reactive(None)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._drawn: tuple[ChartData, int, int, ChartPalette, Text] | None = None
        """The last chart body drawn, with its size and colours: plotext takes ~10 ms a chart."""
        self._loading = False

    def _body(self, chart: ChartData, width: int, height: int, palette: ChartPalette) -> Text:
        drawn = self._drawn
        if drawn is not None and drawn[1:4] == (width, height, palette) and drawn[0] == chart:
            return drawn[4].copy()
        body = render_candles(chart, width, height, palette)
        self._drawn = (chart, width, height, palette, body)
        return body.copy()

    def render_safely(self) -> Text:
        chart = self.data
        if chart is None:
            return Text("select a market", style="dim")
        palette = chart_palette(self)
        title = chart_title(chart, self.size.width, palette)
        if not plotext_loaded():  # the first frame shows the title; the candles follow
            self._load_plotext()
            return Text("\n").join([title, Text("drawing the chart…", style="dim")])
        height = max(self.size.height - 1, MIN_HEIGHT)
        body = self._body(replace(chart, book=None), self.size.width, height, palette)
        return Text("\n").join([title, body])

    def _load_plotext(self) -> None:
        if self._loading:
            return
        self._loading = True
        self.run_worker(self._import_plotext, thread=True, group="plotext", exit_on_error=False)

    def _import_plotext(self) -> None:
        import plotext  # noqa: F401  (the import is the work)

        self.app.call_from_thread(self.refresh)
