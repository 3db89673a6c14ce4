"""A few hundred orders through the order manager and the exchange venue while the sandbox
injects every fault at once: nothing duplicated, no fill lost, balances equal to the exchange's.

The full-engine storm test trades at the strategy's pace (tens of orders); this one sends
orders as fast as the venue takes them, so the fault paths are exercised hundreds of times."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from pathlib import Path

import pytest
from sibling import load_sibling  # tests/support/sibling.py

from tradetui.core.clock import LiveClock
from tradetui.core.orders import OrderState
from tradetui.core.types import Side
from tradetui.exchanges.profiles import profile_for
from tradetui.exchanges.rest import ExchangeClient
from tradetui.execution.order_manager import OrderManager
from tradetui.sandbox.app import serve
from tradetui.storage.journal import SqliteOrderJournal
from tradetui.venues.exchange import ExchangeVenue

# heavy: sandbox servers and engine processes; run one after another in one xdist worker.
# (It ran on demand only for a while after its upbit case missed its deadline in full parallel
# runs; the cause was not found. If it shows again, the assertion lists the stuck orders.)
pytestmark = pytest.mark.xdist_group("heavy")


audit = load_sibling(__file__, "audit")

STORM = "http_429=0.1,http_5xx=0.1,latency_ms=0-10,malformed=0.05,lost_response=0.15"
ORDERS = 300


@pytest.mark.parametrize(("profile", "seed"), [("upbit", 21), ("bithumb", 22)])
async def test_hundreds_of_orders_under_all_faults(profile: str, seed: int, tmp_path: Path) -> None:
    state = audit.sandbox_state(profile, f"{STORM},seed={seed}")
    state.config.rate_limits_enabled = False  # every 429 is an injected one
    account = state.add_account("flood-access", "flood-secret-" + "x" * 30, {"KRW": "100000000"})
    runner, port = await serve(state)
    database = tmp_path / "flood.db"
    journal = SqliteOrderJournal(database, mode="live")
    clock = LiveClock()
    profile_obj = profile_for(profile).with_base_url(f"http://127.0.0.1:{port}")
    client = ExchangeClient(
        profile_obj, access_key=account.access_key, secret_key=account.secret_key, base_url=f"http://127.0.0.1:{port}"
    )
    venue = ExchangeVenue(client, clock, poll_interval_s=0.05, unknown_wait_s=0.05, unknown_lookups=4)
    om = OrderManager(venue, journal, clock, id_prefix="flood")
    poller = asyncio.create_task(venue.run())
    held = Decimal(0)
    fills = 0
    try:
        started = time.monotonic()
        for k in range(ORDERS):
            if k % 3 == 2 and held * Decimal("50000000") > Decimal("20000"):
                order = om.market_sell("KRW-BTC", held.quantize(Decimal("0.0001")), purpose="flood", strategy="t")
            else:
                order = om.market_buy("KRW-BTC", Decimal("20000"), purpose="flood", strategy="t")
            om.submit(order)
            await asyncio.sleep(0.005)
            applied, _ = om.apply(venue.drain())
            for item in applied:
                for fill in item.fills:
                    fills += 1
                    held += fill.volume if fill.side is Side.BID else -fill.volume
        deadline = time.monotonic() + 300  # a hang guard only: every unknown is resolved by answers, not time
        while om.open_orders() and time.monotonic() < deadline:  # every unknown resolved by lookup
            await asyncio.sleep(0.05)
            applied, _ = om.apply(venue.drain())
            for item in applied:
                for fill in item.fills:
                    fills += 1
                    held += fill.volume if fill.side is Side.BID else -fill.volume
        stuck = om.open_orders()
        if stuck:
            on_exchange = {o.identifier: o for o in state.engine.orders.values()}
            detail = [
                (
                    o.identifier,
                    o.state.value,
                    o.reason,
                    getattr(on_exchange.get(o.identifier), "state", None),
                    o.identifier in venue._open,
                    len(venue._tasks),
                )
                for o in stuck[:5]
            ]
            raise AssertionError(f"{len(stuck)} orders never resolved: {detail}")
        elapsed = time.monotonic() - started
    finally:
        poller.cancel()
        await asyncio.gather(poller, return_exceptions=True)
        await venue.close()
        await client.aclose()
        journal.close()
        await runner.cleanup()
    report = audit.audit(state, account, database)
    unknown_seen = sum(1 for o in state.engine.orders.values() if o.access_key == account.access_key)
    print(
        f"\nflood {profile}: {ORDERS} intents, {report.exchange_orders} exchange orders, {fills} fills "
        f"in {elapsed:.1f} s"
    )
    assert report.clean, report.describe()
    assert report.journal_orders == ORDERS and report.exchange_orders >= ORDERS * 0.6  # the rest: refused by a fault
    assert unknown_seen == report.exchange_orders
    # the coins we think we hold are the coins the exchange says we hold, to the last digit
    assert held == audit.coin_totals(account).get("KRW-BTC", Decimal(0))
    assert all(o.state is not OrderState.UNKNOWN for o in om.orders.values())
