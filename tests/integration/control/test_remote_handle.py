"""RemoteHandle against a served engine in this process: cached reads, queued commands, detach."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tradetui.control.client import AsyncControlClient
from tradetui.control.remote_handle import RemoteHandle
from tradetui.core.events import EngineState
from tradetui.core.market import Timeframe
from tradetui.engine.handle import EngineHandle

if TYPE_CHECKING:
    from tests.integration.control.conftest import Served  # the fixture's type

UI = Path(__file__).resolve().parents[3] / "tradetui" / "ui"


def test_the_remote_handle_has_every_method_the_ui_calls() -> None:
    used = set()
    for path in UI.rglob("*.py"):
        used |= set(re.findall(r"\bhandle\.([a-z_]+)", path.read_text()))
    assert {"snapshot", "pause", "run", "shutdown"} <= used
    assert "engine" not in used, "the UI reaches into handle.engine: add a handle method instead"
    missing = sorted(name for name in used if not hasattr(RemoteHandle, name) and hasattr(EngineHandle, name))
    assert not missing, f"RemoteHandle lacks {missing}"
    assert hasattr(EngineHandle, "is_remote") and RemoteHandle.is_remote and not EngineHandle.is_remote


async def _wait_for(predicate: object, timeout_s: float = 60.0) -> None:
    assert callable(predicate)
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_reads_come_from_the_cache_and_follow_the_engine(served: Served) -> None:
    handle = RemoteHandle(AsyncControlClient(served.token_file), poll_interval_s=0.05)
    with pytest.raises(RuntimeError, match="refresh"):
        handle.snapshot()
    await handle.refresh()
    try:
        assert handle.snapshot() == served.handle.snapshot()
        assert handle.mode == "DEMO" and handle.exchange == "upbit" and handle.is_remote
        assert handle.markets() == served.handle.markets()
        assert handle.market_codes() == served.handle.market_codes()
        assert handle.timeframe() == served.handle.timeframe()
        market = handle.market_codes()[0]
        assert handle.chart(market, 80) is None  # asked for now, fetched by the next poll
        runner = asyncio.create_task(handle.run())
        await _wait_for(lambda: handle.chart(market, 80) is not None)
        assert handle.chart(market, 80) == served.handle.chart(market, 80)
        served.handle.pause("from the engine's side")
        await _wait_for(lambda: handle.snapshot().state is EngineState.PAUSED)
        assert len(handle.snapshot(max_events=3).events) == 3
        handle.request_stop()
        await asyncio.wait_for(runner, 60)
    finally:
        await handle.shutdown()


async def test_the_attached_chart_comes_in_the_chosen_timeframe(served: Served) -> None:
    handle = RemoteHandle(AsyncControlClient(served.token_file), poll_interval_s=0.05)
    await handle.refresh()
    runner = asyncio.create_task(handle.run())
    try:
        market = handle.market_codes()[0]
        await _wait_for(lambda: (c := handle.chart(market, 40, Timeframe.M15)) is not None and c.timeframe == "15m")
        assert handle.chart(market, 40, Timeframe.M15) == served.handle.chart(market, 40, Timeframe.M15)
        await _wait_for(lambda: (c := handle.chart(market, 40)) is not None and c.timeframe == "1m")
        assert handle.chart(market, 40) == served.handle.chart(market, 40)
    finally:
        handle.request_stop()
        await asyncio.wait_for(runner, 60)
        await handle.shutdown()


async def test_commands_are_sent_in_order(served: Served) -> None:
    handle = RemoteHandle(AsyncControlClient(served.token_file), poll_interval_s=0.05)
    await handle.refresh()
    runner = asyncio.create_task(handle.run())
    try:
        name = handle.snapshot().strategies[0].name
        handle.pause()
        handle.resume()
        handle.pause()
        handle.set_strategy_enabled(name, False)
        await _wait_for(lambda: not served.handle.snapshot().strategies[0].enabled)
        assert served.handle.snapshot().state is EngineState.PAUSED
        await _wait_for(
            lambda: handle.snapshot().state is EngineState.PAUSED and not handle.snapshot().strategies[0].enabled
        )
        lookback = handle.snapshot().strategies[0].params["lookback"]
        handle.set_params(name, {"lookback": lookback + 2})
        await _wait_for(lambda: served.handle.snapshot().strategies[0].params["lookback"] == lookback + 2)
        handle.kill(flatten=True)
        await _wait_for(lambda: served.handle.snapshot().state is EngineState.HALTED)
    finally:
        await handle.shutdown()
        await asyncio.wait_for(runner, 60)


async def test_bad_commands_raise_at_once_as_on_the_local_handle(served: Served) -> None:
    handle = RemoteHandle(AsyncControlClient(served.token_file))
    await handle.refresh()
    try:
        name = handle.snapshot().strategies[0].name
        for target in (handle, served.handle):
            with pytest.raises(KeyError, match="nope"):
                target.set_strategy_enabled("nope", True)
            with pytest.raises(ValueError, match="lookback"):
                target.set_params(name, {"lookback": -1})
            with pytest.raises(ValueError, match="timeframe"):
                target.set_params(name, {"timeframe": "1d"})
    finally:
        await handle.shutdown()


async def test_detach_sends_what_is_queued_and_leaves_the_engine_running(served: Served) -> None:
    handle = RemoteHandle(AsyncControlClient(served.token_file))
    await handle.refresh()
    handle.pause()  # queued; nothing runs the poll loop
    await handle.shutdown()
    assert served.handle.snapshot().state is EngineState.PAUSED
    assert served.token_file.exists()  # the server (and its engine) carry on
    async with AsyncControlClient(served.token_file) as client:
        assert (await client.health())["status"] == "ok"


async def test_a_vanished_engine_keeps_the_last_view(served: Served) -> None:
    handle = RemoteHandle(AsyncControlClient(served.token_file), poll_interval_s=0.05)
    await handle.refresh()
    runner = asyncio.create_task(handle.run())
    try:
        before = handle.snapshot()
        await served.server.stop()
        await _wait_for(lambda: "no running engine" in (handle.last_error or ""))
        assert not handle.is_connected
        assert handle.snapshot() == before
    finally:
        await handle.shutdown()
        await asyncio.wait_for(runner, 60)
