"""Restart recovery on the memory journal and a fake exchange: what the journal had open is
resolved before positions are rebuilt, positions come from the fills with their stored exits,
and what is open is adopted through the engine's public methods (never resent, never lost)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from tradetui.candles.synthetic import generate_market
from tradetui.core.clock import SimClock
from tradetui.core.events import Event, PositionOpened, RiskEvent
from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.ports import Balance, ExchangeView
from tradetui.core.rules import UPBIT_RULES
from tradetui.core.types import Side
from tradetui.engine.engine import Engine
from tradetui.engine.settings import Assignment, EngineSettings
from tradetui.errors import TransientVenueError, VenueError
from tradetui.execution.order_manager import MemoryJournal
from tradetui.execution.recovery import Recovery, recover
from tradetui.storage.records import StoredPosition
from tradetui.strategies.registry import create
from tradetui.venues.simulated import SimulatedVenue

D = Decimal
BTC = "KRW-BTC"
T0 = 1_700_000_000_000

Answer = tuple[Order, list[Fill]] | VenueError | None


@dataclass
class FakeExchange:
    """Answers lookups from a table, holds balances and open orders, records adoptions."""

    answers: dict[str, Answer] = field(default_factory=dict)
    open: list[Order] = field(default_factory=list)
    held: dict[str, Decimal] = field(default_factory=dict)
    adopted: list[tuple[Order, set[str]]] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)

    async def lookup(self, identifier: str) -> tuple[Order, list[Fill]] | None:
        self.lookups.append(identifier)
        answer = self.answers.get(identifier)
        if isinstance(answer, VenueError):
            raise answer
        return answer

    def adopt(self, order: Order, seen_trades: Iterable[str] = ()) -> None:
        self.adopted.append((order, set(seen_trades)))

    def exchange_view(self) -> ExchangeView:
        return self

    async def order_by_identifier(self, identifier: str) -> Order | None:
        found = await self.lookup(identifier)
        return None if found is None else found[0]

    async def open_orders(self) -> list[Order]:
        return list(self.open)

    async def balances(self) -> dict[str, Balance]:
        return {c: Balance(c, v, D(0)) for c, v in self.held.items()}

    async def refresh_balances(self) -> dict[str, Balance]:
        return await self.balances()


def _engine(strategies: tuple[str, ...] = ("breakout",)) -> tuple[Engine, list[Event]]:
    series = generate_market(BTC, bars=300, seed=5)
    clock = SimClock(int(series.ts_s[0]) * 1000)
    engine = Engine(
        clock=clock,
        venue=SimulatedVenue(UPBIT_RULES, clock, cash_krw=D(0)),
        rule_book=UPBIT_RULES,
        assignments=[Assignment(create(name), (BTC,)) for name in strategies],
        settings=EngineSettings(id_prefix="live"),
        journal=MemoryJournal(),
    )
    engine.warm_up(series)
    clock.set_ms((int(series.ts_s[-1]) + series.timeframe.seconds) * 1000)
    events: list[Event] = []
    engine.listeners.append(events.extend)
    return engine, events


def _buy(ident: str, created_ms: int, *, strategy: str = "breakout") -> Order:
    return Order(ident, BTC, Side.BID, OrdType.PRICE, D(200_000), None, created_ms, strategy=strategy)


def _sell(ident: str, created_ms: int, volume: Decimal, purpose: str = "stop") -> Order:
    return Order(ident, BTC, Side.ASK, OrdType.MARKET, None, volume, created_ms, purpose=purpose, strategy="breakout")


def _fill(order: Order, trade: str, price: str, volume: str, ts_ms: int) -> Fill:
    p, v = D(price), D(volume)
    return Fill(order.identifier, trade, order.market, order.side, p, v, p * v * D("0.0005"), ts_ms)


def _done(order: Order, fills: list[Fill]) -> Order:
    for f in fills:
        order = order.with_fill(f)
    return order.to_state(OrderState.DONE, fills[-1].ts_ms)


def _journal_with(*pairs: tuple[Order, list[Fill]]) -> MemoryJournal:
    journal = MemoryJournal()
    for order, fills in pairs:
        journal.record(order)
        for f in fills:
            journal.record_fill(f)
    return journal


def _recover(
    engine: Engine, exchange: FakeExchange, journal: MemoryJournal, saved: list[StoredPosition] | None = None
) -> Recovery:
    return asyncio.run(recover(engine, exchange, journal, saved or []))


def test_a_filled_position_comes_back_with_its_stored_exits_and_the_exchange_cash() -> None:
    engine, events = _engine()
    buy = _buy("live-1", T0)
    fills = [_fill(buy, "t1", "50000000", "0.001", T0 + 10), _fill(buy, "t2", "50100000", "0.001", T0 + 11)]
    journal = _journal_with((_done(buy, fills), fills))
    stop: dict[str, object] = {
        "entry_price": 50050000.0, "entry_index": 0, "atr_at_entry": None, "stop_level": 49000000.0,
        "targets": [], "trailing_active": False, "high_water": 50500000.0, "targets_hit": 0,
    }  # fmt: skip
    saved = StoredPosition(BTC, D("0.002"), D("50050000"), T0 + 20, "breakout", T0, stop)
    exchange = FakeExchange(held={"KRW": D("1234567"), "BTC": D("0.002")})

    result = _recover(engine, exchange, journal, [saved])

    pos = engine.portfolio.positions[BTC]
    assert (pos.volume, pos.avg_price, pos.strategy) == (D("0.002"), D("50050000"), "breakout")
    assert pos.tracker is not None and pos.tracker.stop_level == 49000000.0
    assert pos.tracker.high_water == 50500000.0
    assert engine.portfolio.cash == D("1234567") == result.cash
    assert result.restored == [BTC] and result.rearmed_afresh == []
    assert any(isinstance(e, PositionOpened) and e.market == BTC for e in events)
    assert result.report.balance_differences == {}
    assert exchange.lookups == [] and exchange.adopted == []  # nothing was open


def test_an_order_open_in_the_journal_is_resolved_before_positions_are_rebuilt() -> None:
    """The journal saw the intent only (killed before the answer); the exchange filled it."""
    engine, _ = _engine()
    buy = _buy("live-1", T0)
    fill = _fill(buy, "t1", "50000000", "0.002", T0 + 5)
    journal = _journal_with((buy, []))
    exchange = FakeExchange(answers={"live-1": (_done(buy, [fill]), [fill])}, held={"BTC": D("0.002")})

    result = _recover(engine, exchange, journal)

    assert journal.fills == [fill]
    assert journal.orders["live-1"].state is OrderState.DONE
    assert journal.orders["live-1"].strategy == "breakout"  # local fields kept
    assert set(result.resolved) == {"live-1"}
    assert engine.portfolio.positions[BTC].volume == D("0.002")
    assert result.rearmed_afresh == [BTC]  # no stored exits: armed from the average price
    tracker = engine.portfolio.positions[BTC].tracker
    assert tracker is not None and tracker.entry_price == 50000000.0
    assert exchange.lookups == ["live-1"]  # asked once, though reconcile also looks at it
    assert exchange.adopted == [] and "live-1" not in engine.om.orders


def test_an_intent_the_exchange_never_saw_is_closed_never_resent() -> None:
    engine, events = _engine()
    journal = _journal_with((_buy("live-1", T0), []))
    result = _recover(engine, FakeExchange(answers={"live-1": None}), journal)
    assert journal.orders["live-1"].state is OrderState.REJECTED
    assert [o.identifier for o in result.report.never_sent] == ["live-1"]
    assert engine.portfolio.positions == {} and engine.om.orders == {}
    assert any(isinstance(e, RiskEvent) and "never reached the exchange" in e.message for e in events)


def test_an_unanswered_order_stays_unknown_and_is_followed() -> None:
    engine, _ = _engine()
    buy = _buy("live-1", T0)
    journal = _journal_with((buy, []))
    exchange = FakeExchange(answers={"live-1": TransientVenueError("timeout")})

    result = _recover(engine, exchange, journal)

    assert journal.orders["live-1"].state is OrderState.UNKNOWN
    assert [o.identifier for o in result.report.unanswered] == ["live-1"]
    assert [(o.identifier, o.state) for o, _ in exchange.adopted] == [("live-1", OrderState.UNKNOWN)]
    assert engine.om.orders["live-1"].state is OrderState.UNKNOWN
    assert engine.markets[BTC].pending == {"live-1"}  # no new entry on BTC until it is answered


def test_an_order_still_open_on_the_exchange_is_adopted_with_the_trades_already_applied() -> None:
    engine, _ = _engine()
    sell_volume = D("0.002")
    buy = _buy("live-1", T0)
    bought = _fill(buy, "t1", "50000000", "0.002", T0 + 5)
    sell = _sell("live-2", T0 + 100, sell_volume, purpose="take_profit")
    part = _fill(sell, "t2", "51000000", "0.001", T0 + 110)
    journal = _journal_with((_done(buy, [bought]), [bought]), (sell, []))
    open_sell = sell.to_state(OrderState.WAIT, T0 + 101).with_fill(part)
    exchange = FakeExchange(answers={"live-2": (open_sell, [part])}, open=[open_sell], held={"BTC": D("0.001")})

    result = _recover(engine, exchange, journal)

    assert engine.portfolio.positions[BTC].volume == D("0.001")  # the part fill is booked
    assert [(o.identifier, seen) for o, seen in exchange.adopted] == [("live-2", {"t2"})]
    assert engine.om.orders["live-2"].state is OrderState.WAIT
    assert engine.om.orders["live-2"].purpose == "take_profit"
    assert engine.markets[BTC].pending == {"live-2"}
    assert result.report.foreign == [] and result.report.balance_differences == {}


def test_round_trips_the_history_lacks_are_added_once() -> None:
    engine, _ = _engine()
    buy = _buy("live-1", T0)
    b = _fill(buy, "t1", "50000000", "0.002", T0 + 5)
    sell = _sell("live-2", T0 + 100, D("0.002"))
    s = _fill(sell, "t2", "49000000", "0.002", T0 + 110)
    journal = _journal_with((_done(buy, [b]), [b]), (_done(sell, [s]), [s]))

    first = _recover(engine, FakeExchange(), journal)
    assert first.closed_added == 1
    (trade,) = journal.closed
    assert (trade.market, trade.exit_ms, trade.exit_reason) == (BTC, T0 + 110, "stop")
    assert trade.pnl < 0
    assert engine.portfolio.positions == {}
    again, _ = _engine()
    assert _recover(again, FakeExchange(), journal).closed_added == 0
    assert len(journal.closed) == 1


def test_exits_stored_for_an_earlier_episode_are_not_reused() -> None:
    """Sold out and bought again before the kill: the stored stop belonged to the first position."""
    engine, _ = _engine()
    buy1, sell, buy2 = _buy("live-1", T0), _sell("live-2", T0 + 100, D("0.002")), _buy("live-3", T0 + 200)
    f1 = _fill(buy1, "t1", "50000000", "0.002", T0 + 5)
    f2 = _fill(sell, "t2", "52000000", "0.002", T0 + 110)
    f3 = _fill(buy2, "t3", "60000000", "0.001", T0 + 205)
    journal = _journal_with((_done(buy1, [f1]), [f1]), (_done(sell, [f2]), [f2]), (_done(buy2, [f3]), [f3]))
    old = StoredPosition(BTC, D("0.002"), D("50000000"), T0 + 50, "breakout", T0, {"stop_level": 1.0})

    result = _recover(engine, FakeExchange(held={"BTC": D("0.001")}), journal, [old])

    assert result.rearmed_afresh == [BTC]
    pos = engine.portfolio.positions[BTC]
    assert pos.entry_ms == T0 + 200 and pos.avg_price == D("60000000")
    assert pos.tracker is not None and pos.tracker.entry_price == 60000000.0


def test_a_position_of_a_strategy_not_traded_now_is_left_alone_and_flagged() -> None:
    engine, events = _engine()
    buy = _buy("live-1", T0, strategy="retired")
    f = _fill(buy, "t1", "50000000", "0.002", T0 + 5)
    journal = _journal_with((_done(buy, [f]), [f]))

    result = _recover(engine, FakeExchange(held={"BTC": D("0.002")}), journal)

    assert result.left_alone == [BTC] and engine.portfolio.positions == {}
    # the coins are on the exchange, but no position of this run holds them: said, not guessed
    assert result.report.balance_differences == {"BTC": (D(0), D("0.002"))}
    assert any(isinstance(e, RiskEvent) and e.rule == "balance_mismatch" for e in events)


def test_a_foreign_open_order_is_flagged_and_left_alone() -> None:
    engine, _ = _engine()
    foreign = Order("theirs", BTC, Side.BID, OrdType.LIMIT, D(1000), D(1), T0, state=OrderState.WAIT)
    exchange = FakeExchange(open=[foreign])
    result = _recover(engine, exchange, MemoryJournal())
    assert [o.identifier for o in result.report.foreign] == ["theirs"]
    assert exchange.adopted == [] and engine.om.orders == {}


def test_restoring_a_market_the_engine_does_not_trade_is_refused_by_name() -> None:
    engine, _ = _engine()
    with pytest.raises(ValueError, match="KRW-ETH"):
        engine.restore_position(
            "KRW-ETH", strategy="breakout", volume=D(1), avg_price=D(1), entry_ms=T0, exit_state=None
        )
