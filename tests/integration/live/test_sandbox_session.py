"""The live path end to end: our engine with real clients trading against the sandbox on
127.0.0.1 — both exchange profiles, live (real orders to the sandbox) and paper."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tradetui.commands.live import build_exchange_session
from tradetui.config import parse_config
from tradetui.core.clock import LiveClock, ScaledClock
from tradetui.core.events import OrderFilled
from tradetui.core.orders import OrderState
from tradetui.credentials import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from tradetui.engine.read_model import market_views
from tradetui.sandbox.app import serve
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.state import SandboxState
from tradetui.storage.journal import SqliteOrderJournal
from tradetui.storage.repository import SqliteRepository

# heavy: sandbox servers and engine processes; run one after another in one xdist worker
pytestmark = pytest.mark.xdist_group("heavy")


def _config(profile: str, port: int, mode: str) -> dict[str, object]:
    return {
        "mode": mode,
        "exchange": profile,
        "exchange_api": {
            "rest_url": f"http://127.0.0.1:{port}",
            "ws_url": f"ws://127.0.0.1:{port}",
            "poll_interval_s": 0.2,
        },
        "feed": {"source": "exchange", "markets": ["KRW-BTC"], "timeframe": "1m"},
        "strategies": [
            {
                "name": "breakout",
                "params": {
                    "lookback": 3,
                    "volume_lookback": 3,
                    "volume_mult": 0.0,
                    "stop_pct": 0.2,
                    "take_profit_pct": 0.3,
                    "trailing_pct": 0.1,
                },
            }
        ],
        "risk": {"max_consecutive_losses": None, "daily_loss_pct": None},
    }


@pytest.mark.parametrize("profile", ["upbit", "bithumb"])
async def test_live_engine_trades_against_the_sandbox(
    profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ACCESS", "SECRET"):
        monkeypatch.delenv(f"TRADETUI_{profile.upper()}_{name}_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    state = SandboxState(
        SandboxConfig(profile=profile, speed=1 / 60, history_minutes=120),
        clock=ScaledClock(1200),
        wall_clock=LiveClock(),
    )
    account = state.add_account(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, {"KRW": "10000000"})
    runner, port = await serve(state)
    try:
        config = parse_config(_config(profile, port, "live"))
        session = await build_exchange_session(config, database=tmp_path / "t.db")
        engine = session.handle.engine
        run = asyncio.create_task(session.handle.run())
        for _ in range(100):  # up to ~10 s for some fills
            await asyncio.sleep(0.1)
            if sum(isinstance(e, OrderFilled) for e in engine.recent_events) >= 2:
                break
        session.handle.request_stop()
        await asyncio.wait_for(run, 10)
        await session.handle.shutdown()
        session.journal.close()
    finally:
        await runner.cleanup()
    fills = [e for e in engine.recent_events if isinstance(e, OrderFilled)]
    assert len(fills) >= 2, [e.describe() for e in list(engine.recent_events)[-15:]]
    ours = {o.identifier for o in SqliteOrderJournal(tmp_path / "t.db", mode="live").load_open_orders()}
    assert not ours  # nothing left open: stop cancelled what was open
    # the sandbox's books agree with the engine's: KRW and coin, to the last digit
    balances = engine.venue.balances()
    krw = account.holding("KRW")
    assert engine.portfolio.cash == balances["KRW"].total == krw.balance + krw.locked
    # every order on the sandbox is one of ours, once; every one of ours reached it once
    on_exchange = [o.identifier for o in state.engine.orders.values()]
    assert len(on_exchange) == len(set(on_exchange))
    repo = await SqliteRepository.open(tmp_path / "t.db")
    try:
        journal = await repo.load_orders(mode="live")
    finally:
        await repo.close()
    sent = {o.identifier for o in journal if o.state is not OrderState.REJECTED}
    assert set(on_exchange) == sent


async def test_paper_engine_fills_from_the_sandbox_book(tmp_path: Path) -> None:
    state = SandboxState(
        SandboxConfig(profile="upbit", speed=1 / 60, history_minutes=120),
        clock=ScaledClock(1200),
        wall_clock=LiveClock(),
    )
    runner, port = await serve(state)
    try:
        config = parse_config(_config("upbit", port, "paper"))
        session = await build_exchange_session(config, database=tmp_path / "p.db")
        engine = session.handle.engine
        run = asyncio.create_task(session.handle.run())
        for _ in range(100):
            await asyncio.sleep(0.1)
            if any(isinstance(e, OrderFilled) for e in engine.recent_events):
                break
        session.handle.request_stop()
        await asyncio.wait_for(run, 10)
        await session.handle.shutdown()
        session.journal.close()
    finally:
        await runner.cleanup()
    fills = [e.fill for e in engine.recent_events if isinstance(e, OrderFilled)]
    assert fills, "the paper venue should fill from the sandbox's live book"
    # the watchlist shows the exchange's own day change and 24h turnover from its ticker stream
    ticker = engine.tickers["KRW-BTC"]
    [row] = market_views(engine)
    assert row.change_pct == float(ticker.signed_change_rate) * 100
    assert row.turnover_24h == float(ticker.acc_trade_price_24h) > 0
    balances = engine.venue.balances()
    assert engine.portfolio.cash == balances["KRW"].total
    for market, pos in engine.portfolio.positions.items():
        assert pos.volume == balances[market.split("-")[1]].total
    assert state.engine is not None and not any(  # paper: nothing was sent to the exchange
        True for _ in getattr(state.engine, "orders", {}).values()
    )
