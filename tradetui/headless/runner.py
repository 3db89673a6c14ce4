"""Run an engine without a UI until its feed ends or SIGINT/SIGTERM arrives, then stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal

from tradetui.core.clock import format_kst
from tradetui.engine.handle import EngineHandle
from tradetui.headless.sinks import log_events

log = logging.getLogger(__name__)


async def run_headless(handle: EngineHandle, *, handle_signals: bool = True) -> int:
    """Returns the process exit code (0 on a clean stop)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, _on_signal, handle, sig)
                installed.append(sig)
            except (NotImplementedError, RuntimeError):  # not the main thread, or no signals here
                pass
    handle.listen(log_events)
    snap = handle.snapshot()
    clock = ""
    if snap.time_scale is not None:  # the events' times are the market's, not the log's wall clock
        speed = f", {snap.time_scale:,.4g}× the wall clock" if snap.time_scale != 1 else ""
        clock = f"; market time from {format_kst(snap.ts_ms)}{speed}"
    log.info(
        "engine started: %s on %s, equity %s KRW, strategies %s%s",
        handle.mode,
        handle.exchange,
        f"{snap.equity:,.0f}",
        ", ".join(s.name for s in snap.strategies),
        clock,
    )
    try:
        await handle.run()
    finally:
        await handle.shutdown()
        for sig in installed:
            loop.remove_signal_handler(sig)
    snap = handle.snapshot()
    log.info(
        "engine stopped: equity %s KRW, %d trades closed, %d positions open, %d bars",
        f"{snap.equity:,.0f}",
        snap.trades_closed,
        len(snap.positions),
        snap.bars_processed,
    )
    return 0


def _on_signal(handle: EngineHandle, sig: signal.Signals) -> None:
    log.warning("received %s: stopping (open orders are cancelled, state is stored)", sig.name)
    handle.request_stop()
