"""Feeds that drive the engine in real time: pacing of a bar source (demo, replays), and a guard
that never lets a sped-up market run ahead of the wall clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

from tradetui.core.clock import Clock
from tradetui.core.market import Bar

MAX_HOLD_STEP_S = 1.0
"""A held bar re-checks the wall clock at least this often (a clock may jump)."""


async def paced(bars: Iterable[Bar], *, bars_per_second: float) -> AsyncIterator[Bar]:
    """Yield ``bars`` at a steady rate (drift-free: the schedule does not accumulate sleeps)."""
    if bars_per_second <= 0:
        raise ValueError("bars_per_second must be > 0")
    loop = asyncio.get_running_loop()
    interval = 1.0 / bars_per_second
    next_at = loop.time()
    for bar in bars:
        delay = next_at - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        yield bar
        next_at += interval


async def not_before_close(bars: AsyncIterator[Bar], wall: Clock) -> AsyncIterator[Bar]:
    """Yield ``bars`` no earlier than their close on the ``wall`` clock: a simulated market that
    runs faster than real time (the demo) slows to real time rather than pass the wall clock, so
    nothing it records is dated in the future."""
    async for bar in bars:
        close_ms = (bar.ts_s + bar.timeframe.seconds) * 1000
        while (wait_ms := close_ms - wall.now_ms()) > 0:
            await asyncio.sleep(min(wait_ms / 1000, MAX_HOLD_STEP_S))
        yield bar
