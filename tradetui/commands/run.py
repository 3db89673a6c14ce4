"""Composing a running engine (demo or file replay) and its storage, for the headless mode."""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tradetui.candles.series import BarSeries
from tradetui.candles.synthetic import SyntheticFeed, generate_market, synthetic_book
from tradetui.commands.runs import BacktestRunStore
from tradetui.commands.state import SessionRecorder, StateStore, close_orders_of_ended_runs, restore_strategies
from tradetui.config import AppConfig, Mode
from tradetui.core.clock import ScaledClock, SimClock
from tradetui.core.market import Bar
from tradetui.engine.engine import Engine
from tradetui.engine.feeds import not_before_close, paced
from tradetui.engine.handle import EngineHandle
from tradetui.errors import ConfigError
from tradetui.session.spec import SessionSpec
from tradetui.storage.journal import SqliteOrderJournal
from tradetui.venues.simulated import SimulatedVenue

log = logging.getLogger(__name__)

WARMUP_BARS = 300
"""Bars of history the demo loads before it starts trading, so indicators are warm at once."""
DEMO_LEAD_S = 30 * 86_400
"""How far before the wall clock the demo's synthetic market starts. Its market time runs faster
(60× at one 1m candle a second), so it would date orders in the future; starting 30 days back, it
reaches the wall clock after 12 hours at 60×, and from then on a candle is released only once it
has closed on the wall clock (:func:`tradetui.engine.feeds.not_before_close`)."""


@dataclass(slots=True)
class RunningSession:
    handle: EngineHandle
    journal: SqliteOrderJournal
    store: StateStore
    spec: SessionSpec
    """What the session was built from (its rules, money and strategies): the TUI's backtests use it."""


def _with_books(bars: Iterable[Bar], engine: Engine) -> Iterator[Bar]:
    """The demo has no exchange book: show a synthetic one around each new close."""
    for bar in bars:
        engine.books[bar.market] = synthetic_book(bar)
        yield bar


def _interleave(feeds: list[Iterable[Bar]]) -> Iterator[Bar]:
    """One bar of each market per step (markets share the bar clock)."""
    iterators = [iter(f) for f in feeds]
    while True:
        step = [next(it, None) for it in iterators]
        bars = [b for b in step if b is not None]
        if not bars:
            return
        yield from bars


def build_session(
    config: AppConfig,
    *,
    database: Path,
    research_database: Path | None = None,
    speed: float | None = None,
    max_bars: int | None = None,
    now_s: int,
    warmup_bars: int = WARMUP_BARS,
) -> RunningSession:
    """The demo (synthetic market) or a file replay, paper-traded on the simulated venue, with
    ``warmup_bars`` of history before the first live candle.

    ``database`` keeps the session's records (its profile's database); ``research_database``,
    when given, the backtest runs the TUI makes and lists."""
    if config.feed.source == "exchange":
        raise ConfigError("exchange feeds are built by commands.live.build_exchange_session")
    if config.mode is Mode.BACKTEST:
        raise ConfigError(f"config {config.source_path} is a backtest config: run `tradetui backtest --config FILE`")
    feed_cfg = config.feed
    markets = list(feed_cfg.markets)
    histories: list[BarSeries] = []
    live_feeds: list[Iterable[Bar]] = []
    tf = feed_cfg.timeframe
    if feed_cfg.source == "synthetic":
        start_s = tf.bucket_start(now_s - DEMO_LEAD_S) - warmup_bars * tf.seconds
        for k, market in enumerate(markets):
            seed = feed_cfg.seed + k
            price = float(feed_cfg.start_price_krw) / (1 + 3 * k)
            histories.append(
                generate_market(market, bars=warmup_bars, start_s=start_s, timeframe=tf, seed=seed, start_price=price)
            )
            endless = SyntheticFeed(market, start_s=start_s, timeframe=tf, seed=seed, start_price=price)
            live_feeds.append(itertools.islice(endless, warmup_bars, None))
    else:
        assert feed_cfg.file is not None
        only = markets[0] if len(markets) == 1 else None
        from tradetui.data.candle_file import load_candle_file  # pandas: only a replay reads a file

        series = load_candle_file(feed_cfg.file, market=only, timeframe=tf).series
        if series.market not in markets:
            raise ConfigError(f"{feed_cfg.file} holds {series.market}, but [feed] markets = {markets}")
        markets = [series.market]
        warm = min(warmup_bars, max(len(series) - 1, 0))
        histories.append(series.slice(0, warm))
        live_feeds.append(series.bars(warm))
    first_ms = int(histories[0].ts_s[-1] + tf.seconds) * 1000 if len(histories[0]) else now_s * 1000
    clock = SimClock(first_ms)
    spec = SessionSpec.from_config(config)
    book = spec.rule_book
    venue = SimulatedVenue(book, clock, cash_krw=spec.cash_krw, slippage_bps=spec.slippage_bps)
    journal = SqliteOrderJournal(database, mode="paper", durability=config.storage.journal_durability(False))
    engine = Engine(
        clock=clock,
        venue=venue,
        rule_book=book,
        assignments=spec.assignments(markets),
        settings=spec.engine_settings(id_prefix="demo"),
        journal=journal,
    )
    close_orders_of_ended_runs(engine, journal)
    restore_strategies(engine, config, journal)
    engine.listeners.append(SessionRecorder(engine, journal, config).listen)
    for history in histories:
        engine.warm_up(history)
    bars: Iterable[Bar] = _interleave(live_feeds)
    if feed_cfg.source == "synthetic":
        bars = _with_books(bars, engine)
    if max_bars is not None:
        bars = itertools.islice(bars, max_bars)
    per_market = speed if speed is not None else feed_cfg.speed
    wall = ScaledClock(1.0, start_ms=now_s * 1000)  # the caller's wall clock, running on
    feed: AsyncIterator[Bar] = not_before_close(paced(bars, bars_per_second=per_market * len(markets)), wall)
    store = StateStore(journal)
    handle = EngineHandle(
        engine,
        mode=config.badge,
        exchange=config.exchange.value,
        feed=feed,
        time_scale=per_market * tf.seconds,
        on_stop=store.save_engine,
        history=store,
        runs=BacktestRunStore(research_database) if research_database is not None else None,
    )
    return RunningSession(handle, journal, store, spec)
