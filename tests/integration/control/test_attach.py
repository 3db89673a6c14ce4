"""`tradetui attach`: the real TUI on a RemoteHandle, the engine headless in a subprocess."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rendered import rendered_text  # tests/support/rendered.py
from textual.widgets import Input

from tradetui.control.client import AsyncControlClient
from tradetui.control.remote_handle import RemoteHandle
from tradetui.engine.handle import EngineHandle
from tradetui.ui.app import TradeTuiApp
from tradetui.ui.screens.dashboard import Dashboard
from tradetui.ui.screens.history import HistoryScreen
from tradetui.ui.screens.settings import SettingsScreen
from tradetui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from tests.integration.control.conftest import Cli, Headless  # the fixtures' types


async def _remote_state(cli: Cli, headless: Headless) -> str:
    status = await asyncio.to_thread(cli.ctl_json, headless.data_dir, "status")
    return str(status["state"])


async def test_the_attached_tui_steers_the_remote_engine_and_detaches(headless: Headless, cli: Cli) -> None:
    handle = RemoteHandle(AsyncControlClient(headless.token_file))
    await handle.refresh()
    app = TradeTuiApp(cast(EngineHandle, handle))
    async with app.run_test(size=(120, 35)) as pilot:
        deadline = time.monotonic() + 60  # deadlines here are hang guards: conditions hold in < 1 s when quiet
        while not (isinstance(app.screen, Dashboard) and app.screen.query_one(StatusBar).data is not None):
            assert time.monotonic() < deadline, "the attached dashboard never got the engine's status"
            await pilot.pause(0.1)
        status = app.screen.query_one(StatusBar)
        assert status.data is not None and status.data.mode == "DEMO"
        while "RUNNING" not in rendered_text(status):
            assert time.monotonic() < deadline, rendered_text(status)
            await pilot.pause(0.1)
        await pilot.press("p")
        deadline = time.monotonic() + 60
        while await _remote_state(cli, headless) != "PAUSED":
            assert time.monotonic() < deadline, "the remote engine did not pause"
            await pilot.pause(0.2)
        deadline = time.monotonic() + 60
        while handle.snapshot().state.value != "PAUSED":  # the attached view follows
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        await pilot.press("p")
        deadline = time.monotonic() + 60
        while await _remote_state(cli, headless) != "RUNNING":
            assert time.monotonic() < deadline, "the remote engine did not resume"
            await pilot.pause(0.2)
        # settings over attach: the engine's own limits, a change reaches it and is recorded
        await pilot.press("e")
        settings = app.screen
        assert isinstance(settings, SettingsScreen)
        field = settings.query_one("#risk-max_open_positions", Input)
        before = (await handle.client.risk())["max_open_positions"]
        assert field.value == str(before)
        field.value = str(before + 2)
        settings.action_apply()
        deadline = time.monotonic() + 60
        while (await handle.client.risk())["max_open_positions"] != before + 2:
            assert time.monotonic() < deadline, "the risk change did not reach the remote engine"
            await pilot.pause(0.2)
        await pilot.press("escape")
        await pilot.press("h")  # the orders and trades history, read from the engine's database
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await pilot.pause(0.5)
        await pilot.press("escape")
        assert isinstance(app.screen, Dashboard)
        await pilot.press("q")  # no "positions open, quit?" dialog: detaching stops nothing
        await pilot.pause(0.3)
    assert app.return_code == 0
    await asyncio.sleep(0.5)
    assert headless.proc.poll() is None, "quitting the attached TUI stopped the engine"
    assert headless.token_file.exists()
    assert await _remote_state(cli, headless) == "RUNNING"
    headless.proc.send_signal(signal.SIGINT)
    assert await asyncio.to_thread(headless.proc.wait, 30) == 0
    assert not headless.token_file.exists()


async def test_attach_without_an_engine_is_one_line(cli: Cli, tmp_path: Path) -> None:
    out = await asyncio.to_thread(cli.run, "attach", "--data-dir", str(tmp_path))
    assert out.returncode == 2 and "no running engine" in out.stderr and "Traceback" not in out.stderr
