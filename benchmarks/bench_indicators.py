"""Time the nine core indicators against TA-Lib on synthetic bars.

    python benchmarks/bench_indicators.py [--bars N] [--repeat R]

Prints one row per indicator (median of R runs, milliseconds), the totals and the overall
ratio ours / TA-Lib against the 3x target. Always exits 0: it is a report, not a gate.
Without TA-Lib installed only our column is filled.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from types import ModuleType

import numpy as np

from tradetui.candles.series import FloatArray
from tradetui.indicators import adx, atr, bollinger, ema, macd, obv, rsi, sma, stochastic

TARGET_RATIO = 3.0
SEED = 20240611

Bars = tuple[FloatArray, FloatArray, FloatArray, FloatArray]
Case = tuple[str, Callable[[], object], Callable[[], object] | None]


def synthetic_bars(count: int, seed: int = SEED) -> Bars:
    """Seeded geometric random walk near 5e7 (a KRW BTC price) with high/low wicks and volume."""
    rng = np.random.default_rng(seed)
    close = 5e7 * np.exp(np.cumsum(rng.normal(0.0, 0.002, count)))
    high = close * (1.0 + np.abs(rng.normal(0.0, 0.001, count)))
    low = close * (1.0 - np.abs(rng.normal(0.0, 0.001, count)))
    volume = rng.lognormal(0.0, 1.0, count)
    return high, low, close, volume


def load_talib() -> ModuleType | None:
    try:
        import talib
    except ImportError:
        return None
    return talib


def cases(bars: Bars, talib: ModuleType | None) -> list[Case]:
    high, low, close, volume = bars
    ours: list[tuple[str, Callable[[], object]]] = [
        ("SMA(20)", lambda: sma(close, 20)),
        ("EMA(20)", lambda: ema(close, 20)),
        ("RSI(14)", lambda: rsi(close, 14)),
        ("MACD(12,26,9)", lambda: macd(close, 12, 26, 9)),
        ("BBANDS(20,2,2)", lambda: bollinger(close, 20, 2.0, 2.0)),
        ("ATR(14)", lambda: atr(high, low, close, 14)),
        ("STOCH(5,3,3)", lambda: stochastic(high, low, close, 5, 3, 3)),
        ("OBV", lambda: obv(close, volume)),
        ("ADX(14)", lambda: adx(high, low, close, 14)),
    ]
    if talib is None:
        return [(name, run, None) for name, run in ours]
    theirs: list[Callable[[], object]] = [
        lambda: talib.SMA(close, 20),
        lambda: talib.EMA(close, 20),
        lambda: talib.RSI(close, 14),
        lambda: talib.MACD(close, 12, 26, 9),
        lambda: talib.BBANDS(close, 20, 2.0, 2.0, 0),
        lambda: talib.ATR(high, low, close, 14),
        lambda: talib.STOCH(high, low, close, fastk_period=5, slowk_period=3, slowd_period=3),
        lambda: talib.OBV(close, volume),
        lambda: talib.ADX(high, low, close, 14),
    ]
    return [(name, run, reference) for (name, run), reference in zip(ours, theirs, strict=True)]


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm caches and allocator once
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bars", type=int, default=1_000_000, help="number of synthetic bars (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per indicator; the median is kept (default 5)")
    args = parser.parse_args(argv)
    talib = load_talib()
    bars = synthetic_bars(args.bars)
    print(f"{args.bars:,} bars, median of {args.repeat} runs" + ("" if talib else " (TA-Lib not installed)"))
    print(f"{'indicator':<16}{'ours ms':>10}{'talib ms':>10}{'ratio':>8}")
    total_ours = total_theirs = 0.0
    for name, run, reference in cases(bars, talib):
        ours_ms = median_ms(run, args.repeat)
        total_ours += ours_ms
        if reference is None:
            print(f"{name:<16}{ours_ms:>10.2f}{'-':>10}{'-':>8}")
            continue
        theirs_ms = median_ms(reference, args.repeat)
        total_theirs += theirs_ms
        print(f"{name:<16}{ours_ms:>10.2f}{theirs_ms:>10.2f}{ours_ms / theirs_ms:>8.2f}")
    if talib is None:
        print(f"{'total':<16}{total_ours:>10.2f}{'-':>10}{'-':>8}")
        return 0
    ratio = total_ours / total_theirs
    print(f"{'total':<16}{total_ours:>10.2f}{total_theirs:>10.2f}{ratio:>8.2f}")
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"overall ratio {ratio:.2f}x {verdict} the <= {TARGET_RATIO:.0f}x target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
