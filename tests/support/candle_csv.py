"""Write a candle series as the CSV files tradetui reads (``ts,open,high,low,close,volume``)."""

from __future__ import annotations

from pathlib import Path

from tradetui.candles.series import BarSeries


def write_candles_csv(series: BarSeries, path: Path) -> Path:
    with path.open("w") as out:
        out.write("ts,open,high,low,close,volume\n")
        for k in range(len(series)):
            values = (series.open[k], series.high[k], series.low[k], series.close[k], series.volume[k])
            out.write(f"{int(series.ts_s[k])}," + ",".join(repr(float(v)) for v in values) + "\n")
    return path
