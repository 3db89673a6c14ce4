"""Fault storm: our live engine trades hard against a sandbox that answers with 429s, 5xx,
garbled bodies, lost order answers, latency and dropped sockets — and still never sends an
order twice, never loses a fill, and ends with books equal to the exchange's to the last digit.

The storm runs until ``ORDERS`` orders reached the sandbox, however long that takes on a busy
machine (``DEADLINE_S`` only guards a hang)."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from sibling import load_sibling  # tests/support/sibling.py

from tradetui.commands.live import build_exchange_session
from tradetui.commands.run import RunningSession
from tradetui.config import AppConfig, parse_config
from tradetui.sandbox.app import serve
from tradetui.storage.journal import SqliteOrderJournal
from tradetui.venues.exchange import ExchangeVenue

# heavy: sandbox servers and engine processes; run one after another in one xdist worker
pytestmark = pytest.mark.xdist_group("heavy")


audit = load_sibling(__file__, "audit")

STORM = "http_429=0.1,http_5xx=0.1,latency_ms=0-20,malformed=0.05,lost_response=0.15,ws_drop=2"
ENGINES = 1
"""Engines (each its own account and journal) trading at once against one sandbox."""
ORDERS = 30
"""Exchange orders the storm waits for before the engines are stopped (a condition, not a rate)."""
DEADLINE_S = 300.0
"""A hang guard only: quiet, the storm reaches ``ORDERS`` in well under a minute."""


@pytest.mark.parametrize(("profile", "seed"), [("upbit", 11), ("bithumb", 12)])
async def test_fault_storm_never_duplicates_or_loses_orders(
    profile: str, seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    caplog.set_level(logging.WARNING, logger="tradetui")
    state = audit.sandbox_state(profile, f"{STORM},seed={seed}")
    state.config.rate_limits_enabled = False  # every 429 is an injected one (the engines share one IP)
    accounts = []
    for k in range(ENGINES):
        access, secret = f"storm-access-{k}", f"storm-secret-{k}"
        monkeypatch.setenv(f"TRADETUI_{profile.upper()}_ACCESS_KEY", access)
        monkeypatch.setenv(f"TRADETUI_{profile.upper()}_SECRET_KEY", secret)
        accounts.append(state.add_account(access, secret, {"KRW": audit.CASH_KRW}))
    markets = [spec.code for spec in audit.MARKETS]
    runner, port = await serve(state)
    started = time.monotonic()
    try:
        config = parse_config(audit.engine_config(profile, port, markets))
        sessions = []
        for k, account in enumerate(accounts):
            monkeypatch.setenv(f"TRADETUI_{profile.upper()}_ACCESS_KEY", account.access_key)
            monkeypatch.setenv(f"TRADETUI_{profile.upper()}_SECRET_KEY", account.secret_key)
            sessions.append(await _build(config, tmp_path / f"storm-{k}.db"))
        for session in sessions:
            venue = session.handle.engine.venue
            assert isinstance(venue, ExchangeVenue)
            venue.unknown_wait_s = 0.05  # resolve unknowns quickly (the sandbox answers consistently)
            venue.poll_interval_s = 0.2
        runs = [asyncio.create_task(session.handle.run()) for session in sessions]
        try:
            while len(state.engine.orders) < ORDERS:
                await asyncio.sleep(0.1)
                assert not any(run.done() for run in runs), "an engine stopped by itself"
                waited_s = time.monotonic() - started
                assert waited_s < DEADLINE_S, f"only {len(state.engine.orders)} orders after {waited_s:.0f} s (a hang?)"
        finally:
            for session in sessions:
                session.handle.request_stop()
            await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), 120)
            for session in sessions:
                await asyncio.wait_for(session.handle.shutdown(), 120)
                session.journal.close()
        sent = len(state.engine.orders)
        for k, (session, account) in enumerate(zip(sessions, accounts, strict=True)):
            # each engine's books against its sandbox account, Decimal-exact (before any restart),
            # unless the stop left a request in flight (resolved by the final start below)
            with SqliteOrderJournal(tmp_path / f"storm-{k}.db", mode="live") as journal:
                if journal.load_open_orders():
                    continue
            engine = session.handle.engine
            assert engine.portfolio.cash == audit.krw_total(account), account.access_key
            held = {m: p.volume for m, p in engine.portfolio.positions.items()}
            assert held == audit.coin_totals(account), account.access_key
        # a final start on each journal resolves whatever the stop left in flight
        for k, account in enumerate(accounts):
            monkeypatch.setenv(f"TRADETUI_{profile.upper()}_ACCESS_KEY", account.access_key)
            monkeypatch.setenv(f"TRADETUI_{profile.upper()}_SECRET_KEY", account.secret_key)
            final = await _build(config, tmp_path / f"storm-{k}.db")
            try:
                restored = final.handle.engine.portfolio
                assert restored.cash == audit.krw_total(account)
                assert {m: p.volume for m, p in restored.positions.items()} == audit.coin_totals(account)
                assert all(p.tracker is not None for p in restored.positions.values())
            finally:
                await asyncio.wait_for(final.handle.shutdown(), 120)
                final.journal.close()
    finally:
        await runner.cleanup()
    elapsed = time.monotonic() - started
    reports = [audit.audit(state, account, tmp_path / f"storm-{k}.db") for k, account in enumerate(accounts)]
    fills = sum(r.fills for r in reports)
    print(f"\nstorm {profile}: {sent} orders, {fills} fills, {ENGINES} engines in {elapsed:.1f} s")
    for report in reports:
        assert report.clean, report.describe()
    assert sum(r.exchange_orders for r in reports) == sent
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, [r.getMessage() for r in failures[:5]]
    assert sent >= ORDERS


async def _build(config: AppConfig, database: Path) -> RunningSession:
    last: Exception | None = None
    for _ in range(5):  # start-up itself runs through the storm (candles, accounts)
        try:
            return await build_exchange_session(config, database=database)
        except Exception as exc:
            last = exc
            await asyncio.sleep(0.2)
    raise AssertionError(f"the engine could not start: {last!r}")
