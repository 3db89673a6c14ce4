"""Orders whose placement got no answer ("unknown") are always resolved by asking the exchange,
however slow the machine: never guessed, never left unknown by a clean stop when the exchange
answers, and, when it does not, left unknown for the next start, which resolves them.

The answers are made deterministic with the sandbox's ``lost_response`` fault (the order POST
is processed, its answer dropped) and an outage switch in front of the sandbox's order lookup,
so nothing here depends on timing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web
from sibling import load_sibling  # tests/support/sibling.py

from tradetui.commands.live import build_exchange_session
from tradetui.commands.run import RunningSession
from tradetui.config import AppConfig, parse_config
from tradetui.core.orders import OrderState
from tradetui.sandbox import FaultSpec
from tradetui.sandbox.app import create_app
from tradetui.sandbox.faults import FaultDice
from tradetui.sandbox.state import SandboxState
from tradetui.venues.exchange import ExchangeVenue

# a sandbox server and a live session each: one after another with the other heavy tests
pytestmark = pytest.mark.xdist_group("heavy")

audit = load_sibling(__file__, "audit")

ACCESS, SECRET = "unknown-access", "unknown-secret"
LOOKUP_PATHS = frozenset({"/v1/order"})
WAIT_S = 120.0
"""Deadline of a condition wait (a hang guard: conditions are met in well under a second when quiet)."""


class Outage:
    """A switch in front of the sandbox: while ``lookups_down``, every order lookup answers 503."""

    def __init__(self) -> None:
        self.lookups_down = False
        self.lookups_refused = 0

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if self.lookups_down and request.method == "GET" and request.path in LOOKUP_PATHS:
            self.lookups_refused += 1
            return web.json_response({"error": {"name": "server_error", "message": "outage (test)"}}, status=503)
        return await handler(request)


class Exchange:
    """A sandbox (upbit) on 127.0.0.1 with a fault dice the test can change while it runs."""

    def __init__(self, faults: str) -> None:
        self.state: SandboxState = audit.sandbox_state("upbit", faults, markets=audit.MARKETS[:1])
        self.state.config.rate_limits_enabled = False
        self.account = self.state.add_account(ACCESS, SECRET, {"KRW": audit.CASH_KRW})
        self.dice = FaultDice(self.state.config.faults)
        self.outage = Outage()
        self.port = 0
        self._runner: web.AppRunner | None = None

    def set_faults(self, faults: str) -> None:
        self.dice.spec = FaultSpec.parse(faults)

    async def start(self) -> None:
        app = create_app(self.state, dice=self.dice)
        app.middlewares.insert(0, self.outage.middleware)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = next(int(a[1]) for a in self._runner.addresses if isinstance(a, tuple))

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def has(self, identifier: str) -> bool:
        return any(o.identifier == identifier for o in self.state.engine.orders.values())


@pytest.fixture
async def exchange(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Exchange]:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("TRADETUI_UPBIT_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("TRADETUI_UPBIT_SECRET_KEY", SECRET)
    ex = Exchange("")
    await ex.start()
    yield ex
    await ex.stop()


def _config(exchange: Exchange) -> AppConfig:
    return parse_config(audit.engine_config("upbit", exchange.port, [audit.MARKETS[0].code]))


def _journal_state(database: Path, identifier: str) -> str:
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT state FROM orders WHERE identifier = ?", (identifier,)).fetchone()
    finally:
        conn.close()
    assert row is not None, f"{identifier} is not in the journal"
    return str(row[0])


async def _until(condition: Callable[[], bool], what: str, session: RunningSession | None = None) -> None:
    """Poll ``condition`` (applying the venue's reports to the engine) until it holds; WAIT_S guards a hang."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {WAIT_S:.0f} s")
        await asyncio.sleep(0.01)
        if session is not None:
            session.handle.engine.poll()


async def _send_unknown(session: RunningSession, exchange: Exchange, amount_krw: str) -> str:
    """A market buy of ``amount_krw`` whose answer the exchange drops: the engine holds it unknown."""
    exchange.set_faults("lost_response=1")
    engine = session.handle.engine
    order = engine.om.market_buy(audit.MARKETS[0].code, Decimal(amount_krw), purpose="entry", strategy="breakout")
    engine.poll()
    engine.emit(engine.om.submit(order))
    await _until(
        lambda: (o := engine.om.orders.get(order.identifier)) is not None and o.state is OrderState.UNKNOWN,
        f"{order.identifier} to be unknown",
        session,
    )
    exchange.set_faults("")
    return order.identifier


async def _stop(session: RunningSession) -> None:
    session.handle.request_stop()
    await session.handle.shutdown()
    session.journal.close()


async def test_clean_stop_resolves_an_unknown_order_the_exchange_refused(exchange: Exchange, tmp_path: Path) -> None:
    """The order reached the exchange, was refused there (not enough KRW) and the refusal was lost:
    only "not found" answers prove it never became an order. The stop must wait for that proof,
    not cancel it half-way and leave the order unknown (the crash test's ``left unknown``)."""
    database = tmp_path / "t.db"
    session = await build_exchange_session(_config(exchange), database=database)
    identifier = await _send_unknown(session, exchange, "50000000")  # 5x the account's KRW
    assert not exchange.has(identifier)
    await _stop(session)
    assert _journal_state(database, identifier) == "rejected"
    report = audit.audit(exchange.state, exchange.account, database)
    assert report.clean, report.describe()


async def test_clean_stop_adopts_an_unknown_order_the_exchange_filled(exchange: Exchange, tmp_path: Path) -> None:
    database = tmp_path / "t.db"
    session = await build_exchange_session(_config(exchange), database=database)
    identifier = await _send_unknown(session, exchange, "100000")
    assert exchange.has(identifier)
    await _stop(session)
    assert _journal_state(database, identifier) == "done"
    report = audit.audit(exchange.state, exchange.account, database)
    assert report.clean, report.describe()
    assert report.fills == 1


async def test_silent_exchange_leaves_the_order_unknown_and_the_next_start_resolves_it(
    exchange: Exchange, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No lookup is answered until the stop: the order stays unknown (never guessed), the log says
    what happens next in plain words, and the next start, with the exchange answering, settles it."""
    caplog.set_level(logging.INFO, logger="tradetui")
    database = tmp_path / "t.db"
    session = await build_exchange_session(_config(exchange), database=database)
    exchange.outage.lookups_down = True
    identifier = await _send_unknown(session, exchange, "100000")
    await _stop(session)
    assert exchange.outage.lookups_refused > 0
    assert _journal_state(database, identifier) == "unknown"
    said = [r.getMessage() for r in caplog.records if identifier in r.getMessage() and r.levelno >= logging.WARNING]
    assert any("stays unknown" in m and "next start" in m for m in said), said
    exchange.outage.lookups_down = False
    restarted = await build_exchange_session(_config(exchange), database=database)
    try:
        assert _journal_state(database, identifier) == "done"
        position = restarted.handle.engine.portfolio.positions.get(audit.MARKETS[0].code)
        assert position is not None and position.volume == audit.coin_totals(exchange.account)[audit.MARKETS[0].code]
    finally:
        await _stop(restarted)
    report = audit.audit(exchange.state, exchange.account, database)
    assert report.clean, report.describe()


async def test_start_keeps_an_order_unknown_when_its_lookup_gets_no_answer(
    exchange: Exchange, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Reconciliation on start asks for every order the journal left open. A lookup that gets no
    answer proves nothing: the start goes on with the order unknown (never resent, never closed)
    and the venue keeps asking until the exchange answers."""
    caplog.set_level(logging.INFO, logger="tradetui")
    database = tmp_path / "t.db"
    session = await build_exchange_session(_config(exchange), database=database)
    exchange.outage.lookups_down = True
    identifier = await _send_unknown(session, exchange, "100000")
    await _stop(session)
    assert _journal_state(database, identifier) == "unknown"
    restarted = await build_exchange_session(_config(exchange), database=database)  # lookups still down
    try:
        engine = restarted.handle.engine
        held = engine.om.orders.get(identifier)
        assert held is not None and held.state is OrderState.UNKNOWN
        assert _journal_state(database, identifier) == "unknown"
        venue = engine.venue
        assert isinstance(venue, ExchangeVenue)
        exchange.outage.lookups_down = False
        await _until(lambda: identifier not in engine.om.orders, f"{identifier} to be resolved", restarted)
        assert _journal_state(database, identifier) == "done"
        position = engine.portfolio.positions.get(audit.MARKETS[0].code)
        assert position is not None and position.volume == audit.coin_totals(exchange.account)[audit.MARKETS[0].code]
    finally:
        await _stop(restarted)
    report = audit.audit(exchange.state, exchange.account, database)
    assert report.clean, report.describe()
