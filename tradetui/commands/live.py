"""Composing a paper or live engine on an exchange (or the sandbox): client, feed, stream,
venue, journal, restored state and reconciliation."""

from __future__ import annotations

import logging
from pathlib import Path

from tradetui.commands.compose import account_limits, assignments, rules_for, sizing_rules
from tradetui.commands.run import RunningSession
from tradetui.commands.state import StateStore
from tradetui.config import AppConfig, Mode
from tradetui.core.clock import LiveClock
from tradetui.credentials import ApiKeys, env_names, load_keys
from tradetui.engine.engine import Engine
from tradetui.engine.exchange_feed import ExchangeFeed, pump_stream
from tradetui.engine.exchange_venue import ExchangeVenue
from tradetui.engine.handle import EngineHandle
from tradetui.engine.restore import restore_position
from tradetui.engine.settings import EngineSettings
from tradetui.engine.simulated_venue import SimulatedVenue
from tradetui.errors import ConfigError
from tradetui.exchanges.profiles import profile_for
from tradetui.exchanges.rest import ExchangeClient
from tradetui.exchanges.ws import ExchangeStream, Subscription
from tradetui.execution.reconcile import reconcile
from tradetui.storage.journal import SqliteOrderJournal
from tradetui.storage.repository import SqliteRepository

log = logging.getLogger(__name__)

SANDBOX_ACCESS_KEY = "sandbox-access"
SANDBOX_SECRET_KEY = "sandbox-secret"
"""The demo key pair `tradetui sandbox` accepts unless told otherwise."""


def _keys(config: AppConfig) -> ApiKeys | None:
    keys = load_keys(config.exchange)
    if keys is None and config.exchange_api.is_local:
        return ApiKeys(config.exchange, SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, "sandbox default")
    return keys


async def build_exchange_session(config: AppConfig, *, database: Path) -> RunningSession:
    """Paper (live public data, simulated fills) or live (real orders) on ``config.exchange``."""
    api = config.exchange_api
    profile = profile_for(config.exchange)
    if api.rest_url:
        profile = profile.with_base_url(api.rest_url, api.ws_url)
    live = config.mode is Mode.LIVE
    keys = _keys(config) if live else None
    if live and keys is None:
        access, secret = env_names(config.exchange)
        raise ConfigError(
            f"live trading needs {config.exchange.value} API keys: run `tradetui keys set "
            f"{config.exchange.value}` or set {access} and {secret}"
        )
    client = ExchangeClient(
        profile,
        access_key=keys.access_key if keys else None,
        secret_key=keys.secret_key if keys else None,
        base_url=api.rest_url,
    )
    markets = list(config.feed.markets)
    feed = ExchangeFeed(client, markets, config.feed.timeframe, poll_interval_s=api.poll_interval_s)
    clock = LiveClock()
    book = rules_for(config)
    journal = SqliteOrderJournal(database, mode="live" if live else "paper")
    venue: SimulatedVenue | ExchangeVenue
    if live:
        venue = ExchangeVenue(client, clock)
        await venue.refresh_balances()
    else:
        venue = SimulatedVenue(
            book, clock, cash_krw=config.account.cash_krw, slippage_bps=config.execution.slippage_bps
        )
    engine = Engine(
        clock=clock,
        venue=venue,
        rule_book=book,
        assignments=assignments(config, markets),
        journal=journal,
        settings=EngineSettings(
            sizing=sizing_rules(config),
            limits=account_limits(config),
            id_prefix="live" if live else "paper",
            fills_at_bar_open=False,
        ),
    )
    for entry in config.strategies:
        if not entry.enabled:
            engine.set_strategy_enabled(entry.name, False)
    warmup = max(s.warmup_bars for s in engine.strategies.values()) + 5
    for history in await feed.history(warmup):
        if len(history):
            engine.warm_up(history)
    if isinstance(venue, ExchangeVenue):
        await _restore_and_reconcile(engine, venue, journal, database)
    stream = ExchangeStream(
        profile, [Subscription("trade", tuple(markets)), Subscription("orderbook", tuple(markets))], clock
    )
    store = StateStore(database)
    engine.listeners.append(store.listen)

    async def on_stop(stopped: Engine) -> None:
        await store.save_engine(stopped)
        if isinstance(venue, ExchangeVenue):
            await venue.close()
        await client.aclose()

    companions = [lambda: pump_stream(stream, engine)]
    if isinstance(venue, ExchangeVenue):
        companions.append(venue.run)
    handle = EngineHandle(
        engine,
        mode=config.mode.value.upper(),
        exchange=config.exchange.value,
        feed=feed.bars(),
        on_stop=on_stop,
        companions=companions,
    )
    return RunningSession(handle, journal, store)


async def _restore_and_reconcile(
    engine: Engine, venue: ExchangeVenue, journal: SqliteOrderJournal, database: Path
) -> None:
    """Stored positions re-armed, then orders and balances checked against the exchange."""
    repo = await SqliteRepository.open(database)
    try:
        stored = await repo.load_positions()
    finally:
        await repo.close()
    for pos in stored:
        if pos.market in engine.markets and pos.strategy in engine.strategies:
            restore_position(
                engine,
                pos.market,
                strategy=pos.strategy,
                volume=pos.volume,
                avg_price=pos.avg_price,
                entry_ms=pos.opened_ms,
                exit_state=dict(pos.stop_state),
            )
    expected = {m.split("-", 1)[1]: p.volume for m, p in engine.portfolio.positions.items()}
    report = await reconcile(
        venue.exchange_view(), journal.load_open_orders(), expected_holdings=expected, now_ms=engine.clock.now_ms()
    )
    for order in report.never_sent:
        journal.record(order)
    for order in report.still_open:
        venue.adopt(order)
        engine.om.orders[order.identifier] = order
        market = engine.markets.get(order.market)
        if market is not None:
            market.pending.add(order.identifier)
    engine.emit(report.events)
    log.info(
        "reconciled with %s: %d orders adopted, %d never sent, %d foreign, %d balance differences",
        engine.venue.__class__.__name__,
        len(report.adopted),
        len(report.never_sent),
        len(report.foreign),
        len(report.balance_differences),
    )
