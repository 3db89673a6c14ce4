"""kill -9 / restart loop against the sandbox: duplicates, orphans, cycle time.

    python benchmarks/bench_crash.py [--cycles 500] [--lanes 2] [--seed 1] [--profile upbit]

Runs the loop of ``tests/integration/resilience/crashloop.py`` (a sandbox on 127.0.0.1 in this
process, engines as ``python -m tradetui --no-ui`` subprocesses killed with SIGKILL at random
points of their order flow, each kill armed once the restarted engine's first order reached the
sandbox) and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import tempfile
from pathlib import Path
from statistics import median
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _crashloop() -> ModuleType:
    path = ROOT / "tests" / "integration" / "resilience" / "crashloop.py"
    spec = importlib.util.spec_from_file_location("resilience_crashloop", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["resilience_crashloop"] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=500)
    parser.add_argument("--lanes", type=int, default=2, help="engines killed and restarted side by side")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", choices=("upbit", "bithumb"), default="upbit")
    args = parser.parse_args(argv)
    crashloop = _crashloop()
    with tempfile.TemporaryDirectory(prefix="bench-crash-") as work:
        result = asyncio.run(
            crashloop.crash_loop(Path(work), cycles=args.cycles, lanes=args.lanes, seed=args.seed, profile=args.profile)
        )
    per_minute = result.cycles / result.elapsed_s * 60 if result.elapsed_s else 0.0
    rows = [
        ("cycles", str(result.cycles)),
        ("exchange orders", str(result.exchange_orders)),
        ("kills (mode: n)", ", ".join(f"{k}: {v}" for k, v in sorted(result.kills.items()))),
        ("duplicates", str(len(result.duplicates))),
        ("orphans", str(len(result.orphans))),
        ("lost fills", str(len(result.lost_fills))),
        ("other problems", str(len(result.problems))),
        ("clean stops that hung", str(len(result.stop_hangs))),
        ("starts without an order in time (retried)", str(len(result.unarmed))),
        ("final runs made again (stop left orders unanswered)", str(len(result.reruns))),
        ("median final stop", f"{median(result.stop_s):.2f} s" if result.stop_s else "-"),
        ("median cycle", f"{result.median_cycle_s:.2f} s"),
        ("median start to first order", f"{median(result.start_s):.2f} s" if result.start_s else "-"),
        ("restarts per minute", f"{per_minute:.1f}"),
        ("total", f"{result.elapsed_s:.1f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    for line in [*result.duplicates, *result.orphans, *result.lost_fills, *result.problems][:20]:
        print("  !", line)
    clean = not (result.duplicates or result.orphans or result.lost_fills or result.problems)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
