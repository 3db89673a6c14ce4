"""kill -9 at any point of the order flow, restart on the same data dir, many times over: no
order is ever sent twice, none is orphaned, positions and their stops survive. Each kill is armed
only once the restarted engine's first order reached the sandbox, so every cycle tests the order
flow however long start-up takes on a busy machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from sibling import load_sibling  # tests/support/sibling.py

# heavy: sandbox servers and engine processes; run one after another in one xdist worker
pytestmark = pytest.mark.xdist_group("heavy")


crashloop = load_sibling(__file__, "crashloop")
CYCLES = 30
"""Kills, each of a running order flow (a start costs seconds of imports: 50 took too long on a
busy machine); `python benchmarks/bench_crash.py` runs hundreds."""


async def test_kill_9_restart_cycles_never_duplicate_or_orphan_orders(tmp_path: Path) -> None:
    result = await crashloop.crash_loop(tmp_path, cycles=CYCLES, lanes=2, seed=5)
    print(
        f"\ncrash loop: {result.cycles} cycles, {result.exchange_orders} exchange orders, kills {result.kills}, "
        f"median cycle {result.median_cycle_s:.2f} s, total {result.elapsed_s:.1f} s, final stops {result.stop_s}"
        f", hangs {result.stop_hangs}, starts retried {result.unarmed}, final runs again {result.reruns}"
    )
    # every counted cycle killed a running order flow (a start that never got an order out is retried)
    assert result.cycles == CYCLES, result.unarmed[:5]
    assert len(result.start_s) == CYCLES
    assert result.exchange_orders > 0, "no order was ever sent: the kills never met the order flow"
    assert not result.duplicates, result.duplicates[:10]
    assert not result.orphans, result.orphans[:10]
    assert not result.lost_fills, result.lost_fills[:10]
    assert not result.problems, result.problems[:10]
    assert len(result.kills) == 3  # kills on an order, just after one, and at random points
