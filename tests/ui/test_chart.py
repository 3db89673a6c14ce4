"""The candle chart draws any number of candles in any timeframe, keeps the stop and target in
view, and marks the bot's trades.

Seen before: one daily candle (the demo's 1m history rolled up by `[`) made plotext raise
IndexError (the chart padded to ten x positions) and the app closed with the engine.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from tradetui.candles.resample import resample
from tradetui.candles.series import BarSeries
from tradetui.core.market import Timeframe
from tradetui.engine.read_model import ChartData, ChartOverlay
from tradetui.ui.screens.dashboard import CHART_TIMEFRAMES
from tradetui.ui.widgets.candle_chart import chart_title, render_candles

T0 = 1_800_000_000 - 1_800_000_000 % 86_400


def _chart(
    n: int, *, flat: bool = False, stop: float | None = None, target: float | None = None, trades: bool = True
) -> ChartData:
    ts = tuple(T0 + 60 * k for k in range(n))
    if flat:
        o = h = lo = c = tuple(50_000_000.0 for _ in range(n))
    else:
        o = tuple(50_000_000.0 + 10_000 * (k % 7) for k in range(n))
        c = tuple(v + 5_000 for v in o)
        h = tuple(v + 20_000 for v in o)
        lo = tuple(v - 20_000 for v in o)
    level = ChartOverlay("high20", tuple(None if k < 20 else 50_080_000.0 for k in range(n)))
    return ChartData(
        "KRW-DEMO",
        "1m",
        ts,
        o,
        h,
        lo,
        c,
        tuple(1.0 for _ in range(n)),
        ((ts[0], o[0]),) if trades and n else (),
        ((ts[-1], c[-1]),) if trades and n else (),
        stop,
        target,
        None,
        ((ts[n // 2], c[n // 2]),) if trades and n else (),
        (level,),
    )


def _rolled_up(chart: ChartData, timeframe: Timeframe) -> ChartData:
    """``chart`` in ``timeframe`` candles, as the handle sends a coarser chart (the handle's own
    roll-up is held to ``resample`` in tests/unit/engine/test_chart_data.py)."""
    if not chart.close or timeframe.seconds <= 60:
        return chart
    arrays = (np.asarray(v, dtype=np.float64) for v in (chart.open, chart.high, chart.low, chart.close, chart.volume))
    ts = np.asarray(chart.ts_s, dtype=np.int64)
    r = resample(BarSeries(chart.market, Timeframe.M1, ts, *arrays), timeframe)
    last = np.searchsorted(ts, r.ts_s + timeframe.seconds) - 1  # each coarse candle's last minute
    return replace(
        chart,
        timeframe=timeframe.value,
        ts_s=tuple(r.ts_s.tolist()),
        open=tuple(r.open.tolist()),
        high=tuple(r.high.tolist()),
        low=tuple(r.low.tolist()),
        close=tuple(r.close.tolist()),
        volume=tuple(r.volume.tolist()),
        overlays=tuple(replace(o, values=tuple(o.values[int(k)] for k in last)) for o in chart.overlays),
    )


@pytest.mark.parametrize(
    ("n", "flat", "timeframe"),
    list(itertools.product([0, 1, 2, 5, 21, 500], [False, True], CHART_TIMEFRAMES)),
)
def test_any_number_of_candles_in_every_timeframe(n: int, flat: bool, timeframe: Timeframe) -> None:
    chart = _rolled_up(_chart(n, flat=flat, stop=49_000_000.0, target=51_000_000.0), timeframe)
    assert chart.timeframe == (timeframe.value if n else "1m")
    for width, height in ((60, 10), (86, 20), (20, 6), (19, 5)):
        text = render_candles(chart, width, height).plain
        if n == 0:
            assert "waiting for the first closed candle" in text
        elif width >= 20 and height >= 6:
            lines = text.split("\n")
            assert len(lines) == height and all(len(line) <= width for line in lines)


def test_stop_and_target_stay_visible_however_far_they_are() -> None:
    # a target 20 % above the candles would be off a plot scaled to the candles alone
    chart = _chart(30, stop=40_000_000.0, target=60_000_000.0)
    lines = render_candles(chart, 80, 20).plain.split("\n")
    plot_rows = [line for line in lines if "┤" in line or "│" in line]
    assert "─" * 20 in plot_rows[0] or "─" * 20 in lines[1]  # the target line on the top row
    assert any("─" * 20 in line for line in lines[-6:])  # the stop line near the bottom
    labels = "\n".join(lines)
    assert "60,0" in labels and "40,0" in labels


def test_the_title_keeps_stop_and_target_and_drops_the_legend_first() -> None:
    chart = _chart(30, stop=49_123_000.0, target=51_456_000.0)
    wide = chart_title(chart, 120).plain
    assert "stop 49,123,000" in wide and "target 51,456,000" in wide and "high20" in wide and "▲ buy" in wide
    narrow = chart_title(chart, 48).plain
    assert "stop 49,123,000" in narrow and "target 51,456,000" in narrow
    assert len(narrow) <= 48


def test_markers_land_on_their_candles() -> None:
    chart = _chart(8, trades=True)
    text = render_candles(chart, 40, 12).plain
    assert "▲" in text and "▼" in text and "▽" in text
    bare = render_candles(_chart(8, trades=False), 40, 12).plain
    assert "▲" not in bare and "▼" not in bare


async def test_the_first_frame_does_not_wait_for_plotext(monkeypatch: pytest.MonkeyPatch) -> None:
    """plotext takes ~0.2 s to import: before it is loaded the chart shows its title and says it
    is drawing, loads plotext in a thread, and draws the candles once it is there."""
    from textual.app import App, ComposeResult

    from tradetui.ui.widgets import candle_chart
    from tradetui.ui.widgets.candle_chart import CandleChart

    loaded = {"now": False}
    monkeypatch.setattr(candle_chart, "plotext_loaded", lambda: loaded["now"])

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield CandleChart(id="chart")

    async with One().run_test(size=(100, 30)) as pilot:
        chart = pilot.app.query_one(CandleChart)
        chart.data = _chart(60)
        await pilot.pause()
        first = chart.render_safely().plain
        assert "KRW-DEMO" in first and "drawing the chart…" in first
        assert len(first.splitlines()) == 2
        loaded["now"] = True  # what the import thread finds
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        drawn = chart.render_safely().plain
        assert "drawing the chart" not in drawn and len(drawn.splitlines()) > 10
