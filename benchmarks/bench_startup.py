"""Start-up time and memory of the command line, as a trader's shell sees them.

    python benchmarks/bench_startup.py [--runs 7] [--data FILE]

Each command is a fresh ``python -m tradetui ...`` process of this checkout (``PYTHONPATH`` = the
repository root), timed from spawn to exit; peak RSS is the child's own (``os.wait4``). One
unmeasured warm-up run per command first (file cache), then ``--runs`` rounds, each running every
command once in turn, so a change of load on the machine falls on all of them alike. Baseline in
the same run: ``python -c "import numpy"``, the floor of any command that touches candles; the
ratio column is a command's median over the baseline's.

Commands: ``--version``, ``--help``, ``strategies``, and ``backtest --json --no-store --data FILE``
on ``../shared/data/upbit_KRW-BTC_1m_20250901_20251004.csv.gz`` (47,597 1m bars; looked for beside
this checkout, then beside the main checkout of a git worktree) or, without it, a synthetic file of
as many bars written to a temporary directory; the script says which.

Targets (issue 9): --version and --help <= 0.3 s, strategies <= 0.5 s, backtest --json <= 1.0 s
(medians). With ``PYTHONDONTWRITEBYTECODE=1`` (this machine sets it) the project's own modules are
compiled on every start; the script prints whether it is set.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILE_NAME = "upbit_KRW-BTC_1m_20250901_20251004.csv.gz"
BARS = 47_597


@dataclass(frozen=True, slots=True)
class Case:
    label: str
    argv: list[str]
    target_s: float | None


@dataclass
class Runs:
    seconds: list[float]
    peak_rss_mb: float = 0.0


def _shared_data_file() -> Path | None:
    """The real file beside this checkout, or beside the main checkout when this is a git worktree."""
    roots = [ROOT]
    common = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if common.returncode == 0 and common.stdout.strip():
        roots.append(Path(common.stdout.strip()).parent)
    for root in roots:
        path = root.parent / "shared" / "data" / FILE_NAME
        if path.is_file():
            return path
    return None


def _synthetic_file(directory: Path) -> Path:
    """As many synthetic 1m KRW-BTC bars as the real file has, as a ts,open,high,low,close,volume CSV."""
    sys.path.insert(0, str(ROOT))
    from tradetui.candles.synthetic import generate_market

    series = generate_market("KRW-BTC", bars=BARS, seed=7, start_price=150_000_000.0)
    first, last = (time.strftime("%Y%m%d", time.gmtime(int(series.ts_s[k]))) for k in (0, -1))
    path = directory / f"upbit_KRW-BTC_1m_{first}_{last}.csv.gz"  # the name tells the reader the market
    with gzip.open(path, "wt", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(("ts", "open", "high", "low", "close", "volume"))
        columns = (series.open, series.high, series.low, series.close, series.volume)
        for ts, *values in zip(series.ts_s.tolist(), *(c.tolist() for c in columns), strict=True):
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
            out.writerow((stamp, *(f"{v:.10g}" for v in values[:4]), f"{values[4]:.8f}"))
    return path


def _run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child; raises when it fails."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, for its own rusage
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{err.read().decode(errors='replace')}")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="measured runs of each command (default 7)")
    parser.add_argument("--data", type=Path, help="the candle file for the backtest (default: see above)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    env["COLUMNS"] = "120"
    with tempfile.TemporaryDirectory() as scratch:
        data = args.data or _shared_data_file()
        if data is None:
            data = _synthetic_file(Path(scratch))
            where = f"synthetic, {BARS:,} 1m bars written to a temporary directory (the real file was not found)"
        else:
            where = f"{data}"
        tradetui = [sys.executable, "-m", "tradetui"]
        cases = [
            Case('python -c "import numpy" (baseline)', [sys.executable, "-c", "import numpy"], None),
            Case("tradetui --version", [*tradetui, "--version"], 0.3),
            Case("tradetui --help", [*tradetui, "--help"], 0.3),
            Case("tradetui strategies", [*tradetui, "strategies"], 0.5),
            Case(
                "tradetui backtest --json --no-store --data FILE",
                [*tradetui, "backtest", "--json", "--no-store", "--data", str(data)],
                1.0,
            ),
        ]
        load_before = os.getloadavg()[0]
        for case in cases:  # warm-up: file cache, not measured
            _run_once(case.argv, env)
        runs = {case.label: Runs([]) for case in cases}
        for _ in range(args.runs):
            for case in cases:
                seconds, rss = _run_once(case.argv, env)
                runs[case.label].seconds.append(seconds)
                runs[case.label].peak_rss_mb = max(runs[case.label].peak_rss_mb, rss)
        load_after = os.getloadavg()[0]
    baseline = statistics.median(runs[cases[0].label].seconds)
    print(f"FILE: {where}")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, PYTHONDONTWRITEBYTECODE="
        f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}; {args.runs} runs each after one warm-up\n"
    )
    header = (
        f"{'command':50} {'median s':>9} {'min s':>7} {'max s':>7} {'peak RSS MB':>12} {'x numpy':>8} "
        f"{'target s':>9} {'':4}"
    )
    print(header)
    print("-" * len(header))
    for case in cases:
        r = runs[case.label]
        med = statistics.median(r.seconds)
        target = "" if case.target_s is None else f"{case.target_s:.1f}"
        verdict = "" if case.target_s is None else ("ok" if med <= case.target_s else "OVER")
        print(
            f"{case.label:50} {med:>9.3f} {min(r.seconds):>7.3f} {max(r.seconds):>7.3f} {r.peak_rss_mb:>12.0f} "
            f"{med / baseline:>8.2f} {target:>9} {verdict:4}"
        )
    print(f"\n1-minute load average: {load_before:.2f} before, {load_after:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
