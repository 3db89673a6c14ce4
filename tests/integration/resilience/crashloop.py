"""The kill -9 loop shared by ``test_crash_restart.py`` and ``benchmarks/bench_crash.py``.

One sandbox lives in this process (127.0.0.1) for the whole loop; the engine runs as a separate
process (``python -m tradetui --no-ui``) on one data dir. Each cycle starts it, waits (however
long start-up takes on a busy machine, up to a generous deadline) until its first order reaches
the sandbox, and only then arms the kill: SIGKILL at once (the order accepted, its answer not
yet read), a few ms later, or after a random delay in the order flow that follows. So every
counted cycle kills a running order flow; a start that never got that far is reported and
retried, never counted. ``lanes`` engines run side by side against separate accounts. At the
end each engine runs once more and stops cleanly, and its journal is audited.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from tradetui.sandbox.app import serve
from tradetui.sandbox.state import SandboxState


def _audit_module() -> ModuleType:
    key = "resilience_test_audit"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name("audit.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


audit = _audit_module()
CRASH_FAULTS = "latency_ms=0-15,lost_response=0.05"
"""Mild faults so kills also land while a request is pending or unanswered."""
ORDER_FLOW_DEADLINE_S = 120.0
"""How long a (re)started engine may take to get its first order to the sandbox (a hang guard:
a few seconds when the machine is quiet)."""
EXIT_DEADLINE_S = 90.0
"""How long a clean stop (SIGINT) may take before it counts as a hang: above the engine's own
cap for an exchange that stops answering (``STOP_LIMIT_S``)."""
POLL_S = 0.002


@dataclass
class CrashResult:
    cycles: int = 0
    """Kills that met a running order flow."""
    cycle_s: list[float] = field(default_factory=list)
    start_s: list[float] = field(default_factory=list)
    """Process start to the engine's first order at the sandbox."""
    kills: dict[str, int] = field(default_factory=dict)
    unarmed: list[str] = field(default_factory=list)
    """Starts that never got an order to the sandbox in time: retried, not counted as kills."""
    reruns: list[str] = field(default_factory=list)
    """Final runs made again because the exchange left orders unanswered at the clean stop."""
    exchange_orders: int = 0
    duplicates: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    lost_fills: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    stop_s: list[float] = field(default_factory=list)
    """SIGINT to exit of the final clean stops."""
    stop_hangs: list[str] = field(default_factory=list)
    """Clean stops (SIGINT) that did not end within ``EXIT_DEADLINE_S``."""

    @property
    def median_cycle_s(self) -> float:
        return statistics.median(self.cycle_s) if self.cycle_s else 0.0


@dataclass
class _Lane:
    index: int
    data_dir: Path
    config: Path
    env: dict[str, str]
    account: Any
    log: Path


def _engine(lane: _Lane) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "tradetui", "--no-ui", "--config", str(lane.config), "--data-dir", str(lane.data_dir)]
    with lane.log.open("ab") as log:
        return subprocess.Popen(cmd, env=lane.env, stdout=subprocess.DEVNULL, stderr=log)


def _orders_of(state: SandboxState, access_key: str) -> int:
    return sum(1 for o in state.engine.orders.values() if o.access_key == access_key)


async def _wait_exit(proc: subprocess.Popen[bytes], timeout_s: float) -> int | None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            return code
        await asyncio.sleep(0.02)
    return None


async def _first_order(
    state: SandboxState, lane: _Lane, proc: subprocess.Popen[bytes], before: int, *, more: int = 1
) -> str | None:
    """Wait until ``more`` orders of this run reached the sandbox; None, or why they did not."""
    deadline = time.monotonic() + ORDER_FLOW_DEADLINE_S
    while _orders_of(state, lane.account.access_key) < before + more:
        code = proc.poll()
        if code is not None:
            return f"lane {lane.index}: the engine exited with {code} before its first order (see {lane.log})"
        if time.monotonic() > deadline:
            return f"lane {lane.index}: no order reached the sandbox {ORDER_FLOW_DEADLINE_S:.0f} s after the start"
        await asyncio.sleep(POLL_S)
    return None


async def _one_cycle(state: SandboxState, lane: _Lane, rng: random.Random, result: CrashResult) -> bool:
    """Start, wait for the order flow, kill. False when the start never got an order out (not a kill)."""
    started = time.monotonic()
    before = _orders_of(state, lane.account.access_key)
    # on_order: at once when the sandbox accepted an order (before its answer is read, before
    # the fill is reported or stored); after_order: 0-40 ms later; delay: 0-1.5 s later,
    # anywhere in the order flow that follows (orders, unknowns being resolved, exits)
    mode = rng.choice(("on_order", "after_order", "delay"))
    wait_s = {"on_order": 0.0, "after_order": rng.uniform(0.0, 0.04), "delay": rng.uniform(0.0, 1.5)}[mode]
    proc = _engine(lane)
    try:
        missed = await _first_order(state, lane, proc, before)
        if missed is not None:  # (a start that fails says why in one line; a traceback is a problem in _check)
            result.unarmed.append(missed)
            return False
        result.start_s.append(time.monotonic() - started)
        if wait_s:
            await asyncio.sleep(wait_s)
        result.kills[mode] = result.kills.get(mode, 0) + 1
        return True
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        await _wait_exit(proc, 5)
        if proc.poll() is None:  # pragma: no cover - SIGKILL always ends it
            proc.kill()
        result.cycle_s.append(time.monotonic() - started)


async def _final_run(state: SandboxState, lane: _Lane, result: CrashResult) -> None:
    """Start once more, let it reconcile and trade (two orders), stop cleanly (SIGINT), audit.

    A stop that hangs (see ``CrashResult.stop_hangs``) is dumped to the lane's log (faulthandler)
    and killed, and the final run is made again (bounded), so the audit still sees a clean stop."""
    for _ in range(5):
        before = _orders_of(state, lane.account.access_key)
        proc = _engine(lane)
        try:
            missed = await _first_order(state, lane, proc, before, more=2)
            if missed is not None:
                result.unarmed.append(f"final run: {missed}")
                if proc.poll() is not None:  # its start failed (the exchange too slow to answer): again
                    continue
            proc.send_signal(signal.SIGINT)
            asked = time.monotonic()
            code = await _wait_exit(proc, EXIT_DEADLINE_S)
            result.stop_s.append(time.monotonic() - asked)
            if code is None:
                result.stop_hangs.append(
                    f"lane {lane.index}: no exit {EXIT_DEADLINE_S:.0f} s after SIGINT (stack in {lane.log})"
                )
                proc.send_signal(signal.SIGABRT)  # faulthandler: where it hangs, into the lane's log
                await _wait_exit(proc, 5)
                continue
            if code != 0:
                result.problems.append(f"lane {lane.index}: the final clean stop exited with {code}")
            return
        finally:
            if proc.poll() is None:
                proc.kill()
                await _wait_exit(proc, 5)
    result.problems.append(f"lane {lane.index}: no final run stopped cleanly")


async def _final_runs(state: SandboxState, lane: _Lane, result: CrashResult) -> None:
    """The final run, and again while its clean stop left orders unresolved in the journal.

    A stop leaves an order unknown only when the exchange did not answer its lookups (a
    sandbox starved of CPU); the stop then says so in the log, and the next start resolves it.
    An order left open that the stop did not name is a problem."""
    for _ in range(3):
        await _final_run(state, lane, result)
        open_orders = audit.open_journal_orders(audit.find_journal(lane.data_dir))
        if not open_orders:
            return
        text = lane.log.read_text(errors="replace").replace("\n", " ")
        said = " ".join(text.split())  # the log wraps long lines
        for identifier, order_state in open_orders:
            if f"order {identifier} stays unknown" not in said and f"order {identifier}: its placement" not in said:
                result.problems.append(f"lane {lane.index}: the clean stop left {identifier} {order_state} unannounced")
        result.reruns.append(f"lane {lane.index}: the stop left {len(open_orders)} unanswered; started again")
    result.problems.append(f"lane {lane.index}: three clean stops in a row left orders unresolved")


def _check(state: SandboxState, lane: _Lane, result: CrashResult) -> None:
    database = audit.find_journal(lane.data_dir)
    report = audit.audit(state, lane.account, database)
    result.exchange_orders += report.exchange_orders
    result.duplicates += report.duplicates
    result.orphans += report.orphans
    result.lost_fills += report.lost_fills
    result.problems += report.problems
    stored = audit.journal_positions(database)
    coins = audit.coin_totals(lane.account)
    volumes = {m: audit.Decimal(str(row["volume"])) for m, row in stored.items()}
    if volumes != coins:
        result.problems.append(f"lane {lane.index}: stored positions {volumes} != sandbox coins {coins}")
    for market, row in stored.items():
        if row["stop_json"] in ("", "{}", None):
            result.problems.append(f"lane {lane.index}: stored position {market} has no exit state")
    text = lane.log.read_text(errors="replace")
    if "Traceback" in text and "KeyboardInterrupt" not in text:
        result.problems.append(f"lane {lane.index}: a traceback in the engine's log ({lane.log})")


async def crash_loop(
    workdir: Path, *, cycles: int = 50, lanes: int = 2, seed: int = 1, profile: str = "upbit"
) -> CrashResult:
    """``cycles`` kill/restart cycles in total over ``lanes`` engines; then a clean stop and the audit."""
    result = CrashResult()
    state = audit.sandbox_state(profile, f"{CRASH_FAULTS},seed={seed}", markets=audit.MARKETS[:4])
    runner, port = await serve(state)
    started = time.monotonic()
    try:
        lane_list: list[_Lane] = []
        for k in range(lanes):
            access, secret = f"crash-access-{k}", f"crash-secret-{k}"
            account = state.add_account(access, secret, {"KRW": audit.CASH_KRW})
            data_dir = workdir / f"lane-{k}"
            data_dir.mkdir(parents=True, exist_ok=True)
            config = workdir / f"lane-{k}.toml"
            markets = [spec.code for spec in audit.MARKETS[:4]]
            config.write_text(audit.toml_text(audit.engine_config(profile, port, markets)), encoding="utf-8")
            env = {
                **os.environ,
                f"TRADETUI_{profile.upper()}_ACCESS_KEY": access,
                f"TRADETUI_{profile.upper()}_SECRET_KEY": secret,
                "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                "PYTHONWARNINGS": "ignore",
                "PYTHONFAULTHANDLER": "1",
            }
            lane_list.append(_Lane(k, data_dir, config, env, account, workdir / f"lane-{k}.log"))
        rngs = [random.Random(seed * 1000 + k) for k in range(lanes)]
        per_lane = [cycles // lanes + (1 if k < cycles % lanes else 0) for k in range(lanes)]

        async def lane_loop(lane: _Lane, n: int) -> None:
            kills = 0
            for _ in range(2 * n + 2):  # a start that never reached the order flow is tried again (bounded)
                if kills == n:
                    return
                if await _one_cycle(state, lane, rngs[lane.index], result):
                    kills += 1
                    result.cycles += 1

        await asyncio.gather(*(lane_loop(lane, n) for lane, n in zip(lane_list, per_lane, strict=True)))
        await asyncio.gather(*(_final_runs(state, lane, result) for lane in lane_list))
        for lane in lane_list:
            _check(state, lane, result)
    finally:
        await runner.cleanup()
    result.elapsed_s = time.monotonic() - started
    return result
