"""Parity is a test, not a hope: the same real candles through the backtest and through the live
path — the sandbox replaying them in fast market time, our real REST and WebSocket clients, the
paper venue with ``paper_fills = "next_open"`` — give the same signals, fills and trades.

Also: candles the live path could not fetch for a while (REST outage) are backfilled, so the
engine's candle history has no hole.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tradetui.backtest.runner import run_backtest
from tradetui.candles.series import BarSeries
from tradetui.commands.live import build_exchange_session
from tradetui.config import AppConfig, parse_config
from tradetui.core.clock import LiveClock, SimClock
from tradetui.core.events import Event, OrderFilled, RiskEvent, SignalRaised
from tradetui.core.market import BookLevel, Exchange, OrderBook
from tradetui.core.rules import rule_book
from tradetui.core.types import decimal_from_float
from tradetui.data.csv_import import read_candles_csv
from tradetui.engine.engine import Engine
from tradetui.engine.exchange_feed import pump_stream
from tradetui.engine.settings import Assignment, EngineSettings
from tradetui.sandbox.app import serve
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.market import MarketSpec
from tradetui.sandbox.state import SandboxState
from tradetui.session.spec import SessionSpec, build_strategy
from tradetui.venues.simulated import SimulatedVenue

# heavy: sandbox servers and engine processes; run one after another in one xdist worker
pytestmark = pytest.mark.xdist_group("heavy")

MARKET = "KRW-BTC"
PARAMS: dict[str, Any] = {"stop_pct": 0.4, "take_profit_pct": 0.8, "trailing_pct": 0.3}
"""Breakout with the default lookbacks and tighter exits, so it trades often on 1m BTC."""
HISTORY_ROWS = 26
REPLAY_ROWS = 2001
FIRST_ROW = 2274
"""Rows 2274..2299 of the real file are history, 2300..4300 are replayed (2001 one-minute
candles from 2025-09-02 14:20 UTC, crossing the file's missing minute after row 4044). The
live engine loads all 26 history bars (it asks for up to 199, a full chart) and the breakout
raises no signal in them, so the backtest and the live engine start alike; in the replay it
signals 8 times, trades 6 times and the consecutive-loss cool-down (a clock-based rule)
denies an entry."""
CANDLES_PER_SECOND = 250.0
"""Replay speed: market minutes per real second."""


class ReplayClock:
    """The sandbox's market time: held at ``start_ms`` until :meth:`release`, then running
    ``factor`` times faster than real time (so the live engine warms up on a known history)."""

    def __init__(self, start_ms: int, factor: float) -> None:
        self._start_ms = start_ms
        self._factor = factor
        self._released: float | None = None

    def release(self) -> None:
        self._released = time.monotonic()

    def now_ms(self) -> int:
        if self._released is None:
            return self._start_ms
        return self._start_ms + int((time.monotonic() - self._released) * 1000 * self._factor)


def write_slice(source: Path, target: Path, first: int, stop: int) -> Path:
    """Rows ``[first, stop)`` of a candle file, copied as text (every digit as it was)."""
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    target.write_text("\n".join([lines[0], *lines[1 + first : 1 + stop]]) + "\n", encoding="utf-8")
    return target


def _config(profile: str, rest_port: int, ws_port: int, *, paper_fills: str) -> AppConfig:
    return parse_config(
        {
            "mode": "paper",
            "exchange": profile,
            "exchange_api": {
                "rest_url": f"http://127.0.0.1:{rest_port}",
                "ws_url": f"ws://127.0.0.1:{ws_port}",
                "poll_interval_s": 0.05,
            },
            "feed": {"source": "exchange", "markets": [MARKET], "timeframe": "1m"},
            "execution": {"paper_fills": paper_fills},
            "strategies": [{"name": "breakout", "params": PARAMS}],
        }
    )


@dataclass(slots=True)
class Replay:
    path: Path
    rows: BarSeries
    replay_start_ms: int
    history_minutes: int

    @classmethod
    def of(cls, source: Path, target: Path, first: int, history: int, replay: int) -> Replay:
        path = write_slice(source, target, first, first + history + replay)
        rows = read_candles_csv(path, market=MARKET, timeframe="1m")
        start_ms = int(rows.ts_s[history]) * 1000
        return cls(path, rows, start_ms, (start_ms // 1000 - int(rows.ts_s[0])) // 60)

    def sandbox(self, profile: str, clock: ReplayClock) -> SandboxState:
        return SandboxState(
            SandboxConfig(
                profile=profile, speed=1 / 60, history_minutes=self.history_minutes, rate_limits_enabled=False
            ),
            clock=clock,
            wall_clock=LiveClock(),
            markets=[MarketSpec(MARKET, "비트코인", "Bitcoin", candles_csv=str(self.path))],
        )


async def _run_live(
    config: AppConfig,
    database: Path,
    clock: ReplayClock,
    last_bar_s: int,
    *,
    timeout_s: float = 90.0,
    during: Callable[[Engine], Awaitable[None]] | None = None,
) -> Engine:
    """Build the live session, start market time, run until the engine has ``last_bar_s``."""
    session = await build_exchange_session(config, database=database)
    engine = session.handle.engine
    clock.release()
    run = asyncio.create_task(session.handle.run())
    try:
        if during is not None:
            await during(engine)
        deadline = time.monotonic() + timeout_s
        market = engine.markets[MARKET]
        while not (market.n and int(market.ts_s[market.n - 1]) >= last_bar_s):
            assert time.monotonic() < deadline, f"the live engine got {market.n} bars in {timeout_s} s"
            assert not run.done(), "the engine stopped early"
            await asyncio.sleep(0.05)
        engine.poll()
    finally:
        session.handle.request_stop()
        await asyncio.wait_for(run, 30)
        await session.handle.shutdown()
        session.journal.close()
    return engine


def _signals(events: list[Event]) -> list[tuple[int, str, str, str, Decimal]]:
    return [(e.ts_ms, e.market, e.strategy, e.action, e.price) for e in events if isinstance(e, SignalRaised)]


def _fills(events: list[Event]) -> list[tuple[Any, ...]]:
    return [
        (f.ts_ms, f.market, f.side, f.price, f.volume, f.fee, f.is_maker, e.purpose)
        for e in events
        if isinstance(e, OrderFilled)
        for f in (e.fill,)
    ]


def _risk(events: list[Event]) -> list[tuple[int, str, str, str]]:
    return [(e.ts_ms, e.rule, e.message, e.market) for e in events if isinstance(e, RiskEvent)]


BarRow = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]


def _row(ts_s: int, values: Iterator[Decimal]) -> BarRow:
    o, h, lo, c, v = values
    return ts_s, o, h, lo, c, v


def _bars(engine: Engine) -> list[BarRow]:
    m = engine.markets[MARKET]
    return [
        _row(int(m.ts_s[i]), (decimal_from_float(float(col[i])) for col in (m.open, m.high, m.low, m.close, m.volume)))
        for i in range(m.n)
    ]


def _file_bars(rows: BarSeries, first_s: int, last_s: int) -> list[BarRow]:
    picked = [i for i, ts in enumerate(rows.ts_s.tolist()) if first_s <= ts <= last_s]
    return [
        _row(
            int(rows.ts_s[i]),
            (decimal_from_float(float(col[i])) for col in (rows.open, rows.high, rows.low, rows.close, rows.volume)),
        )
        for i in picked
    ]


@pytest.mark.parametrize("profile", ["upbit", "bithumb"])
async def test_backtest_and_live_path_agree(
    profile: str, btc_1m_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    replay = Replay.of(btc_1m_file, tmp_path / "upbit_KRW-BTC_1m_slice.csv", FIRST_ROW, HISTORY_ROWS, REPLAY_ROWS)
    rows = replay.rows
    # the newest candle never has a successor, so the live engine never sees it closed
    last_bar_s = int(rows.ts_s[-2])
    clock = ReplayClock(replay.replay_start_ms, 60 * CANDLES_PER_SECOND)
    state = replay.sandbox(profile, clock)
    runner, port = await serve(state)
    try:
        config = _config(profile, port, port, paper_fills="next_open")
        live = await _run_live(config, tmp_path / "paper.db", clock, last_bar_s)
    finally:
        await runner.cleanup()

    # the live engine holds exactly the file's candles, warm-up history and replay, no hole
    live_bars = _bars(live)
    warm_start_s = live_bars[0][0]
    assert warm_start_s < replay.replay_start_ms // 1000
    assert live_bars == _file_bars(rows, warm_start_s, last_bar_s)

    # (a) the backtest on the same candles: the live warm-up bars first, then the replay
    keep = [i for i, ts in enumerate(rows.ts_s.tolist()) if warm_start_s <= ts <= last_bar_s]
    series = rows.slice(keep[0], keep[-1] + 1)
    setup = SessionSpec.from_config(config, exchange=Exchange(profile))
    backtest = run_backtest([series], [build_strategy("breakout", PARAMS)], setup)
    bt_events = list(backtest.engine.recent_events)
    live_events = list(live.recent_events)
    first_decision_ms = replay.replay_start_ms + 60_000  # the close of the first replayed bar
    assert all(s[0] >= first_decision_ms for s in _signals(bt_events)), "a backtest signal in the warm-up bars"

    signals = _signals(bt_events)
    assert len(signals) >= 6 and len(backtest.trades) >= 4, "the slice should make the strategy trade several times"
    assert _signals(live_events) == signals
    assert len(_fills(bt_events)) == len(backtest.fills)
    assert _fills(live_events) == _fills(bt_events)
    assert list(live.portfolio.closed) == backtest.trades
    assert _risk(live_events) == _risk(bt_events)
    assert live.portfolio.cash == backtest.final_cash
    assert live.portfolio.fees_paid == backtest.fees_paid


class CandleOutage:
    """A REST front for the sandbox that can stop answering candle requests (503), passing
    everything else through; the WebSocket goes to the sandbox directly."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.down = False
        self.refused = 0
        self._session: aiohttp.ClientSession | None = None

    async def handle(self, request: web.Request) -> web.Response:
        if self.down and "/candles/" in request.path:
            self.refused += 1
            return web.json_response({"error": {"name": 503, "message": "outage"}}, status=503)
        assert self._session is not None
        async with self._session.request(
            request.method,
            self.upstream + request.path_qs,
            data=await request.read(),
            headers={k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")},
        ) as answer:
            body = await answer.read()
            return web.Response(status=answer.status, body=body, content_type=answer.content_type)

    async def start(self) -> tuple[web.AppRunner, int]:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner, int(runner.addresses[0][1])

    async def stop(self, runner: web.AppRunner) -> None:
        await runner.cleanup()
        if self._session is not None:
            await self._session.close()


async def test_candles_missed_during_an_outage_are_backfilled(
    btc_1m_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    replay = Replay.of(btc_1m_file, tmp_path / "upbit_KRW-BTC_1m_slice.csv", 3900, 100, 500)
    rows = replay.rows
    last_bar_s = int(rows.ts_s[-2])
    clock = ReplayClock(replay.replay_start_ms, 60 * 100.0)
    state = replay.sandbox("upbit", clock)
    runner, port = await serve(state)
    outage = CandleOutage(f"http://127.0.0.1:{port}")
    proxy_runner, proxy_port = await outage.start()
    seen: dict[str, int] = {}

    async def cut_candles(engine: Engine) -> None:
        market = engine.markets[MARKET]
        deadline = time.monotonic() + 60  # generous: CI machines are shared and busy
        while market.n < 60:  # trading normally first
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        outage.down = True
        seen["bars_at_cut"] = market.n
        sandbox_market = state.markets[MARKET]
        start_step = sandbox_market.next_step
        while sandbox_market.next_step < start_step + 4 * 120:  # 120 market minutes without candles
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        seen["bars_in_outage"] = market.n
        outage.down = False

    try:
        config = _config("upbit", proxy_port, port, paper_fills="book")
        engine = await _run_live(config, tmp_path / "gap.db", clock, last_bar_s, during=cut_candles)
    finally:
        await outage.stop(proxy_runner)
        await runner.cleanup()
    assert outage.refused > 0
    # the engine got nothing during the outage but what one request already in flight at the cut
    # carried (at most a page of 10 candles)
    assert seen["bars_in_outage"] - seen["bars_at_cut"] <= 10
    bars = _bars(engine)
    assert bars == _file_bars(rows, bars[0][0], last_bar_s)  # every candle of the replay, no hole


class _OneBook:
    """A stream that shows one order book and ends."""

    def __init__(self, book: OrderBook) -> None:
        self.book = book

    async def items(self) -> AsyncIterator[OrderBook]:
        yield self.book


@pytest.mark.parametrize(("fills_at_bar_open", "filled"), [(True, False), (False, True)])
async def test_a_next_open_paper_venue_is_not_filled_from_the_book(fills_at_bar_open: bool, filled: bool) -> None:
    """In real time the book arrives between a bar's close and the next bar, so a next-open
    paper venue must not take it (a fast replay delivers bars in bursts and cannot show this)."""
    clock = SimClock(1_756_684_800_000)
    book = rule_book(Exchange.UPBIT)
    venue = SimulatedVenue(book, clock, cash_krw=Decimal("10000000"))
    engine = Engine(
        clock=clock,
        venue=venue,
        rule_book=book,
        assignments=[Assignment(build_strategy("breakout", PARAMS), (MARKET,))],
        settings=EngineSettings(fills_at_bar_open=fills_at_bar_open),
    )
    order = engine.om.market_buy(MARKET, Decimal("100000"), purpose="entry", strategy="breakout")
    engine.emit(engine.om.submit(order))
    engine.poll()
    levels = (BookLevel(Decimal("150000000"), Decimal("1")),)
    await pump_stream(_OneBook(OrderBook(MARKET, clock.now_ms(), levels, levels)), engine)  # type: ignore[arg-type]
    assert venue.has_open_orders(MARKET) is not filled
    assert any(isinstance(e, OrderFilled) for e in engine.recent_events) is filled
