"""A live session's history on restart: round trips the journal's fills closed but the
closed_trades table lacks (killed between the fill and its record, or journaled before round
trips were stored) are rebuilt from the fills with the engine's own Portfolio, once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tradetui.commands.live import build_exchange_session
from tradetui.config import parse_config
from tradetui.core.clock import LiveClock, ScaledClock
from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side
from tradetui.credentials import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from tradetui.sandbox.app import serve
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.state import SandboxState
from tradetui.storage.journal import SqliteOrderJournal

pytestmark = pytest.mark.xdist_group("heavy")

T0 = 1_760_000_000_000


def _seed(database: Path) -> None:
    """A finished round trip on KRW-BTC, in the journal only (no closed_trades row)."""
    buy = Order("live-seed-1", "KRW-BTC", Side.BID, OrdType.PRICE, Decimal("100000"), None, T0, strategy="breakout")
    sell = Order(
        "live-seed-2", "KRW-BTC", Side.ASK, OrdType.MARKET, None, Decimal("0.001"), T0 + 60_000,
        purpose="take_profit", strategy="breakout",
    )  # fmt: skip
    with SqliteOrderJournal(database, mode="live") as journal:
        for order, price, fee, ts in ((buy, "100000000", "50", T0 + 1), (sell, "101000000", "50.5", T0 + 60_001)):
            journal.record(order)
            journal.record_fill(
                Fill(order.identifier, f"t-{order.identifier}", "KRW-BTC", order.side, Decimal(price),
                     Decimal("0.001"), Decimal(fee), ts)
            )  # fmt: skip
            journal.record(order.to_state(OrderState.WAIT, ts).to_state(OrderState.DONE, ts))


async def test_a_restart_rebuilds_missing_round_trips_from_the_fills_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ACCESS", "SECRET"):
        monkeypatch.delenv(f"TRADETUI_UPBIT_{name}_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    database = tmp_path / "live.db"
    _seed(database)
    state = SandboxState(SandboxConfig(profile="upbit", speed=1 / 60), clock=ScaledClock(60), wall_clock=LiveClock())
    state.add_account(SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, {"KRW": "10000000"})
    runner, port = await serve(state)
    config = parse_config(
        {
            "mode": "live",
            "exchange_api": {"rest_url": f"http://127.0.0.1:{port}", "ws_url": f"ws://127.0.0.1:{port}"},
            "feed": {"source": "exchange", "markets": ["KRW-BTC"]},
        }
    )
    expected = ClosedTrade(
        "KRW-BTC", "breakout", T0, T0 + 60_001, Decimal("0.001"), Decimal("100000000"), Decimal("101000000"),
        Decimal("899.5"), Decimal("100.5"), "take_profit",
    )  # fmt: skip
    try:
        for _ in range(2):  # the second start finds it stored: not added again
            session = await build_exchange_session(config, database=database)
            try:
                assert await session.handle.trade_history(10) == [expected]
                assert session.handle.closed_trades() == []  # this run closed nothing
                # the chart marks the earlier run's trades too (rebuilt from the same fills)
                marks = session.handle.engine.trade_marks.of("KRW-BTC")
                assert [(m.kind.value, m.price) for m in marks] == [
                    ("entry", Decimal("100000000")),
                    ("exit", Decimal("101000000")),
                ]
            finally:
                await session.handle.shutdown()
                session.journal.close()
    finally:
        await runner.cleanup()
