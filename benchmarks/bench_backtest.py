"""Full-engine backtest throughput and memory.

    python benchmarks/bench_backtest.py [--repeat 5] [--bars 1000000] [--quick]

Scenarios (each in a fresh subprocess so peak RSS is its own):
* breakout on 1,000,000 synthetic 1m bars, one market (fees, slippage, tick rounding, minimums, stops);
* the same engine on 10 markets × 100,000 bars as one portfolio;
* every real 1m file in ../shared/data when present.
Baseline measured in the same run: a plain Python loop that only reads each bar's close once
(the cost floor of any per-bar engine), so the ratio shows how far event skipping takes us.
Targets: ≥ 1,000,000 bars/s median and peak RSS ≤ 400 MB (1M bars); ≤ 2 s (10 × 100k).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

_CHILD = r"""
import json, resource, sys, time
from tradetui.backtest.runner import run_backtest
from tradetui.data.csv_import import read_candles_csv
from tradetui.candles.synthetic import generate_market
from tradetui.strategies.registry import create

kind, arg, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
if kind == "synthetic":
    series = [generate_market("KRW-BTC", bars=int(arg), seed=11)]
elif kind == "portfolio":
    markets, bars = (int(x) for x in arg.split("x"))
    series = [generate_market(f"KRW-C{k:02d}", bars=bars, seed=100 + k, start_price=50_000_000 / (1 + k))
              for k in range(markets)]
else:
    series = [read_candles_csv(arg)]
bars = sum(len(s) for s in series)
times, baseline, trades = [], [], 0
for _ in range(repeat):
    t = time.perf_counter()
    total = 0.0
    for s in series:
        for c in s.close.tolist():
            total += c
    baseline.append(time.perf_counter() - t)
    t = time.perf_counter()
    result = run_backtest(series, [create("breakout", {"timeframe": series[0].timeframe.value})])
    times.append(time.perf_counter() - t)
    trades = len(result.trades)
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"bars": bars, "times": times, "baseline": baseline, "trades": trades, "rss_mb": rss_mb}))
"""


def run_child(kind: str, arg: str, repeat: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, kind, arg, str(repeat)], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a smoke run")
    args = parser.parse_args()
    bars = 100_000 if args.quick else args.bars
    scenarios = [
        ("synthetic", str(bars), f"breakout, 1 market x {bars:,} synthetic 1m bars"),
        ("portfolio", "10x10000" if args.quick else "10x100000", "breakout, 10 markets portfolio"),
    ]
    if SHARED_DATA.is_dir():
        for f in sorted(SHARED_DATA.glob("upbit_KRW-*_1m_*.csv.gz")) + sorted(
            SHARED_DATA.glob("binance_*_1m_2024*.csv.gz")
        ):
            scenarios.append(("file", str(f), f.name))
    header = (
        f"{'scenario':58} {'bars':>10} {'median s':>9} {'bars/s':>12} {'baseline s':>10} {'ratio':>6} "
        f"{'trades':>7} {'RSS MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for kind, arg, label in scenarios:
        r = run_child(kind, arg, args.repeat)
        med = statistics.median(r["times"])  # type: ignore[arg-type]
        base = statistics.median(r["baseline"])  # type: ignore[arg-type]
        n = int(r["bars"])  # type: ignore[call-overload]
        print(
            f"{label[:58]:58} {n:>10,} {med:>9.3f} {n / med:>12,.0f} {base:>10.3f} {med / base:>6.2f} "
            f"{r['trades']:>7} {r['rss_mb']:>7.0f}"
        )
    print(
        "\ntargets: >= 1,000,000 bars/s and <= 400 MB RSS on 1M bars; 10 x 100k portfolio <= 2 s."
        " ratio = engine time / plain-loop baseline time (same run)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
