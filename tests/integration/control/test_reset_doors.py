"""The kill switch's reset through the control API's doors: POST /reset, `tradetui ctl reset` and
the attached TUI's handle. `resume` alone never re-arms a HALTED engine."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tradetui.control.client import AsyncControlClient
from tradetui.control.remote_handle import RemoteHandle
from tradetui.core.events import EngineState

if TYPE_CHECKING:
    from tests.integration.control.conftest import Cli, Headless, Served  # the fixtures' types


async def test_post_reset_is_the_way_out_of_halted(served: Served) -> None:
    answer = await served.http.post("/reset")
    assert answer.status_code == 409 and "not on" in answer.json()["error"]  # nothing to reset yet

    assert (await served.http.post("/kill")).json()["state"] == "HALTED"
    answer = await served.http.post("/resume", json={"reason": "back to work"})
    assert answer.status_code == 409
    assert "tradetui ctl reset" in answer.json()["error"]
    assert served.handle.snapshot().state is EngineState.HALTED
    assert any("resume does not re-arm" in e.text for e in served.handle.snapshot().events)

    answer = await served.http.post("/reset")
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert status["state"] == "RUNNING"
    assert "new entries allowed again for breakout on KRW-DEMO" in status["risk"]["reason"]
    assert served.handle.snapshot().state is EngineState.RUNNING


async def test_the_attached_handle_resets(served: Served) -> None:
    served.handle.kill()
    handle = RemoteHandle(AsyncControlClient(served.token_file), poll_interval_s=0.05)
    await handle.refresh()
    runner = asyncio.create_task(handle.run())
    try:
        assert "breakout on KRW-DEMO" in handle.reset_description()
        assert "breakout on KRW-DEMO" in handle.reset()
        async with asyncio.timeout(10):
            while served.handle.snapshot().state is not EngineState.RUNNING:
                await asyncio.sleep(0.02)
        async with asyncio.timeout(10):
            while handle.snapshot().state is not EngineState.RUNNING:
                await asyncio.sleep(0.02)
        assert handle.reset() == ""  # not halted: nothing sent
    finally:
        handle.request_stop()
        await asyncio.wait_for(runner, 10)
        await handle.shutdown()


def test_ctl_reset(headless: Headless, cli: Cli) -> None:
    d = str(headless.data_dir)
    out = cli.run("ctl", "--data-dir", d, "reset")
    assert out.returncode == 1 and "nothing to reset" in out.stderr, out.stdout + out.stderr
    assert cli.ctl_json(headless.data_dir, "kill")["state"] == "HALTED"
    out = cli.run("ctl", "--data-dir", d, "resume")
    assert out.returncode == 1 and "tradetui ctl reset" in out.stderr, out.stdout + out.stderr
    assert cli.ctl_json(headless.data_dir, "status")["state"] == "HALTED"
    out = cli.run("ctl", "--data-dir", d, "status")
    assert "`tradetui ctl reset` re-arms entries" in out.stdout, out.stdout
    out = cli.run("ctl", "--data-dir", d, "reset")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("engine RUNNING: kill switch reset: new entries allowed again for breakout")
    assert cli.ctl_json(headless.data_dir, "status")["state"] == "RUNNING"
