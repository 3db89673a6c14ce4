"""Composing a paper or live engine on an exchange (or the sandbox): client, feed, stream,
venue, journal, restored state and reconciliation."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from tradetui.commands.run import RunningSession
from tradetui.commands.runs import BacktestRunStore
from tradetui.commands.state import (
    PositionWriter,
    SessionRecorder,
    StateStore,
    close_orders_of_ended_runs,
    restore_strategies,
)
from tradetui.config import AppConfig, Mode
from tradetui.core.clock import LiveClock, SimClock
from tradetui.core.events import (
    Event,
    FeedStateChanged,
)
from tradetui.core.ports import Venue
from tradetui.credentials import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, ApiKeys, env_names, load_keys
from tradetui.engine.engine import Engine
from tradetui.engine.exchange_feed import ExchangeFeed, pump_stream
from tradetui.engine.handle import EngineHandle
from tradetui.engine.read_model import LinkStatus
from tradetui.errors import ConfigError, VenueError
from tradetui.exchanges.errors import NetworkError
from tradetui.exchanges.profiles import profile_for
from tradetui.exchanges.rest import ExchangeClient
from tradetui.exchanges.ws import ExchangeStream, Subscription
from tradetui.execution.recovery import recover
from tradetui.session.spec import SessionSpec
from tradetui.storage.journal import SqliteOrderJournal
from tradetui.venues.exchange import ExchangeVenue
from tradetui.venues.simulated import SimulatedVenue

log = logging.getLogger(__name__)

STOP_LIMIT_S = 30.0
"""A clean stop waits for the answers to the requests in flight and for the lookups of orders
still unknown, each bounded by its attempts (not by a deadline a slow machine could miss); this
caps only an exchange that stops answering mid-request. What is left stays unknown in the journal
and the next start looks it up."""
CHART_HISTORY_BARS = 199
"""Closed candles a paper/live session loads at least: the chart is full from the first paint."""


def _keys(config: AppConfig) -> ApiKeys | None:
    keys = load_keys(config.exchange)
    if keys is None and config.exchange_api.is_local:
        return ApiKeys(config.exchange, SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, "sandbox default")
    return keys


async def build_exchange_session(
    config: AppConfig, *, database: Path, research_database: Path | None = None
) -> RunningSession:
    """Paper (live public data, simulated fills) or live (real orders) on ``config.exchange``.

    ``database`` keeps the session's records (its profile's database); ``research_database``,
    when given, the backtest runs the TUI makes and lists."""
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
    # paper_fills = "next_open": the backtest's fill model, so the engine lives on candle time as a
    # backtest does (fills at the next bar's open, fees and risk windows by the candles' dates):
    # its clock is moved by the bars, from the close of the warm-up history on
    bar_time = not live and config.execution.paper_fills == "next_open"
    clock: LiveClock | SimClock = SimClock(0) if bar_time else LiveClock()
    journal = SqliteOrderJournal(
        database, mode="live" if live else "paper", durability=config.storage.journal_durability(live)
    )
    try:
        return await _compose(
            config,
            client,
            feed,
            journal,
            clock=clock,
            bar_time=bar_time,
            research_database=research_database,
        )
    except BaseException as exc:
        # a start that failed (the exchange did not answer, a bad config) leaves nothing open
        journal.close()
        await client.aclose()
        if isinstance(exc, NetworkError):
            raise VenueError(unreachable_message(config, profile.rest_url, exc)) from None
        raise


def unreachable_message(config: AppConfig, url: str, exc: Exception) -> str:
    """One line for a start the exchange did not answer: where, why, and what to run next."""
    from urllib.parse import urlparse

    cause = exc.__cause__ or exc
    detail = str(cause) or type(cause).__name__
    doctor = "tradetui doctor" + (f" --config {config.source_path}" if config.source_path else "")
    if config.exchange_api.is_local:
        port = urlparse(url).port
        start = f"tradetui sandbox --exchange {config.exchange.value}" + (f" --port {port}" if port else "")
        hint = f"is the sandbox running (`{start}`)?"
    else:
        hint = "is this machine online?"
    what = f"{type(cause).__name__}: {detail}"
    return f"cannot reach {config.exchange.value} at {url} ({what}): {hint} Check with `{doctor}`"


async def _compose(
    config: AppConfig,
    client: ExchangeClient,
    feed: ExchangeFeed,
    journal: SqliteOrderJournal,
    *,
    clock: LiveClock | SimClock,
    bar_time: bool,
    research_database: Path | None,
) -> RunningSession:
    live = config.mode is Mode.LIVE
    markets = list(config.feed.markets)
    profile = client.profile
    spec = SessionSpec.from_config(config)
    book = spec.rule_book
    exchange_venue: ExchangeVenue | None = None
    venue: Venue
    if live:
        venue = exchange_venue = ExchangeVenue(client, clock, rules=book)
        await exchange_venue.refresh_balances()
    else:
        venue = SimulatedVenue(book, clock, cash_krw=spec.cash_krw, slippage_bps=spec.slippage_bps)
    engine = Engine(
        clock=clock,
        venue=venue,
        rule_book=book,
        assignments=spec.assignments(markets),
        journal=journal,
        settings=spec.engine_settings(id_prefix="live" if live else "paper", fills_at_bar_open=bar_time),
    )
    if not live:  # paper: the simulated venue of the last run is gone (live reconciles below)
        close_orders_of_ended_runs(engine, journal)
    restore_strategies(engine, config, journal)
    engine.listeners.append(SessionRecorder(engine, journal, config).listen)
    # the strategies' warm-up, and never less than a full chart (the same one request a market)
    warmup = max(max(s.warmup_bars for s in engine.strategies.values()) + 5, CHART_HISTORY_BARS)
    histories = await feed.history(warmup)
    for history in histories:
        if len(history):
            engine.warm_up(history)
    if isinstance(clock, SimClock):
        closes = [int(h.ts_s[-1]) + h.timeframe.seconds for h in histories if len(h)]
        if closes:
            clock.set_ms(max(closes) * 1000)
    if exchange_venue is not None:
        await recover(engine, exchange_venue, journal, journal.load_positions())
    stream = ExchangeStream(
        profile,
        [Subscription(kind, tuple(markets)) for kind in ("trade", "orderbook", "ticker")],
        clock,
    )
    writer = PositionWriter(engine, journal) if exchange_venue is not None else None
    store = StateStore(journal, writer)
    if writer is not None:
        engine.listeners.append(writer.listen)
        writer.write()

    async def on_stop(stopped: Engine) -> None:
        if exchange_venue is not None:
            # let the requests in flight (orders sent just before the stop, the stop's cancels)
            # get their answers and the orders still unknown their lookups, so the journal keeps
            # no bare intent and no unknown order the exchange would have answered for
            await exchange_venue.settle(STOP_LIMIT_S)
            stopped.poll()
        await store.save_engine(stopped)
        if exchange_venue is not None:
            await exchange_venue.close()
        await client.aclose()

    companions = [lambda: pump_stream(stream, engine)]
    if exchange_venue is not None:
        companions.append(exchange_venue.run)
    if writer is not None:
        companions.append(writer.run)
    handle = EngineHandle(
        engine,
        mode=config.badge,
        exchange=config.exchange.value,
        feed=feed.bars(),
        on_stop=on_stop,
        companions=companions,
        history=store,
        runs=BacktestRunStore(research_database) if research_database is not None else None,
        link=_link_status(engine, client),
        time_scale=1.0 if bar_time else None,
    )
    return RunningSession(handle, journal, store, spec)


def _link_status(engine: Engine, client: ExchangeClient) -> Callable[[], LinkStatus]:
    """The stream's last state, the newest REST round trip and the rate budget left."""
    state = {"value": "connecting"}

    def follow(events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, FeedStateChanged):
                state["value"] = "connected" if event.state in ("connected", "restored") else event.state

    engine.listeners.append(follow)

    def status() -> LinkStatus:
        transport = client.transport
        parts = []
        for group in ("order", "default", "candle"):
            left = transport.budget.remaining(group)
            limit = client.profile.limit_for(group)
            if left is not None:
                parts.append(f"{group} {left}" + (f"/{limit.calls}" if limit is not None else ""))
        return LinkStatus(state["value"], transport.last_round_trip_ms, ", ".join(parts))

    return status
