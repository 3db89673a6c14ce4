"""Frozen data for the snapshot tests: a fake engine handle whose read model never moves.

Every view is built once from fixed numbers (no wall clock, no random source): the snapshot's
``ts_ms`` drives the status bar's clock, the candles come from a small integer walk, and the
order ids, event times and history are spelled out. The app is started with
``start_engine=False``, so nothing runs behind the screen.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, cast

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tradetui.backtest.service import SessionBacktests
from tradetui.core.events import EngineState, Severity
from tradetui.core.market import BookLevel, OrderBook, Timeframe
from tradetui.core.orders import Order, OrderState, OrdType
from tradetui.core.runs import BacktestRun, BacktestRunSummary
from tradetui.core.trades import ClosedTrade
from tradetui.core.types import Side
from tradetui.engine.handle import EngineHandle, RiskChange, check_risk_fields, risk_fields
from tradetui.engine.read_model import (
    ChartData,
    ChartOverlay,
    EngineSnapshot,
    EventView,
    LinkStatus,
    MarketView,
    OrderView,
    PositionView,
    RiskView,
    StrategyView,
    ema_overlay,
)
from tradetui.risk.limits import AccountLimits
from tradetui.risk.sizing import SizingRules
from tradetui.ui.app import TradeTuiApp

NOW_MS = 1_759_556_100_000
"""2025-10-04 14:35:00 KST: the newest bar closes here."""
BAR_S = 60
CANDLES = 120
MARKETS = ("KRW-BTC", "KRW-ETH", "KRW-XRP")
START_PRICE = {"KRW-BTC": 171_200_000, "KRW-ETH": 6_215_000, "KRW-XRP": 4_120}
TICK = {"KRW-BTC": 1000, "KRW-ETH": 1000, "KRW-XRP": 1}
PARAMS: dict[str, Any] = {
    "timeframe": "1m",
    "lookback": 20,
    "volume_lookback": 20,
    "volume_mult": 1.5,
    "stop_pct": 1.5,
    "take_profit_pct": 3.0,
    "take_profit_fraction": 0.5,
    "trailing_pct": 1.0,
    "time_stop_bars": None,
}


def _walk(market: str, seed: int) -> ChartData:
    """A deterministic candle series: an integer LCG walk with a breakout near the end."""
    tick = TICK[market]
    price = START_PRICE[market]
    step = max(1, price // 2500 // tick) * tick
    first_ts = NOW_MS // 1000 - CANDLES * BAR_S
    ts, o, h, lo, c, v = [], [], [], [], [], []
    state = seed
    for k in range(CANDLES):
        state = (state * 1_103_515_245 + 12_345) % 2**31
        drift = 2 if k >= 95 else (-1 if 40 <= k < 70 else 0)
        move = ((state >> 4) % 9 - 4 + drift) * step
        opened, closed = price, price + move
        wick_up = ((state >> 9) % 4) * step
        wick_down = ((state >> 13) % 4) * step
        ts.append(first_ts + k * BAR_S)
        o.append(float(opened))
        c.append(float(closed))
        h.append(float(max(opened, closed) + wick_up))
        lo.append(float(min(opened, closed) - wick_down))
        v.append(round(0.4 + ((state >> 17) % 40) / 10 + (2.0 if k >= 95 else 0.0), 1))
        price = closed
    return ChartData(
        market,
        "1m",
        tuple(ts),
        tuple(o),
        tuple(h),
        tuple(lo),
        tuple(c),
        tuple(v),
        (),
        (),
        None,
        None,
        None,
    )


def _prior_high(high: tuple[float, ...], lookback: int) -> tuple[float | None, ...]:
    """The breakout level at each candle: the highest high of the ``lookback`` candles before it."""
    return tuple(max(high[k - lookback : k]) if k >= lookback else None for k in range(len(high)))


def _book(market: str, last: float) -> OrderBook:
    tick = Decimal(TICK[market])
    mid = Decimal(int(last))
    asks = tuple(BookLevel(mid + tick * (k + 1), Decimal(f"0.{(k * 37 + 11) % 90 + 10:02d}1")) for k in range(15))
    bids = tuple(BookLevel(mid - tick * k, Decimal(f"0.{(k * 53 + 7) % 90 + 10:02d}3")) for k in range(15))
    return OrderBook(market, NOW_MS, asks, bids)


class FrozenHandle:
    """The handle methods the UI calls, answering with fixed views."""

    mode = "PAPER"
    exchange = "upbit"
    is_remote = False

    def __init__(self) -> None:
        charts = {m: _walk(m, seed) for m, seed in zip(MARKETS, (7, 19, 23), strict=True)}
        btc = charts["KRW-BTC"]
        entry_k = 104
        entry_price = btc.close[entry_k]
        self._charts = {
            m: ChartData(
                c.market,
                c.timeframe,
                c.ts_s,
                c.open,
                c.high,
                c.low,
                c.close,
                c.volume,
                ((c.ts_s[entry_k], entry_price),) if m == "KRW-BTC" else (),
                ((c.ts_s[57], c.close[57]),) if m == "KRW-BTC" else (),
                round(entry_price * 0.985, -3) if m == "KRW-BTC" else None,
                round(entry_price * 1.03, -3) if m == "KRW-BTC" else None,
                _book(m, c.close[-1]),
                ((c.ts_s[110], c.high[110]),) if m == "KRW-BTC" else (),
                (ema_overlay(c.close, len(c.close)), ChartOverlay("high20", _prior_high(c.high, 20))),
            )
            for m, c in charts.items()
        }
        last = Decimal(int(btc.close[-1]))
        avg = Decimal(int(entry_price))
        vol = Decimal("0.01458231")
        pnl = (last - avg) * vol
        position = PositionView(
            "KRW-BTC",
            "breakout",
            vol,
            avg,
            last,
            pnl,
            float(pnl / (avg * vol) * 100),
            round(float(avg) * 0.985, -3),
            round(float(avg) * 1.03, -3),
            None,
        )
        take_profit = OrderView(
            "demo-19a8f3c2e40-4be01c7a52",
            "KRW-BTC",
            "ask",
            "limit",
            Decimal(int(round(float(avg) * 1.03, -3))),
            Decimal("0.00729115"),
            0.0,
            "wait",
            840.0,
            "take_profit",
        )
        equity = Decimal("10184230")
        risk = RiskView(
            EngineState.RUNNING,
            "started",
            Decimal("84230"),
            Decimal("300000"),
            0.0,
            last * vol,
            float(last * vol / equity * 100),
            1,
            3,
            1,
            0,
        )
        t0 = NOW_MS - 3 * 3600 * 1000
        events = (
            EventView(t0, int(Severity.INFO), "EngineStateChanged", "engine RUNNING: started"),
            EventView(t0 + 60_000, int(Severity.INFO), "FeedStateChanged", "feed KRW-BTC, KRW-ETH, KRW-XRP live"),
            EventView(
                t0 + 1_860_000, int(Severity.INFO), "SignalRaised", "signal enter KRW-ETH by breakout at 6230000"
            ),
            EventView(
                t0 + 1_860_000,
                int(Severity.INFO),
                "OrderFilled",
                "fill demo-19a8e1b0f00-0c41d2e6aa: bid 0.39891 KRW-ETH @ 6232000 fee 1243.00 [entry]",
            ),
            EventView(
                t0 + 4_500_000,
                int(Severity.INFO),
                "PositionClosed",
                "position closed KRW-ETH: PnL +61470 KRW (+2.47 %) by take_profit",
            ),
            EventView(t0 + 6_120_000, int(Severity.WARNING), "RiskEvent", "exposure 71% of equity: near the 80% limit"),
            EventView(
                t0 + 7_260_000,
                int(Severity.INFO),
                "PositionClosed",
                "position closed KRW-XRP: PnL -18250 KRW (-0.74 %) by stop",
            ),
            EventView(
                t0 + 9_840_000, int(Severity.INFO), "SignalRaised", "signal enter KRW-BTC by breakout at 171550000"
            ),
            EventView(
                t0 + 9_840_000,
                int(Severity.INFO),
                "OrderFilled",
                f"fill demo-19a8f2d1a80-9e3b1f04c7: bid {vol} KRW-BTC @ {avg} fee 1250.00 [entry]",
            ),
            EventView(
                t0 + 9_840_000,
                int(Severity.INFO),
                "PositionOpened",
                f"position opened KRW-BTC: {vol} @ {avg} stop {round(float(avg) * 0.985, -3):.0f}",
            ),
            EventView(
                t0 + 9_900_000,
                int(Severity.INFO),
                "OrderUpdated",
                "order demo-19a8f3c2e40-4be01c7a52 wait: ask limit KRW-BTC vol=0.00729115 [take_profit]",
            ),
            EventView(NOW_MS - 240_000, int(Severity.ERROR), "Notice", "REST 429 from upbit: backing off 1.0 s"),
        )
        self._snapshot = EngineSnapshot(
            NOW_MS,
            self.mode,
            self.exchange,
            EngineState.RUNNING,
            equity,
            equity - last * vol,
            Decimal("43220"),
            Decimal("7486"),
            (position,),
            (take_profit,),
            risk,
            (StrategyView("breakout", True, MARKETS, dict(PARAMS)),),
            events,
            CANDLES,
            2,
        )
        self._markets = tuple(
            MarketView(
                m,
                Decimal(int(c.close[-1])) if TICK[m] > 1 else Decimal(str(c.close[-1])),
                (c.close[-1] / c.close[0] - 1) * 100,
                float(sum(p * q for p, q in zip(c.close, c.volume, strict=True))) * (40 if m == "KRW-XRP" else 1),
                0.42 if m == "KRW-BTC" else -0.8,
                "enter" if m == "KRW-ETH" else "",
                m == "KRW-BTC",
            )
            for m, c in self._charts.items()
        )
        self._scores = {
            "breakout": {
                m: tuple(
                    math.nan if k < 3 and m == "KRW-XRP" else round(math.sin((k + 5 * j) / 4) * 1.5, 3)
                    for k in range(30)
                )
                for j, m in enumerate(MARKETS)
            }
        }
        self._trades = [
            ClosedTrade(
                "KRW-ETH",
                "breakout",
                t0 + 1_860_000,
                t0 + 4_500_000,
                Decimal("0.39891"),
                Decimal("6232000"),
                Decimal("6391000"),
                Decimal("61470"),
                Decimal("2518"),
                "take_profit",
            ),
            ClosedTrade(
                "KRW-XRP",
                "breakout",
                t0 + 5_400_000,
                t0 + 7_260_000,
                Decimal("600.5"),
                Decimal("4112"),
                Decimal("4085"),
                Decimal("-18250"),
                Decimal("2460"),
                "stop",
            ),
        ]
        self._runs = [
            BacktestRunSummary(
                1,
                t0 - 86_400_000,
                "breakout",
                ("KRW-BTC",),
                "1m",
                t0 - 30 * 86_400_000,
                t0 - 2 * 86_400_000,
                {"lookback": 20},
                {"total_return_pct": 4.21, "max_drawdown_pct": 2.87, "n_trades": 37},
                "",
            )
        ]
        self._orders = [
            Order(
                "demo-19a8f3c2e40-4be01c7a52",
                "KRW-BTC",
                Side.ASK,
                OrdType.LIMIT,
                take_profit.price,
                take_profit.volume,
                t0 + 9_900_000,
                OrderState.WAIT,
                purpose="take_profit",
                strategy="breakout",
            ),
            Order(
                "demo-19a8f2d1a80-9e3b1f04c7",
                "KRW-BTC",
                Side.BID,
                OrdType.PRICE,
                Decimal("2500000"),
                None,
                t0 + 9_840_000,
                OrderState.CANCEL,
                executed_volume=vol,
                purpose="entry",
                strategy="breakout",
                reason="market buy remainder returned",
            ),
            Order(
                "demo-19a8e9c7b00-51f0e2d8c3",
                "KRW-XRP",
                Side.ASK,
                OrdType.MARKET,
                None,
                Decimal("600.5"),
                t0 + 7_260_000,
                OrderState.DONE,
                executed_volume=Decimal("600.5"),
                purpose="stop",
                strategy="breakout",
            ),
            Order(
                "demo-19a8e1b0f00-0c41d2e6aa",
                "KRW-ETH",
                Side.BID,
                OrdType.PRICE,
                Decimal("2486000"),
                None,
                t0 + 1_860_000,
                OrderState.DONE,
                executed_volume=Decimal("0.39891"),
                purpose="entry",
                strategy="breakout",
            ),
        ]

    # --- lifecycle: nothing runs -----------------------------------------------------------------

    async def run(self) -> None:
        return None

    def request_stop(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def events(self) -> AsyncIterator[Any]:
        return
        yield

    # --- commands: accepted and ignored (a snapshot never changes the data) ----------------------

    def pause(self, reason: str = "") -> None:
        return None

    def resume(self, reason: str = "") -> None:
        return None

    def kill(self, *, flatten: bool = False) -> None:
        return None

    def reduce_only(self, reason: str = "") -> None:
        return None

    def flatten(self) -> None:
        return None

    def set_strategy_enabled(self, name: str, enabled: bool) -> None:
        return None

    def set_params(self, name: str, changes: dict[str, Any]) -> None:
        return None

    def set_risk(self, sizing: SizingRules, limits: AccountLimits, note: str = "") -> None:
        return None

    async def save_config_change(self, text: str, note: str) -> bool:
        return False

    # --- read model ------------------------------------------------------------------------------

    def snapshot(self, *, max_events: int = 50) -> EngineSnapshot:
        snap = self._snapshot
        if max_events >= len(snap.events):
            return snap
        events = snap.events[-max_events:] if max_events > 0 else ()
        return EngineSnapshot(
            snap.ts_ms,
            snap.mode,
            snap.exchange,
            snap.state,
            snap.equity,
            snap.cash,
            snap.realized_pnl,
            snap.fees_paid,
            snap.positions,
            snap.orders,
            snap.risk,
            snap.strategies,
            events,
            snap.bars_processed,
            snap.trades_closed,
        )

    def markets(self) -> tuple[MarketView, ...]:
        return self._markets

    def market_codes(self) -> list[str]:
        return list(MARKETS)

    def timeframe(self) -> str | None:
        return "1m"

    def link_status(self) -> LinkStatus:
        return LinkStatus("connected", 38.0, "order 8/8, default 30/30")

    def chart(self, market: str, bars: int = 120, timeframe: Timeframe | None = None) -> ChartData | None:
        return self._charts.get(market)

    def scores(self, bars: int = 30) -> dict[str, dict[str, tuple[float, ...]]]:
        return {name: {m: s[-bars:] for m, s in grid.items()} for name, grid in self._scores.items()}

    def closed_trades(self) -> list[ClosedTrade]:
        return list(self._trades)

    async def orders(self, limit: int = 500) -> list[Order]:
        return self._orders[:limit]

    async def trade_history(self, limit: int = 500) -> list[ClosedTrade]:
        return list(reversed(self._trades))[:limit]

    async def backtest_runs(self, limit: int = 200) -> list[BacktestRunSummary]:
        return list(self._runs)[:limit]

    async def backtest_run(self, run_id: int) -> BacktestRun | None:
        return None

    async def save_backtest_run(self, summary: Any, trades: Any, equity: Any) -> int | None:
        return None

    def risk_settings(self) -> tuple[SizingRules, AccountLimits]:
        return SizingRules(), AccountLimits()

    def risk_fields(self) -> dict[str, Any]:
        return risk_fields(*self.risk_settings())

    def check_risk(self, fields: Mapping[str, Any]) -> RiskChange:
        return check_risk_fields(fields)


@pytest.fixture
def frozen_app() -> Callable[[], TradeTuiApp]:
    """A factory of apps over the frozen handle, engine not started, default theme."""

    def make() -> TradeTuiApp:
        return TradeTuiApp(cast(EngineHandle, FrozenHandle()), start_engine=False, backtests=SessionBacktests())

    return make


async def settle(pilot: Pilot[Any]) -> None:
    """Let the pushed screen mount, finish its workers and stop every cursor from blinking."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def opening(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A ``run_before`` that presses ``keys`` on the dashboard and waits for the result to settle."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
        await settle(pilot)

    return run_before


@pytest.fixture
def open_with() -> Callable[..., Callable[[Pilot[Any]], Awaitable[None]]]:
    return opening
