"""The Engine: feed → market state → strategies → risk → execution → portfolio → events.

One class for backtest, paper and live; its decision step is synchronous and deterministic.
Each market advances by *events* (a waiting order fills, an exit fires, a strategy signals;
see ``MarketState.next_event``): a backtest jumps over the quiet bars in between with numpy
scans, the live engine gets one bar at a time and runs the very same functions on it. Per bar
the phases are: open (waiting market orders fill at the open), intrabar (engine-side exits,
stop before target), close (decisions; orders fill at the next bar's open).
"""

from __future__ import annotations

import heapq
import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

import numpy as np

from tradetui.candles.resample import CandleAggregator, check_resample_target
from tradetui.candles.series import BarSeries
from tradetui.core.clock import Clock, SimClock
from tradetui.core.events import (
    EngineState,
    Event,
    ExitTriggered,
    Notice,
    PositionClosed,
    PositionOpened,
    RiskEvent,
    Severity,
    SignalRaised,
    StrategyChanged,
)
from tradetui.core.market import Bar, OrderBook, Ticker
from tradetui.core.orders import Fill, Order, OrderState
from tradetui.core.plans import ExitPlan
from tradetui.core.ports import OrderJournal, Venue, krw_total
from tradetui.core.rules import RuleBook
from tradetui.core.types import ZERO, Side, decimal_from_float
from tradetui.engine.market_state import MarketState, StrategySignals
from tradetui.engine.portfolio import Portfolio, Position
from tradetui.engine.restore import FillReplay, replay_fills
from tradetui.engine.settings import Assignment, EngineSettings
from tradetui.engine.trade_marks import TradeMark, TradeMarks
from tradetui.execution.order_manager import AppliedReport, MemoryJournal, OrderManager
from tradetui.risk.exits import ExitTracker
from tradetui.risk.limits import AccountLimits, RiskGuard, reset_text
from tradetui.risk.preflight import EntryCheck, check_entries
from tradetui.risk.sizing import SizingMethod, SizingRules, size_entry
from tradetui.strategies.base import Strategy

log = logging.getLogger(__name__)

EventListener = Callable[[Sequence[Event]], None]
ProgressCallback = Callable[[float], None]


class Engine:
    def __init__(
        self,
        *,
        clock: Clock,
        venue: Venue,
        rule_book: RuleBook,
        assignments: Sequence[Assignment],
        settings: EngineSettings | None = None,
        journal: OrderJournal | None = None,
    ) -> None:
        self.clock = clock
        self.venue = venue
        self.rule_book = rule_book
        self.settings = settings or EngineSettings()
        self.journal = journal if journal is not None else MemoryJournal()
        self.om = OrderManager(venue, self.journal, clock, self.settings.id_prefix, self.settings.deterministic_ids)
        self.portfolio = Portfolio(cash=krw_total(venue.balances()))
        self.risk = RiskGuard(self.settings.limits)
        self.strategies: dict[str, Strategy] = {}
        self.enabled: dict[str, bool] = {}
        self.assignments: dict[str, list[str]] = {}
        for a in assignments:
            if a.strategy.name in self.strategies:
                raise ValueError(f"strategy {a.strategy.name!r} is assigned twice")
            self.strategies[a.strategy.name] = a.strategy
            self.enabled[a.strategy.name] = a.enabled
            for market in a.markets:
                self.assignments.setdefault(market, []).append(a.strategy.name)
        self.markets: dict[str, MarketState] = {}
        for market, names in self.assignments.items():
            frames = {self.strategies[n].timeframe for n in names}
            if len(frames) > 1:
                raise ValueError(f"strategies on {market} use different timeframes {sorted(frames)}; use one")
            self.markets[market] = MarketState.empty(market, frames.pop())
        self.recent_events: deque[Event] = deque(maxlen=self.settings.event_capacity)
        self.listeners: list[EventListener] = []
        self._held: list[Event] | None = None
        """Events raised while venue reports are applied, published when they all are."""
        self._bar_fills = venue if venue.answers_at_once and self.settings.fills_at_bar_open else None
        """The venue that fills orders at a bar's open (backtest, demo): told each bar's prices."""
        self._sim_clock = clock if isinstance(clock, SimClock) else None
        self._aggregators: dict[str, CandleAggregator] = {}
        self.books: dict[str, OrderBook] = {}
        """Latest order book per market, when the feed has one (read model only)."""
        self.tickers: dict[str, Ticker] = {}
        """Latest exchange ticker per market (paper/live; read model only)."""
        self.bars_processed = 0
        self.trade_marks = TradeMarks(self.settings.trade_marks_per_market)
        """What the engine bought and sold, per market (bounded): the chart's markers."""

    def emit(self, events: Iterable[Event]) -> None:
        """Publish events to the timeline and every listener."""
        self._emit(events)

    def _emit(self, events: Iterable[Event]) -> None:
        batch = list(events)
        if not batch:
            return
        if self._held is not None:  # applying venue reports: published once the state is whole
            self._held.extend(batch)
            return
        self.recent_events.extend(batch)
        for listener in self.listeners:
            try:
                listener(batch)
            except Exception:  # a broken listener must not stop trading
                log.exception("event listener failed")

    def _set_time(self, ts_ms: int) -> None:
        if self._sim_clock is not None and ts_ms > self._sim_clock.now_ms():
            self._sim_clock.set_ms(ts_ms)

    def load_history(self, series: BarSeries) -> None:
        """Install a market's candles and compute every assigned strategy's signals on them."""
        names = self.assignments.get(series.market)
        if not names:
            raise ValueError(f"no strategy is assigned to {series.market}")
        state = MarketState.from_series(series)
        for name in names:
            strategy = self.strategies[name]
            if strategy.timeframe is not series.timeframe:
                raise ValueError(
                    f"strategy {name} decides on {strategy.timeframe} candles "
                    f"but {series.market} has {series.timeframe}"
                )
            state.signals[name] = StrategySignals.from_frame(strategy, strategy.signals(series))
        self.markets[series.market] = state

    def warm_up(self, series: BarSeries) -> None:
        """Install candles as history only: indicators see them, nothing is traded on them."""
        self.load_history(series)
        m = self.markets[series.market]
        m.cursor = m.n
        m.scanned_to = m.n

    def _ensure_signals(self, m: MarketState) -> None:
        for name in self.assignments.get(m.market, []):
            if name not in m.signals:
                s = self.strategies[name]
                cap = max(len(m.ts_s), 64)
                m.signals[name] = StrategySignals(
                    s, np.zeros(cap, dtype=np.bool_), np.zeros(cap, dtype=np.bool_), np.full(cap, np.nan), None, [], []
                )

    # --- the three phases of a bar -----------------------------------------------------------

    def _open_phase(self, m: MarketState, i: int) -> None:
        self._set_time(int(m.ts_s[i]) * 1000)
        if m.pending and self._bar_fills is not None:
            self._bar_fills.mark(m.market, float(m.open[i]))
            self._bar_fills.touch(m.market, float(m.open[i]), float(m.high[i]), float(m.low[i]), float(m.volume[i]))
            self._pump(i)

    def _intrabar_phase(self, m: MarketState, i: int) -> None:
        pos = m.position
        if pos is None or pos.tracker is None or m.pending:
            return
        if m.trigger is None and m.scanned_to <= i:
            # the entry bar itself (or a bar not scanned yet) is checked here
            m.trigger = pos.tracker.scan(m.open, m.high, m.low, i, i + 1)
            m.scanned_to = i + 1 if m.trigger is None else i
        trig = m.trigger
        if trig is None or trig.index != i:
            return
        m.trigger = None
        tf_ms = m.timeframe.seconds * 1000
        self._set_time(int(m.ts_s[i]) * 1000 + (0 if trig.kind == "time_exit" else tf_ms // 2))
        now = self.clock.now_ms()
        rules = self.venue.rules_at(now)
        price = decimal_from_float(trig.price)
        volume = pos.volume
        if trig.fraction < 1:
            part = rules.truncate_volume(pos.bought_volume * Decimal(repr(trig.fraction)))
            rest_value = (pos.volume - part) * price
            if part > 0 and part * price >= rules.min_total_krw and rest_value >= rules.min_total_krw:
                volume = part
        if volume >= pos.volume:
            pos.exit_reason = trig.kind
        self._emit([ExitTriggered(now, m.market, trig.kind, price, trig.fraction if volume < pos.volume else 1.0)])
        order = self.om.market_sell(m.market, volume, purpose=trig.kind, strategy=pos.strategy)
        self._submit(m, order, i)
        if self._bar_fills is not None:
            self._bar_fills.mark(m.market, trig.price)
            self._pump(i)
        if trig.kind == "take_profit" and m.position is pos and pos.tracker is not None:
            pos.tracker.on_target_filled(float(m.high[i]))
        m.scanned_to = i + 1

    def _close_phase(self, m: MarketState, i: int) -> None:
        self._set_time((int(m.ts_s[i]) + m.timeframe.seconds) * 1000)
        if m.pending:
            return
        pos = m.position
        if pos is not None:
            sig = m.signals.get(pos.strategy)
            if sig is not None and sig.exit[i]:
                now = self.clock.now_ms()
                pos.exit_reason = "signal"
                self._emit([SignalRaised(now, m.market, pos.strategy, "exit", decimal_from_float(float(m.close[i])))])
                self._submit(
                    m, self.om.market_sell(m.market, pos.volume, purpose="signal_exit", strategy=pos.strategy), i
                )
            return
        for name in self.assignments[m.market]:
            sig = m.signals[name]
            if self.enabled[name] and sig.enter[i] and self._try_entry(m, i, sig):
                return

    def _try_entry(self, m: MarketState, i: int, sig: StrategySignals) -> bool:
        now = self.clock.now_ms()
        close = float(m.close[i])
        name = sig.strategy.name
        events: list[Event] = [SignalRaised(now, m.market, name, "enter", decimal_from_float(close))]
        equity, exposure = self.equity_and_exposure(now)
        events += self.risk.observe_equity(now, equity)
        plan = sig.strategy.exit_plan()
        atr = self._atr(m, sig, plan, i)
        rules = self.venue.rules_at(now)
        free = self._free_krw()
        decision = size_entry(
            rules=self.settings.sizing,
            market_rules=rules,
            equity=equity,
            free_krw=free,
            held_value=ZERO,
            price=close,
            stop_distance_pct=plan.stop_pct,
            atr=atr,
        )
        denial = self.risk.entry_denial(
            now,
            equity=equity,
            open_positions=len(self.portfolio.positions) + self._pending_entries(),
            exposure_krw=exposure,
            amount_krw=decision.amount_krw,
        )
        if not denial and not decision.approved:
            denial = decision.reason
        if denial:
            events.append(RiskEvent(now, "entry_denied", denial, m.market, Severity.INFO))
            self._emit(events)
            return False
        self._emit(events)
        order = self.om.market_buy(m.market, decision.amount_krw, purpose="entry", strategy=name)
        self._submit(m, order, i)
        return True

    def _atr(self, m: MarketState, sig: StrategySignals, plan: ExitPlan, i: int) -> float | None:
        """ATR at bar ``i`` for sizing and exits: the strategy's own when it supplies one, else the
        engine's (only computed when ATR sizing or an ATR stop needs it)."""
        if sig.atr is not None:
            return float(sig.atr[i])
        if self.settings.sizing.method is SizingMethod.ATR or plan.atr_stop_mult is not None:
            return m.atr_at(i, self.settings.atr_period)
        return None

    def entry_check(self) -> EntryCheck:
        """Whether the cash, rules and settings in force let any entry be sized (see ``risk.preflight``)."""
        now = self.clock.now_ms()
        rules = self.venue.rules_at(now)
        equity, _ = self.equity_and_exposure()
        return check_entries(
            cash_krw=equity,
            sizing=self.settings.sizing,
            limits=self.settings.limits,
            rules=rules,
            exit_plans={name: strategy.exit_plan() for name, strategy in self.strategies.items()},
            more_cash="[account] cash_krw" if self.venue.answers_at_once else "a KRW deposit on the exchange",
        )

    def announce_entry_check(self) -> EntryCheck:
        """Log and publish (as risk events) every reason entries can never be placed; done at start."""
        check = self.entry_check()
        now = self.clock.now_ms()
        for message in (*check.errors, *check.warnings):
            log.warning("entries will be denied: %s", message)
        self._emit([RiskEvent(now, "cannot_enter", message) for message in (*check.errors, *check.warnings)])
        return check

    def _pending_entries(self) -> int:
        return sum(1 for m in self.markets.values() if m.pending and m.position is None)

    # --- orders and fills ----------------------------------------------------------------------

    def _submit(self, m: MarketState, order: Order, i: int) -> None:
        m.pending.add(order.identifier)
        self._emit(self.om.submit(order))
        if self.venue.answers_at_once:
            self._pump(i)

    def _free_krw(self) -> Decimal:
        bal = self.venue.balances().get("KRW")
        return bal.free if bal is not None else ZERO

    def poll(self) -> None:
        """Apply whatever the venue reported since the last call (live and paper)."""
        self._pump(None)

    def _pump(self, bar_index: int | None) -> None:
        """Apply the venue's reports: orders, then the portfolio, positions and exits, and only
        then tell anyone (the order events first, what they caused after), so a listener that
        hears of a fill finds it in the portfolio."""
        reports = self.venue.drain()
        if not reports:
            return
        applied, events = self.om.apply(reports)
        if self._held is not None:  # reports of an order placed while applying earlier ones
            self._held.extend(events)
            self._apply(applied, bar_index)
            return
        self._held = []
        try:
            self._apply(applied, bar_index)
        finally:
            caused, self._held = self._held, None
            self._emit(events)
            self._emit(caused)

    def _apply(self, applied: Sequence[AppliedReport], bar_index: int | None) -> None:
        for item in applied:
            order = item.order
            m = self.markets.get(order.market)
            if m is None:
                continue
            index = bar_index if bar_index is not None else max(m.n - 1, 0)
            for fill in item.fills:
                self._on_fill(m, order, fill, index)
            if order.state.is_terminal:
                m.pending.discard(order.identifier)
                if order.state is OrderState.REJECTED:
                    self._emit(
                        [
                            RiskEvent(
                                order.updated_ms, "order_rejected", f"{order.identifier}: {order.reason}", order.market
                            )
                        ]
                    )
                pos = m.position
                if pos is not None and order.purpose == "entry" and pos.tracker is None:
                    self._arm(m, pos, index)

    def _on_fill(self, m: MarketState, order: Order, fill: Fill, index: int) -> None:
        pos, closed = self.portfolio.apply_fill(fill, strategy=order.strategy)
        self.trade_marks.add(TradeMark.of_fill(fill, order.purpose, closed_position=closed is not None))
        if fill.side is Side.BID:
            m.position = pos
            if pos.sold_volume == 0:
                # (re)armed from the average price once the entry order has completed
                pos.tracker = None
                if not order.state.is_open:
                    self._arm(m, pos, index)
            return
        if closed is not None:
            m.position = None
            m.trigger = None
            now = self.clock.now_ms()
            events: list[Event] = [PositionClosed(now, m.market, closed.pnl, closed.return_pct, closed.exit_reason)]
            events += self.risk.on_trade_closed(now, closed.pnl)
            equity, _ = self.equity_and_exposure(now)
            events += self.risk.observe_equity(now, equity)
            self._emit(events)

    def _arm(self, m: MarketState, pos: Position, index: int) -> None:
        """Set up the exits of a freshly filled entry."""
        strategy = self.strategies.get(pos.strategy)
        if strategy is None:
            return
        sig = m.signals.get(pos.strategy)
        plan = strategy.exit_plan()
        atr = self._atr(m, sig, plan, index - 1) if sig is not None and index > 0 else None
        pos.tracker = ExitTracker(float(pos.avg_price), index, plan, atr)
        pos.entry_ms = self.clock.now_ms()
        m.trigger = None
        m.scanned_to = index
        self._emit(
            [
                PositionOpened(
                    pos.entry_ms,
                    m.market,
                    pos.volume,
                    pos.avg_price,
                    decimal_from_float(pos.tracker.stop_level) if pos.tracker.effective_stop else None,
                )
            ]
        )

    def _next_event(self, m: MarketState) -> int | None:
        return m.next_event([name for name in self.assignments[m.market] if self.enabled[name]])

    def _process(self, batch: list[tuple[MarketState, int]]) -> None:
        for m, k in batch:
            self._open_phase(m, k)
        for m, k in batch:
            self._intrabar_phase(m, k)
        for m, k in batch:
            self._close_phase(m, k)
            m.cursor = k + 1

    # --- drivers -------------------------------------------------------------------------------

    def run_history(self, progress: ProgressCallback | None = None) -> None:
        """Run every loaded market to its last bar, in time order across markets."""
        heap: list[tuple[int, int, str]] = []
        order = {name: idx for idx, name in enumerate(self.markets)}
        first = min((int(m.ts_s[0]) for m in self.markets.values() if m.n), default=0)
        last = max((int(m.ts_s[m.n - 1]) for m in self.markets.values() if m.n), default=0)
        span = max(last - first, 1)
        for m in self.markets.values():
            self._ensure_signals(m)
            k = self._next_event(m)
            if k is not None:
                heapq.heappush(heap, (int(m.ts_s[k]), order[m.market], m.market))
        steps = 0
        while heap:
            t = heap[0][0]
            batch: list[tuple[MarketState, int]] = []
            while heap and heap[0][0] == t:
                _, _, name = heapq.heappop(heap)
                m = self.markets[name]
                batch.append((m, int(m.index_at(t))))
            self._process(batch)
            for m, _ in batch:
                k = self._next_event(m)
                if k is not None:
                    heapq.heappush(heap, (int(m.ts_s[k]), order[m.market], m.market))
            steps += 1
            if progress is not None and steps % 512 == 0:
                progress((t - first) / span)
        for m in self.markets.values():
            m.cursor = m.n
            self.bars_processed += m.n
        if progress is not None:
            progress(1.0)

    def on_bar(self, bar: Bar) -> None:
        """A bar closed (live, paper, demo). Bars finer than the strategies' timeframe are
        rolled up; the engine acts when a bar of its own timeframe closes."""
        m = self.markets.get(bar.market)
        if m is None:
            return
        if bar.timeframe is not m.timeframe:
            aggregator = self._aggregators.get(bar.market)
            if aggregator is None:
                check_resample_target(bar.timeframe, m.timeframe)  # raises for a coarser feed
                aggregator = self._aggregators[bar.market] = CandleAggregator(m.timeframe)
            closed = aggregator.update(bar)
            if closed is None:
                self.poll()
                return
            bar = closed
        self._ensure_signals(m)
        self.poll()
        m.append(bar)
        close_ms = (bar.ts_s + m.timeframe.seconds) * 1000
        now = max(close_ms, self.clock.now_ms()) if self._sim_clock is not None else self.clock.now_ms()
        for name in self.assignments[m.market]:
            try:
                m.decide_latest(name, now)
            except Exception as exc:  # a broken strategy is switched off, trading goes on
                log.exception("strategy %s failed on %s", name, m.market)
                self.enabled[name] = False
                self._emit([StrategyChanged(now, name, False, f"disabled after an error: {exc}")])
        self.bars_processed += 1
        while True:
            k = self._next_event(m)
            if k is None:
                m.cursor = m.n
                break
            self._process([(m, k)])
        self._bound_history(m)
        self._set_time(close_ms)

    def _bound_history(self, m: MarketState) -> None:
        """Keep a running market's candles bounded (amortised: trims to ``keep`` at ``2 * keep``)."""
        if m.n < 2 * self.settings.live_history_bars:  # the common case, decided without the windows
            return
        windows = [self.strategies[name].window_bars for name in self.assignments.get(m.market, [])]
        keep = max(self.settings.live_history_bars, 2 * max(windows, default=0))
        if m.n >= 2 * keep:
            m.forget_oldest(keep)

    def mark_price(self, market: str, now_ms: int | None = None) -> Decimal | None:
        m = self.markets.get(market)
        if m is None or m.n == 0:
            return None
        # at time t only bars that have closed by t count (open time + period <= t): no look-ahead
        i = m.n - 1 if now_ms is None else m.index_at(now_ms // 1000 - m.timeframe.seconds)
        return decimal_from_float(float(m.close[i])) if i >= 0 else None

    def equity_and_exposure(self, now_ms: int | None = None) -> tuple[Decimal, Decimal]:
        exposure = ZERO
        for market, pos in self.portfolio.positions.items():
            mark = self.mark_price(market, now_ms)
            exposure += pos.volume * (mark if mark is not None else pos.avg_price)
        return self.portfolio.cash + exposure, exposure

    @property
    def state(self) -> EngineState:
        return self.risk.state

    # --- commands (what the trader and the control API ask of the engine) ----------------------

    def pause(self, reason: str = "paused by the trader") -> None:
        self._emit(self.risk.pause(self.clock.now_ms(), reason))

    def resume(self, reason: str = "resumed by the trader") -> None:
        self._emit(self.risk.resume(self.clock.now_ms(), reason))

    def reset_description(self) -> str:
        """What :meth:`reset` re-enables: the enabled strategies and their markets."""
        enabled = {
            name: [market for market, names in self.assignments.items() if name in names]
            for name in self.strategies
            if self.enabled[name]
        }
        return reset_text(enabled)

    def reset(self) -> str:
        """Lift the kill switch (HALTED → RUNNING) and return what that re-enabled; '' when the
        engine was not halted. ``resume`` never does this."""
        if self.risk.state is not EngineState.HALTED:
            return ""
        text = self.reset_description()
        self._emit(self.risk.reset(self.clock.now_ms(), text))
        return text

    def pause_for_feed(self, reason: str) -> None:
        self._emit(self.risk.pause_for_feed(self.clock.now_ms(), reason))

    def resume_after_feed(self) -> None:
        self._emit(self.risk.resume_after_feed(self.clock.now_ms()))

    def reduce_only(self, reason: str = "reduce-only set by the trader") -> None:
        self._emit(self.risk.reduce_only(self.clock.now_ms(), reason))

    def kill(self, *, flatten: bool = False, reason: str = "kill switch") -> None:
        """HALT: cancel every open order; with ``flatten`` also sell every position at market."""
        now = self.clock.now_ms()
        self._emit(self.risk.halt(now, reason + (" (flatten)" if flatten else "")))
        self.cancel_all_orders()
        if flatten:
            self.flatten()

    def cancel_all_orders(self) -> None:
        for order in self.om.open_orders():
            self.om.cancel(order.identifier)
        self._pump(None)

    def flatten(self) -> None:
        for m in self.markets.values():
            pos = m.position
            if pos is None or m.pending or pos.volume <= 0:
                continue
            pos.exit_reason = "flatten"
            self._submit(
                m, self.om.market_sell(m.market, pos.volume, purpose="flatten", strategy=pos.strategy), max(m.n - 1, 0)
            )

    def set_strategy_enabled(self, name: str, enabled: bool) -> None:
        if name not in self.strategies:
            raise KeyError(f"unknown strategy {name!r}; running: {', '.join(self.strategies)}")
        if self.enabled[name] != enabled:
            self.enabled[name] = enabled
            self._emit([StrategyChanged(self.clock.now_ms(), name, enabled)])

    def set_risk(self, *, sizing: SizingRules, limits: AccountLimits, note: str = "risk settings changed") -> None:
        """New sizing and account limits, in force from the next decision on."""
        self.settings = replace(self.settings, sizing=sizing, limits=limits)
        self.risk.limits = limits
        self._emit([Notice(self.clock.now_ms(), note, Severity.INFO, source="settings")])

    def replace_strategy(self, strategy: Strategy) -> None:
        """New parameters for a running strategy; decisions from the next bar on use them."""
        name = strategy.name
        if name not in self.strategies:
            raise KeyError(f"unknown strategy {name!r}")
        self.strategies[name] = strategy
        for m in self.markets.values():
            sig = m.signals.get(name)
            if sig is not None:
                sig.strategy = strategy
        self._emit([StrategyChanged(self.clock.now_ms(), name, self.enabled[name], "parameters changed")])

    # --- restart: what recovery (execution/recovery.py) drives -------------------------------

    def trades(self, market: str, strategy: str) -> bool:
        """Whether ``strategy`` runs and trades ``market`` in this session."""
        return strategy in self.assignments.get(market, ())

    def holdings(self) -> dict[str, Decimal]:
        """Coin → volume of the open positions (``KRW-BTC`` → ``BTC``)."""
        return {market.split("-", 1)[1]: pos.volume for market, pos in self.portfolio.positions.items()}

    def recall_fills(self, fills: Iterable[tuple[Fill, Order]]) -> FillReplay:
        """What earlier runs' fills add up to (see :func:`~tradetui.engine.restore.replay_fills`);
        their marks of the markets traded now join the chart. Nothing else changes."""
        replay = replay_fills(fills)
        self.trade_marks.extend(m for m in replay.marks if m.market in self.markets)
        return replay

    def restore_position(
        self,
        market: str,
        *,
        strategy: str,
        volume: Decimal,
        avg_price: Decimal,
        entry_ms: int,
        exit_state: Mapping[str, object] | None,
    ) -> Position:
        """Re-arm a position of an earlier run with its engine-side exits (after :meth:`warm_up`).

        ``exit_state`` is the stored tracker snapshot (empty: no engine-side exits); None arms
        the strategy's exits afresh from ``avg_price``. Bar indices of the old session are
        mapped onto this one by time, so a time stop still counts the bars held before."""
        if not self.trades(market, strategy):
            raise ValueError(f"cannot restore {market}: no strategy {strategy!r} trades it now")
        m = self.markets[market]
        plan = self.strategies[strategy].exit_plan()
        tracker: ExitTracker | None = None
        if exit_state is None:
            tracker = ExitTracker(float(avg_price), 0, plan)
        elif exit_state:
            tracker = ExitTracker.restore(plan, dict(exit_state))
        if tracker is not None:
            bars_held = max(0, (self.clock.now_ms() - entry_ms) // (m.timeframe.seconds * 1000))
            tracker.entry_index = m.n - 1 - int(bars_held) if m.n else -int(bars_held)
        pos = Position(market, strategy, entry_ms, volume=volume, bought_volume=volume, bought_funds=avg_price * volume)
        pos.tracker = tracker
        self.portfolio.positions[market] = pos
        m.position = pos
        m.trigger = None
        m.scanned_to = m.n
        stop = decimal_from_float(tracker.stop_level) if tracker is not None and tracker.effective_stop else None
        self._emit([PositionOpened(self.clock.now_ms(), market, volume, avg_price, stop)])
        return pos

    def adopt_order(self, order: Order) -> None:
        """Track an open (or unanswered) order of an earlier run as this run's own: its market
        waits for it like for an order sent now, and its reports apply as usual."""
        self.om.orders[order.identifier] = order
        m = self.markets.get(order.market)
        if m is not None:
            m.pending.add(order.identifier)

    def set_cash(self, krw: Decimal) -> None:
        """The KRW the account holds, as the exchange reported it."""
        self.portfolio.cash = krw
