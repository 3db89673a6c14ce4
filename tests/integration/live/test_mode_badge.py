"""A rehearsal against a loopback exchange reads SANDBOX everywhere the mode shows (status bar,
control API, metrics, ctl status), never LIVE; a candle-file replay reads REPLAY."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tradetui.commands.ctl import _print_status
from tradetui.commands.live import build_exchange_session
from tradetui.commands.run import build_session
from tradetui.config import parse_config
from tradetui.control.metrics import render_metrics
from tradetui.control.wire import snapshot_to_dict
from tradetui.core.clock import LiveClock, ScaledClock
from tradetui.credentials import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from tradetui.sandbox.app import serve
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.state import SandboxState
from tradetui.ui.widgets.status_bar import mode_style

pytestmark = pytest.mark.xdist_group("heavy")

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("mode", ["live", "paper"])
async def test_a_rehearsal_shows_sandbox_not_live(mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ACCESS", "SECRET"):
        monkeypatch.delenv(f"TRADETUI_UPBIT_{name}_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    state = SandboxState(
        SandboxConfig(profile="upbit", speed=1 / 60, history_minutes=60), clock=ScaledClock(1), wall_clock=LiveClock()
    )
    state.add_account(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, {"KRW": "10000000"})
    runner, port = await serve(state)
    try:
        config = parse_config(
            {
                "mode": mode,
                "exchange_api": {"rest_url": f"http://127.0.0.1:{port}", "ws_url": f"ws://127.0.0.1:{port}"},
                "feed": {"source": "exchange", "markets": ["KRW-BTC"], "timeframe": "1m"},
            }
        )
        session = await build_exchange_session(config, database=tmp_path / "t.db")
        try:
            handle = session.handle
            snap = handle.snapshot()
            assert handle.mode == snap.mode == "SANDBOX"
            assert snapshot_to_dict(snap)["mode"] == "SANDBOX"
            assert 'mode="SANDBOX"' in render_metrics(snap, events_by_severity={})
            out = io.StringIO()
            _print_status(snap, out)
            assert out.getvalue().startswith("SANDBOX on upbit")
            assert "LIVE" not in out.getvalue()
            assert mode_style("SANDBOX") != mode_style("LIVE")
        finally:
            await session.handle.shutdown()
            session.journal.close()
    finally:
        await runner.cleanup()


def test_a_candle_file_replay_shows_replay(tmp_path: Path) -> None:
    candles = tmp_path / "KRW-BTC_1m.csv"
    rows = ["ts,open,high,low,close,volume"]
    rows += [f"{1_699_999_980 + 60 * k},100,101,99,100,1" for k in range(40)]  # on the 1m grid
    candles.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = parse_config({"feed": {"source": "file", "file": str(candles), "markets": ["KRW-BTC"]}})
    session = build_session(config, database=tmp_path / "r.db", now_s=1_800_000_000)
    try:
        assert session.handle.mode == session.handle.snapshot().mode == "REPLAY"
    finally:
        session.journal.close()
