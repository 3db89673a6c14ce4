"""Reading the history and recording settings while the engine trades: every record goes
through the session's one synchronous connection, so no read or write waits on a lock the
engine's loop holds (an async transaction held across an ``await`` would stall the loop)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tradetui.commands.run import build_session
from tradetui.config import demo_config
from tradetui.storage.repository import SqliteRepository


async def test_history_reads_and_config_saves_beside_a_trading_engine(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    session = build_session(
        demo_config(), database=tmp_path / "s.db", speed=1500.0, max_bars=20_000, now_s=1_800_000_000
    )
    handle = session.handle
    run = asyncio.create_task(handle.run())
    try:
        with caplog.at_level(logging.WARNING):
            for k in range(40):
                await handle.orders(500)
                await handle.trade_history(500)
                assert await handle.save_config_change(f"# change {k}\n", f"note {k}")
                await asyncio.sleep(0.01)
            assert not run.done()
        assert handle.engine.bars_processed > 0
    finally:
        handle.request_stop()
        await asyncio.wait_for(run, 30)
        session.journal.close()
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert problems == []
    repo = await SqliteRepository.open(tmp_path / "s.db")
    try:
        assert len(await repo.load_config_history()) == 40
    finally:
        await repo.close()
