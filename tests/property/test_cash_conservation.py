"""Cash and coin are conserved through the simulated venue's fills, net of fees.

A Hypothesis state machine places market buys/sells, limit bids/asks, cancels, marks, bar touches
and clock moves on one or two markets of a :class:`SimulatedVenue`, and after every step checks
the wallets against the fills reported by ``drain()`` and against a :class:`Portfolio` fed the
same fills.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import ROUND_UP, Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tradetui.core.clock import DAY_MS, SimClock
from tradetui.core.market import Exchange
from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.rules import (
    BITHUMB_LOW_FEE,
    BITHUMB_RULES,
    UPBIT_RULES,
    MarketRules,
    PriceRounding,
    RuleBook,
    with_overrides,
)
from tradetui.core.types import ZERO, Side
from tradetui.engine.portfolio import Portfolio
from tradetui.venues.simulated import SimulatedVenue

D = Decimal
FEE_PLACES = D("0.00000001")


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


BOOKS: dict[str, RuleBook] = {
    "upbit": UPBIT_RULES,
    "bithumb": BITHUMB_RULES,
    "bithumb_low_fee": with_overrides(BITHUMB_RULES, maker_fee=BITHUMB_LOW_FEE, taker_fee=BITHUMB_LOW_FEE),
    "upbit_maker_cheaper": with_overrides(UPBIT_RULES, maker_fee=D("0.0002")),
}
STARTS = [
    _ms("2021-06-01T00:00:00"),
    _ms("2024-01-28T20:00:00"),  # classic → 2024 table
    _ms("2025-03-20T22:00:00"),  # KRW-USDT 0.5 exception
    _ms("2025-07-30T23:00:00"),  # 2025 table
]
MARKETS = {
    "KRW-BTC": D("95000000"),
    "KRW-XRP": D("987"),  # near the 1,000 band edge: tick 1/5 (classic), 0.1/1 (2024), 1 (2025)
    "KRW-USDT": D("1400"),
}


@dataclass
class _Expected:
    order: Order
    lock: Decimal
    fee_rate: Decimal  # the rate this order is charged
    ref: Decimal | None = None


def _reserve(total: Decimal, rules: MarketRules, *, market_buy: bool) -> Decimal:
    """The fee a bid locks: taker on a market buy, the larger fee on a limit order, rounded up to
    8 decimals (as the exchanges reserve it)."""
    rate = rules.taker_fee if market_buy else max(rules.maker_fee, rules.taker_fee)
    return (total * rate).quantize(D("1E-8"), rounding=ROUND_UP)


def _under_min(rules: MarketRules, side: str) -> str:
    return f"under_min_total_{side}" if rules.exchange is Exchange.UPBIT else f"under_price_limit_{side}"


class VenueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.seq = 0

    # --- set-up -------------------------------------------------------------------------------

    @initialize(
        book=st.sampled_from(sorted(BOOKS)),
        start=st.sampled_from(STARTS),
        cash=st.sampled_from([D("20000"), D("1000000"), D("50000000")]),
        slippage=st.sampled_from([0.0, 5.0]),
        markets=st.sampled_from([("KRW-BTC",), ("KRW-XRP",), ("KRW-BTC", "KRW-XRP"), ("KRW-USDT", "KRW-XRP")]),
        seed=st.booleans(),
    )
    def setup(
        self, book: str, start: int, cash: Decimal, slippage: float, markets: tuple[str, ...], seed: bool
    ) -> None:
        self.book = BOOKS[book]
        self.clock = SimClock(start)
        self.venue = SimulatedVenue(self.book, self.clock, cash_krw=cash, slippage_bps=slippage)
        self.slip = D(str(slippage)) / 10000
        self.start_cash = cash
        self.markets = markets
        self.prices = {m: self._rules().round_price(m, MARKETS[m], PriceRounding.NEAREST) for m in markets}
        self.krw = cash
        self.coins: dict[str, Decimal] = {}
        self.fees = ZERO
        self.portfolio = Portfolio(cash=cash)
        self.open: dict[str, _Expected] = {}
        if seed:  # start with some coin of every market, bought through the venue like any other fill
            for market in markets:
                amount = D(int(self._free("KRW") / 3))
                order = Order(self._next_id(), market, Side.BID, OrdType.PRICE, amount, None, start)
                self._submit(order, self._bid_rejection(amount, market_buy=True))
                self.venue.mark(market, float(self.prices[market]))
                self._drain()

    def _rules(self) -> MarketRules:
        return self.book.at(self.clock.now_ms() // 1000)

    def _next_id(self) -> str:
        self.seq += 1
        return f"t-{self.seq}"

    def _balance(self, currency: str) -> tuple[Decimal, Decimal]:
        b = self.venue.balances().get(currency)
        return (ZERO, ZERO) if b is None else (b.free, b.locked)

    def _wallets(self) -> dict[str, tuple[Decimal, Decimal]]:
        """Balances with empty wallets left out (a venue may create one on first look-up)."""
        return {c: (b.free, b.locked) for c, b in self.venue.balances().items() if b.free or b.locked}

    def _free(self, currency: str) -> Decimal:
        return self._balance(currency)[0]

    # --- bookkeeping of reports ---------------------------------------------------------------

    def _apply(self, fill: Fill, expected: _Expected | None) -> None:
        base = fill.market.split("-", 1)[1]
        if expected is not None:
            assert fill.fee == (fill.funds * expected.fee_rate).quantize(FEE_PLACES)
        if fill.side is Side.BID:
            self.krw -= fill.funds + fill.fee
            self.coins[base] = self.coins.get(base, ZERO) + fill.volume
        else:
            self.krw += fill.funds - fill.fee
            self.coins[base] = self.coins.get(base, ZERO) - fill.volume
        self.fees += fill.fee
        self.portfolio.apply_fill(fill, strategy="prop")

    def _drain(self) -> list[tuple[Order, tuple[Fill, ...]]]:
        out = []
        for report in self.venue.drain():
            expected = self.open.get(report.order.identifier)
            for fill in report.fills:
                self._apply(fill, expected)
            if report.order.state.is_terminal:
                self.open.pop(report.order.identifier, None)
            out.append((report.order, report.fills))
        return out

    def _submit(self, order: Order, predicted_rejection: str) -> None:
        before = self._wallets()
        rules = self._rules()
        self.venue.submit(order)
        reports = self._drain()
        assert len(reports) == 1
        got, fills = reports[0]
        assert fills == ()
        if predicted_rejection:
            assert got.state is OrderState.REJECTED
            assert got.reason == predicted_rejection
            assert self._wallets() == before  # a rejected order changes no balance
            return
        assert got.state is OrderState.WAIT, got.reason
        if order.side is Side.BID:
            assert order.price is not None  # the KRW amount of a market buy, the limit price of a limit bid
            total = order.price
            if order.ord_type is not OrdType.PRICE:
                assert order.volume is not None
                total *= order.volume
            lock = total + _reserve(total, rules, market_buy=order.ord_type is OrdType.PRICE)
        else:
            assert order.volume is not None
            lock = order.volume
        rate = rules.maker_fee if order.ord_type is OrdType.LIMIT else rules.taker_fee
        self.open[order.identifier] = _Expected(got, lock, rate)

    def _bid_rejection(self, total: Decimal, *, market_buy: bool) -> str:
        rules = self._rules()
        if total < rules.min_total_krw:
            return _under_min(rules, "bid")
        if total > rules.max_total_krw:
            return "over_krw_funds_bid"
        if self._free("KRW") < total + _reserve(total, rules, market_buy=market_buy):
            return "insufficient_funds_bid"
        return ""

    # --- actions ------------------------------------------------------------------------------

    @rule(data=st.data(), share=st.floats(0.0, 1.3))
    def market_buy(self, data: st.DataObject, share: float) -> None:
        market = data.draw(st.sampled_from(self.markets))
        amount = D(int(self._free("KRW") * D(str(share)))) + data.draw(st.integers(1, 6000))
        order = Order(self._next_id(), market, Side.BID, OrdType.PRICE, amount, None, self.clock.now_ms())
        self._submit(order, self._bid_rejection(amount, market_buy=True))

    @rule(data=st.data(), share=st.floats(0.01, 1.2))
    def market_sell(self, data: st.DataObject, share: float) -> None:
        market = data.draw(st.sampled_from(self.markets))
        base = market.split("-", 1)[1]
        free = self._free(base)
        vol: Decimal = self._rules().truncate_volume(free * D(str(share)))
        if vol <= 0:
            vol = D("0.001")  # nothing held: must be refused
        order = Order(self._next_id(), market, Side.ASK, OrdType.MARKET, None, vol, self.clock.now_ms())
        self._submit(order, "insufficient_funds_ask" if free < vol else "")

    @rule(data=st.data(), below=st.integers(0, 40), spend=st.integers(1000, 3_000_000))
    def limit_bid(self, data: st.DataObject, below: int, spend: int) -> None:
        market = data.draw(st.sampled_from(self.markets))
        rules = self._rules()
        px = rules.round_price(market, self.prices[market] * (1 - D(below) / 1000), PriceRounding.DOWN)
        vol = rules.truncate_volume(D(spend) / px)
        if vol <= 0:
            return
        order = Order(self._next_id(), market, Side.BID, OrdType.LIMIT, px, vol, self.clock.now_ms())
        self._submit(order, self._bid_rejection(px * vol, market_buy=False))

    @rule(data=st.data(), above=st.integers(0, 40), share=st.floats(0.01, 1.2))
    def limit_ask(self, data: st.DataObject, above: int, share: float) -> None:
        market = data.draw(st.sampled_from(self.markets))
        rules = self._rules()
        base = market.split("-", 1)[1]
        free = self._free(base)
        px = rules.round_price(market, self.prices[market] * (1 + D(above) / 1000), PriceRounding.UP)
        vol: Decimal = rules.truncate_volume(free * D(str(share)))
        if vol <= 0:
            vol = D("0.0001")
        if px * vol < rules.min_total_krw:
            why = _under_min(rules, "ask")
        elif free < vol:
            why = "insufficient_funds_ask"
        else:
            why = ""
        order = Order(self._next_id(), market, Side.ASK, OrdType.LIMIT, px, vol, self.clock.now_ms())
        self._submit(order, why)

    @precondition(lambda self: bool(self.open))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        identifier = data.draw(st.sampled_from(sorted(self.open)))
        self.venue.cancel(identifier)
        reports = self._drain()
        assert [(o.identifier, o.state, f) for o, f in reports] == [(identifier, OrderState.CANCEL, ())]
        self.venue.cancel(identifier)  # a second cancel is a no-op
        assert self.venue.drain() == []

    @rule(data=st.data(), move=st.integers(-60, 60))
    def mark(self, data: st.DataObject, move: int) -> None:
        market = data.draw(st.sampled_from(self.markets))
        rules = self._rules()
        new = rules.round_price(market, self.prices[market] * (1 + D(move) / 1000), PriceRounding.NEAREST)
        self.prices[market] = new
        waiting = {
            i: e for i, e in self.open.items() if e.order.market == market and e.order.ord_type is not OrdType.LIMIT
        }
        self.venue.mark(market, float(new))
        reports = self._drain()
        assert {o.identifier for o, _ in reports} == set(waiting)
        for order, fills in reports:
            assert order.state in (OrderState.DONE, OrderState.CANCEL)
            for fill in fills:
                mode = PriceRounding.UP if order.side is Side.BID else PriceRounding.DOWN
                sign = 1 if order.side is Side.BID else -1
                assert fill.price == rules.round_price(market, new * (1 + sign * self.slip), mode)
                assert not fill.is_maker
            if order.ord_type is OrdType.PRICE and fills:
                assert order.executed_funds <= order.price  # type: ignore[operator]
                assert order.state is (OrderState.CANCEL if order.executed_funds < order.price else OrderState.DONE)  # type: ignore[operator]
            if order.ord_type is OrdType.MARKET:
                assert (order.state is OrderState.DONE) == bool(fills)

    @rule(data=st.data(), down=st.integers(0, 50), up=st.integers(0, 50), gap=st.integers(-30, 30))
    def touch(self, data: st.DataObject, down: int, up: int, gap: int) -> None:
        market = data.draw(st.sampled_from(self.markets))
        rules = self._rules()
        ref = self.prices[market]
        open_ = rules.round_price(market, ref * (1 + D(gap) / 1000), PriceRounding.NEAREST)
        low = rules.round_price(market, open_ * (1 - D(down) / 1000), PriceRounding.DOWN)
        high = rules.round_price(market, open_ * (1 + D(up) / 1000), PriceRounding.UP)
        limits = {
            i: e.order for i, e in self.open.items() if e.order.market == market and e.order.ord_type is OrdType.LIMIT
        }
        self.venue.touch(market, float(open_), float(high), float(low))
        reports = self._drain()
        for order, fills in reports:
            limit = limits.pop(order.identifier)
            assert limit.price is not None
            assert order.state is OrderState.DONE
            assert len(fills) == 1 and fills[0].is_maker
            if order.side is Side.BID:
                assert low < limit.price
                assert fills[0].price == min(limit.price, open_)
            else:
                assert high > limit.price
                assert fills[0].price == max(limit.price, open_)
        for left in limits.values():  # the ones that did not fill were not traded through
            assert left.price is not None
            assert (left.side is Side.BID and low >= left.price) or (left.side is Side.ASK and high <= left.price)
        self.prices[market] = open_

    @rule(dt=st.sampled_from([0, 1000, 3_600_000, DAY_MS // 3, DAY_MS, 40 * DAY_MS]))
    def advance(self, dt: int) -> None:
        self.clock.advance_ms(dt)
        assert self.venue.drain() == []

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def wallets_not_negative(self) -> None:
        for cur, b in self.venue.balances().items():
            assert b.free >= 0, (cur, b)
            assert b.locked >= 0, (cur, b)

    @invariant()
    def locks_match_open_orders(self) -> None:
        balances = self.venue.balances()
        assert {o.identifier for o in self.venue.open_orders()} == set(self.open)
        expected_krw = sum((e.lock for e in self.open.values() if e.order.side is Side.BID), ZERO)
        assert balances["KRW"].locked == expected_krw
        for cur, b in balances.items():
            if cur == "KRW":
                continue
            expected = sum(
                (e.lock for e in self.open.values() if e.order.side is Side.ASK and e.order.market.endswith("-" + cur)),
                ZERO,
            )
            assert b.locked == expected
        if not self.open:
            assert all(b.locked == 0 for b in balances.values())

    @invariant()
    def cash_and_coins_conserved(self) -> None:
        balances = self.venue.balances()
        assert balances["KRW"].total == self.krw
        for cur, b in balances.items():
            if cur != "KRW":
                assert b.total == self.coins.get(cur, ZERO), cur
        assert self.venue.fees_paid == self.fees == self.portfolio.fees_paid

    @invariant()
    def portfolio_agrees(self) -> None:
        balances = self.venue.balances()
        assert self.portfolio.cash == balances["KRW"].total
        for market in self.markets:
            base = market.split("-", 1)[1]
            pos = self.portfolio.positions.get(market)
            held = balances[base].total if base in balances else ZERO
            assert (pos.volume if pos is not None else ZERO) == held


VenueMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
TestVenueMachine = VenueMachine.TestCase


# --- unit tests: rejections, market buy remainder, fees ------------------------------------

JUL_2025 = _ms("2025-08-15T00:00:00")


def _venue(cash: str = "1000000", book: RuleBook = UPBIT_RULES, at: int = JUL_2025) -> tuple[SimulatedVenue, SimClock]:
    clock = SimClock(at)
    return SimulatedVenue(book, clock, cash_krw=D(cash)), clock


def _one(venue: SimulatedVenue, order: Order) -> Order:
    venue.submit(order)
    (report,) = venue.drain()
    return report.order


def _bid(ident: str, market: str, px: str, vol: str) -> Order:
    return Order(ident, market, Side.BID, OrdType.LIMIT, D(px), D(vol), 0)


def _ask(ident: str, market: str, px: str, vol: str) -> Order:
    return Order(ident, market, Side.ASK, OrdType.LIMIT, D(px), D(vol), 0)


def _buy(ident: str, market: str, amount: str) -> Order:
    return Order(ident, market, Side.BID, OrdType.PRICE, D(amount), None, 0)


def _sell(ident: str, market: str, vol: str) -> Order:
    return Order(ident, market, Side.ASK, OrdType.MARKET, None, D(vol), 0)


def _holding(venue: SimulatedVenue, market: str, amount: str, price: float) -> None:
    """Buy some coin with a market order so that asks have something to sell."""
    venue.submit(_buy("seed", market, amount))
    venue.mark(market, price)
    venue.drain()


def test_insufficient_funds_bid_counts_the_fee() -> None:
    venue, _ = _venue(cash="10000")
    assert _one(venue, _buy("a", "KRW-BTC", "10000")).reason == "insufficient_funds_bid"
    assert venue.balances()["KRW"].free == D("10000")
    ok = _one(venue, _buy("b", "KRW-BTC", "9995"))  # 9995 × 1.0005 = 9999.9975
    assert ok.state is OrderState.WAIT
    assert venue.balances()["KRW"].locked == D("9999.9975")
    assert venue.balances()["KRW"].free == D("0.0025")


def test_insufficient_funds_ask() -> None:
    venue, _ = _venue()
    got = _one(venue, _sell("a", "KRW-BTC", "0.001"))
    assert (got.state, got.reason) == (OrderState.REJECTED, "insufficient_funds_ask")
    got = _one(venue, _ask("b", "KRW-BTC", "160000000", "0.001"))
    assert got.reason == "insufficient_funds_ask"


def test_under_min_total() -> None:
    venue, _ = _venue()
    assert _one(venue, _buy("a", "KRW-BTC", "4999")).reason == "under_min_total_bid"
    assert _one(venue, _bid("b", "KRW-XRP", "1000", "4.999")).reason == "under_min_total_bid"
    assert _one(venue, _bid("c", "KRW-XRP", "1000", "5")).state is OrderState.WAIT
    _holding(venue, "KRW-XRP", "100000", 1000.0)
    assert _one(venue, _ask("d", "KRW-XRP", "1000", "4.999")).reason == "under_min_total_ask"


def test_over_max_total() -> None:
    venue, _ = _venue(cash="2000000000")
    assert _one(venue, _buy("a", "KRW-BTC", "1000000001")).reason == "over_krw_funds_bid"
    assert _one(venue, _buy("b", "KRW-BTC", "1000000000")).state is OrderState.WAIT


def test_invalid_price_bid_off_grid() -> None:
    venue, _clock = _venue()
    assert _one(venue, _bid("a", "KRW-BTC", "160123456", "0.001")).reason == "invalid_price_bid"
    assert _one(venue, _bid("b", "KRW-BTC", "160123000", "0.001")).state is OrderState.WAIT
    assert _one(venue, _bid("c", "KRW-XRP", "150.5", "100")).reason == "invalid_price_bid"  # 2025: tick 1
    venue24, _ = _venue(at=_ms("2024-06-01T00:00:00"))
    assert _one(venue24, _bid("c", "KRW-XRP", "150.5", "100")).state is OrderState.WAIT  # 2024: tick 0.1
    venue21, _ = _venue(at=_ms("2021-06-01T00:00:00"))
    assert _one(venue21, _bid("c", "KRW-XRP", "150.5", "100")).reason == "invalid_price_bid"  # classic: tick 1
    assert _one(venue, _bid("d", "KRW-USDT", "1400.5", "10")).state is OrderState.WAIT  # USDT exception


def test_invalid_price_ask_off_grid() -> None:
    venue, _ = _venue()
    _holding(venue, "KRW-XRP", "100000", 1000.0)
    assert _one(venue, _ask("a", "KRW-XRP", "1000.5", "10")).reason == "invalid_price_ask"


def test_duplicated_identifier_even_after_a_rejection() -> None:
    venue, _ = _venue()
    assert _one(venue, _buy("a", "KRW-BTC", "10000")).state is OrderState.WAIT
    assert _one(venue, _buy("a", "KRW-BTC", "10000")).reason == "duplicated_identifier"
    assert _one(venue, _buy("r", "KRW-BTC", "10")).reason == "under_min_total_bid"
    assert _one(venue, _buy("r", "KRW-BTC", "10000")).reason == "duplicated_identifier"
    assert len(venue.open_orders()) == 1


def test_invalid_volume_too_many_decimals() -> None:
    venue, _ = _venue()
    _holding(venue, "KRW-XRP", "100000", 1000.0)
    assert _one(venue, _sell("a", "KRW-XRP", "1.123456789")).reason == "invalid_volume_ask"
    assert _one(venue, _ask("b", "KRW-XRP", "1000", "10.000000001")).reason == "invalid_volume_ask"
    assert _one(venue, _bid("c", "KRW-XRP", "1000", "10.000000001")).reason == "invalid_volume_bid"
    four, _ = _venue(book=with_overrides(BITHUMB_RULES, volume_decimals=4))
    _holding(four, "KRW-XRP", "100000", 1000.0)
    assert _one(four, _sell("a", "KRW-XRP", "1.12345")).reason == "invalid_volume_ask"
    assert _one(four, _sell("b", "KRW-XRP", "10.1234")).state is OrderState.WAIT


def test_market_buy_ends_cancel_with_fills_and_refunds_the_remainder() -> None:
    venue, _ = _venue(cash="100000")
    assert _one(venue, _buy("a", "KRW-BTC", "10000")).state is OrderState.WAIT
    assert venue.balances()["KRW"] == type(venue.balances()["KRW"])("KRW", D("89995.000"), D("10005.000"))
    venue.mark("KRW-BTC", 160_123_456.0)  # fills at the tick above: 160,124,000
    (report,) = venue.drain()
    order, (fill,) = report.order, report.fills
    assert fill.price == D("160124000")
    assert fill.volume == D("0.00006245")  # 10,000 / 160,124,000 = 0.0000624516… cut to 8 places
    assert fill.funds == D("9999.7438")
    assert fill.fee == D("4.99987190")
    assert order.state is OrderState.CANCEL
    assert order.reason == "market buy remainder returned"
    assert order.executed_volume == D("0.00006245")
    krw = venue.balances()["KRW"]
    assert krw.locked == 0
    assert krw.free == D("100000") - D("9999.7438") - D("4.99987190")
    assert venue.balances()["BTC"].free == D("0.00006245")
    assert venue.open_orders() == []


def test_market_buy_exact_amount_is_done() -> None:
    venue, _ = _venue(cash="100000")
    venue.submit(_buy("a", "KRW-XRP", "10000"))
    venue.mark("KRW-XRP", 1000.0)
    (_, report) = venue.drain()
    assert report.order.state is OrderState.DONE
    assert report.fills[0].volume == D("10")
    assert venue.balances()["KRW"] == type(venue.balances()["KRW"])("KRW", D("89995"), D("0"))


def test_market_sell_below_minimum_at_fill_is_cancelled_and_coin_returned() -> None:
    venue, _ = _venue()
    _holding(venue, "KRW-XRP", "10000", 1000.0)  # 10 XRP
    venue.submit(_sell("s", "KRW-XRP", "10"))
    venue.drain()
    assert venue.balances()["XRP"].locked == D("10")
    venue.mark("KRW-XRP", 400.0)  # 4,000 KRW < 5,000
    (report,) = venue.drain()
    assert (report.order.state, report.order.reason, report.fills) == (OrderState.CANCEL, "under_min_total_ask", ())
    assert venue.balances()["XRP"].free == D("10")
    assert venue.balances()["XRP"].locked == 0


def test_cancel_returns_the_whole_lock() -> None:
    venue, _ = _venue()
    venue.submit(_bid("b", "KRW-BTC", "100000000", "0.001"))
    venue.drain()
    assert venue.balances()["KRW"].locked == D("100050.0000")
    venue.cancel("b")
    (report,) = venue.drain()
    assert report.order.state is OrderState.CANCEL
    assert venue.balances()["KRW"].free == D("1000000")
    assert venue.balances()["KRW"].locked == 0
    assert not venue.has_open_orders("KRW-BTC")


@pytest.mark.parametrize(
    ("book", "fee"),
    [
        (UPBIT_RULES, D("50")),  # 0.05 %
        (BITHUMB_RULES, D("250")),  # 0.25 % list rate
        (with_overrides(BITHUMB_RULES, maker_fee=BITHUMB_LOW_FEE, taker_fee=BITHUMB_LOW_FEE), D("40")),  # 0.04 %
    ],
)
def test_market_buy_fee_follows_the_rules(book: RuleBook, fee: Decimal) -> None:
    venue, _ = _venue(book=book)
    venue.submit(_buy("a", "KRW-BTC", "100000"))
    venue.mark("KRW-BTC", 50_000_000.0)
    (_, report) = venue.drain()
    assert report.fills[0].volume == D("0.002")
    assert report.fills[0].fee == fee
    assert report.order.state is OrderState.DONE
    assert venue.balances()["KRW"].total == D("1000000") - D("100000") - fee
    assert venue.fees_paid == fee


def test_limit_fill_pays_the_maker_fee_and_gets_the_rest_of_the_reserve_back() -> None:
    book = with_overrides(UPBIT_RULES, maker_fee=D("0.0002"), taker_fee=D("0.0005"))
    venue, _ = _venue(book=book)
    venue.submit(_bid("b", "KRW-BTC", "50000000", "0.001"))
    venue.drain()
    assert venue.balances()["KRW"].locked == D("50025.0000")
    venue.touch("KRW-BTC", 50_100_000.0, 50_200_000.0, 49_900_000.0)
    (report,) = venue.drain()
    assert report.fills[0].price == D("50000000")
    assert report.fills[0].fee == D("10")
    assert report.fills[0].is_maker
    assert venue.balances()["KRW"] == type(venue.balances()["KRW"])("KRW", D("1000000") - D("50010"), D("0"))


def test_limit_bid_fills_at_a_better_open() -> None:
    venue, _ = _venue()
    venue.submit(_bid("b", "KRW-BTC", "50000000", "0.001"))
    venue.drain()
    venue.touch("KRW-BTC", 50_100_000.0, 50_200_000.0, 50_000_000.0)  # low == limit is not a trade-through
    assert venue.drain() == []
    venue.touch("KRW-BTC", 49_000_000.0, 49_500_000.0, 48_900_000.0)  # gapped below
    (report,) = venue.drain()
    assert report.fills[0].price == D("49000000")
    assert venue.balances()["KRW"].total == D("1000000") - D("49000") - D("24.5")


def test_limit_fee_with_maker_above_taker_keeps_wallets_non_negative() -> None:
    """A bid must reserve enough for the fee it will actually be charged."""
    book = with_overrides(UPBIT_RULES, maker_fee=D("0.0025"), taker_fee=D("0.0005"))
    venue, _ = _venue(cash="50100", book=book)  # 50,000 + 0.25 % = 50,125 needed
    got = _one(venue, _bid("b", "KRW-BTC", "50000000", "0.001"))
    if got.state is OrderState.REJECTED:
        assert got.reason == "insufficient_funds_bid"
        assert venue.balances()["KRW"].free == D("50100")
        return
    venue.touch("KRW-BTC", 50_000_000.0, 50_100_000.0, 49_000_000.0)
    (report,) = venue.drain()
    assert report.fills[0].fee == D("125")
    krw = venue.balances()["KRW"]
    assert krw.free >= 0, krw
    assert krw.locked == 0


def test_fee_is_the_one_in_force_when_the_order_was_placed() -> None:
    """Module docstring: fees follow the rules in force at the order's time."""
    base = UPBIT_RULES.at(_ms("2025-08-01T00:00:00") // 1000)
    book = RuleBook(
        Exchange.UPBIT,
        (
            replace(base, effective=datetime(2025, 1, 1, tzinfo=UTC)),
            replace(base, effective=datetime(2025, 9, 1, tzinfo=UTC), maker_fee=D("0.0025"), taker_fee=D("0.0025")),
        ),
    )
    venue, clock = _venue(cash="50025", book=book, at=_ms("2025-08-31T23:00:00"))
    assert _one(venue, _bid("b", "KRW-BTC", "50000000", "0.001")).state is OrderState.WAIT
    clock.set_ms(_ms("2025-09-01T01:00:00"))
    venue.touch("KRW-BTC", 50_000_000.0, 50_100_000.0, 49_000_000.0)
    (report,) = venue.drain()
    assert report.fills[0].fee == D("25")  # 0.05 % in force when placed, not 0.25 %
    krw = venue.balances()["KRW"]
    assert (krw.free, krw.locked) == (D("0"), D("0"))
    # a new order after the change pays the new rate
    venue2, _clock2 = _venue(book=book, at=_ms("2025-09-02T00:00:00"))
    venue2.submit(_buy("a", "KRW-BTC", "100000"))
    venue2.mark("KRW-BTC", 50_000_000.0)
    (_, report2) = venue2.drain()
    assert report2.fills[0].fee == D("250")


def test_slippage_moves_market_fills_against_the_trader_onto_the_grid() -> None:
    clock = SimClock(JUL_2025)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=D("1000000"), slippage_bps=10.0)
    venue.submit(_buy("a", "KRW-BTC", "100000"))
    venue.mark("KRW-BTC", 50_000_000.0)
    (_, report) = venue.drain()
    assert report.fills[0].price == D("50050000")  # +0.1 %, on the 1,000 grid
    venue.submit(_sell("s", "KRW-BTC", "0.001"))
    venue.mark("KRW-BTC", 50_000_123.0)
    (_, report) = venue.drain()
    assert report.fills[0].price == D("49950000")  # 50,000,123 × 0.999 = 49,950,122.9 → down to the grid
