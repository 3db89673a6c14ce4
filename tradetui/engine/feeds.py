"""Feeds that drive the engine in real time: pacing of a bar source (demo, replays)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

from tradetui.core.market import Bar


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
