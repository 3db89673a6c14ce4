"""A venue that fills orders against prices it is shown: backtests, the demo and paper trading.

It keeps balances the way the exchanges do: a bid locks its KRW amount plus the fee, an ask
locks its coin; fees follow the rules in force at the order's time. It validates in the
exchanges' order (reference D.9) and rejects with the exchanges' error names.

Fill model (candles):
* market orders fill at the next price the venue is shown (:meth:`mark`): the next bar's open
  for orders placed at a bar's close, the trigger price for engine-side stops; plus a
  configurable slippage in basis points against the trader, rounded to the tick grid;
* a market buy (``price`` type) spends its KRW amount on whole volume steps and, like Upbit,
  ends ``cancel`` with fills when a remainder is left;
* limit orders fill at their price (or a better open) when a bar trades through them (:meth:`touch`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal

from tradetui.core.clock import Clock
from tradetui.core.market import BookLevel, OrderBook
from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.ports import Balance, VenueReport
from tradetui.core.rules import MarketRules, PriceRounding, RuleBook
from tradetui.core.types import ZERO, Side, decimal_from_float
from tradetui.venues.order_rules import Accepted, OrderAsk, Rejection, check_order, min_total_rejection

_FEE_PLACES = Decimal("0.00000001")


@dataclass(slots=True)
class _Wallet:
    free: Decimal = ZERO
    locked: Decimal = ZERO


class SimulatedVenue:
    def __init__(
        self,
        rule_book: RuleBook,
        clock: Clock,
        *,
        cash_krw: Decimal,
        slippage_bps: float = 0.0,
        max_participation: float | None = None,
        quote: str = "KRW",
    ) -> None:
        """``max_participation``: a limit order takes at most this share of a bar's volume per
        bar (partial fills); None fills a touched limit order completely."""
        if max_participation is not None and not 0 < max_participation <= 1:
            raise ValueError("max_participation must be in (0, 1]")
        self.max_participation = None if max_participation is None else Decimal(repr(max_participation))
        self.rule_book = rule_book
        self.clock = clock
        self.slippage = Decimal(str(slippage_bps)) / Decimal(10000)
        self.quote = quote
        self._wallets: dict[str, _Wallet] = {quote: _Wallet(free=cash_krw)}
        self._open: dict[str, Order] = {}
        self._by_market: dict[str, list[str]] = {}
        self._seen_identifiers: set[str] = set()
        self._reports: list[VenueReport] = []
        self._locks: dict[str, Decimal] = {}
        self._placed_rules: dict[str, MarketRules] = {}
        """Rules in force when each open order was accepted: its fees follow them."""
        self._trade_seq = 0
        self._rules_cache: tuple[int, int, MarketRules] = (1, 0, rule_book.versions[0])
        self.fees_paid = ZERO

    # --- rules ---------------------------------------------------------------------------------

    answers_at_once = True
    reports_ready: asyncio.Event | None = None

    def rules_now(self) -> MarketRules:
        return self.rules_at(self.clock.now_ms())

    def rules_at(self, now_ms: int) -> MarketRules:
        now_s = now_ms // 1000
        lo, hi, rules = self._rules_cache
        if lo <= now_s < hi:
            return rules
        rules = self.rule_book.at(now_s)
        starts = [int(v.effective.timestamp()) for v in self.rule_book.versions]
        idx = self.rule_book.versions.index(rules)
        lo = starts[idx] if idx > 0 else -(2**62)
        hi = starts[idx + 1] if idx + 1 < len(starts) else 2**62
        self._rules_cache = (lo, hi, rules)
        return rules

    # --- Venue protocol ------------------------------------------------------------------------

    def submit(self, order: Order) -> None:
        now = self.clock.now_ms()
        answer = self._validate(order)
        self._seen_identifiers.add(order.identifier)
        if isinstance(answer, Rejection):
            self._reports.append(VenueReport(order.to_state(OrderState.REJECTED, now, reason=answer.name)))
            return
        self._lock(order, answer)
        self._placed_rules[order.identifier] = self.rules_now()
        accepted = order.to_state(OrderState.WAIT, now)
        self._open[order.identifier] = accepted
        self._by_market.setdefault(order.market, []).append(order.identifier)
        self._reports.append(VenueReport(accepted))

    def cancel(self, identifier: str) -> None:
        order = self._open.pop(identifier, None)
        if order is None:
            return
        self._by_market[order.market].remove(identifier)
        self._unlock_rest(order)
        self._reports.append(VenueReport(order.to_state(OrderState.CANCEL, self.clock.now_ms(), reason="cancelled")))

    def drain(self) -> list[VenueReport]:
        reports, self._reports = self._reports, []
        return reports

    def deposit(self, currency: str, amount: Decimal) -> None:
        """Credit a free balance (restoring an account, or funding a test)."""
        if amount < 0:
            raise ValueError("a deposit must not be negative")
        self._wallet(currency).free += amount

    def balances(self) -> dict[str, Balance]:
        return {cur: Balance(cur, w.free, w.locked) for cur, w in self._wallets.items()}

    def open_orders(self) -> list[Order]:
        return list(self._open.values())

    def has_open_orders(self, market: str) -> bool:
        return bool(self._by_market.get(market))

    # --- prices --------------------------------------------------------------------------------

    def mark(self, market: str, price: float) -> None:
        """The market trades at ``price`` now: fill its waiting market orders there."""
        ids = self._by_market.get(market)
        if not ids:
            return
        rules = self.rules_now()
        ref = decimal_from_float(price)
        for identifier in list(ids):
            order = self._open[identifier]
            if order.ord_type is OrdType.LIMIT:
                continue
            if order.side is Side.BID:
                fill_price = rules.round_price(market, ref * (1 + self.slippage), PriceRounding.UP)
            else:
                fill_price = rules.round_price(market, ref * (1 - self.slippage), PriceRounding.DOWN)
            self._fill_market(order, fill_price, rules)

    def walk_book(self, market: str, book: OrderBook) -> None:
        """Paper trading: fill waiting market orders against a live book, level by level."""
        ids = self._by_market.get(market)
        if not ids:
            return
        rules = self.rules_now()
        for identifier in list(ids):
            order = self._open[identifier]
            if order.ord_type is not OrdType.LIMIT:
                self._walk(order, book.asks if order.side is Side.BID else book.bids, rules)

    def on_trade(self, market: str, price: Decimal) -> None:
        """Paper trading: a public trade at ``price``: fill limit orders it crossed."""
        if self._by_market.get(market):
            level = float(price)
            self.touch(market, None, level, level)  # a resting order fills at its own price

    def _walk(self, order: Order, levels: tuple[BookLevel, ...], rules: MarketRules) -> None:
        fee_rate = self._fee_rules(order).taker_fee
        fills: list[Fill] = []
        current = order
        if order.ord_type is OrdType.PRICE:
            remaining = order.price or ZERO
            for level in levels:
                volume = min(level.size, rules.truncate_volume(remaining / level.price))
                if volume <= 0:
                    break
                fill = self._new_fill(order, level.price, volume, fee_rate, maker=False)
                current = self._settle(current, fill, rules)
                fills.append(fill)
                remaining -= fill.funds
        else:
            remaining = order.volume or ZERO
            if not levels or levels[0].price * remaining < rules.min_total_krw:
                self._finish(order, OrderState.CANCEL, (), reason=min_total_rejection(rules, Side.ASK))
                return
            for level in levels:
                volume = min(level.size, remaining)
                if volume <= 0:
                    break
                fill = self._new_fill(order, level.price, volume, fee_rate, maker=False)
                current = self._settle(current, fill, rules)
                fills.append(fill)
                remaining -= volume
        if remaining <= 0:
            self._finish(current, OrderState.DONE, tuple(fills))
            return
        if not fills:
            reason = "no liquidity in the book"
        elif order.ord_type is OrdType.PRICE:
            reason = "market buy remainder returned"
        else:
            reason = "book too thin; the rest is cancelled"
        self._finish(current, OrderState.CANCEL, tuple(fills), reason=reason)

    def touch(self, market: str, open_: float | None, high: float, low: float, volume: float | None = None) -> None:
        """A bar traded between ``low`` and ``high`` (``volume`` units): fill limit orders it went
        through, at their price or at a better ``open`` the bar gapped to (None: no gap)."""
        ids = self._by_market.get(market)
        if not ids:
            return
        rules = self.rules_now()
        for identifier in list(ids):
            order = self._open[identifier]
            if order.ord_type is not OrdType.LIMIT or order.price is None:
                continue
            limit = float(order.price)
            gap = decimal_from_float(open_) if open_ is not None else order.price
            if order.side is Side.BID and low < limit:
                fill_price = min(order.price, gap)
            elif order.side is Side.ASK and high > limit:
                fill_price = max(order.price, gap)
            else:
                continue
            self._fill_limit(order, fill_price, rules, bar_volume=volume)

    # --- internals -----------------------------------------------------------------------------

    def _wallet(self, currency: str) -> _Wallet:
        wallet = self._wallets.get(currency)
        if wallet is None:
            wallet = self._wallets[currency] = _Wallet()
        return wallet

    def _validate(self, order: Order) -> Rejection | Accepted:
        """The exchange's checks (:mod:`tradetui.venues.order_rules`, shared with the sandbox). A
        market sell's minimum total is checked when it fills, at its fill price: this venue fills
        a bar later than the order is decided, so no price it holds now is the one that counts."""
        ask = OrderAsk(
            order.market,
            order.side,
            price=order.price if order.ord_type is OrdType.LIMIT else None,
            volume=order.volume,
            amount=order.price if order.ord_type is OrdType.PRICE else None,
        )
        return check_order(
            ask,
            self.rules_now(),
            free_quote=self._wallet(self.quote).free,
            free_base=self._wallet(order.market.split("-", 1)[1]).free,
            reference_bid=None,
            identifier_used=order.identifier in self._seen_identifiers,
        )

    def _lock(self, order: Order, accepted: Accepted) -> None:
        if order.side is Side.BID:
            amount = (accepted.total or ZERO) + accepted.reserve
            wallet = self._wallet(self.quote)
        else:
            amount = order.volume or ZERO
            wallet = self._wallet(order.market.split("-", 1)[1])
        wallet.free -= amount
        wallet.locked += amount
        self._locks[order.identifier] = amount

    def _fee_rules(self, order: Order) -> MarketRules:
        return self._placed_rules.get(order.identifier) or self.rules_now()

    def _unlock_rest(self, order: Order) -> None:
        self._placed_rules.pop(order.identifier, None)
        rest = self._locks.pop(order.identifier, ZERO)
        wallet = self._wallet(self.quote if order.side is Side.BID else order.market.split("-", 1)[1])
        wallet.locked -= rest
        wallet.free += rest

    def _new_fill(self, order: Order, price: Decimal, volume: Decimal, fee_rate: Decimal, *, maker: bool) -> Fill:
        self._trade_seq += 1
        fee = (price * volume * fee_rate).quantize(_FEE_PLACES)
        return Fill(
            order.identifier,
            f"sim-{self._trade_seq}",
            order.market,
            order.side,
            price,
            volume,
            fee,
            self.clock.now_ms(),
            maker,
        )

    def _settle(self, order: Order, fill: Fill, rules: MarketRules) -> Order:
        """Move balances for one fill; returns the order with the fill applied."""
        quote = self._wallet(self.quote)
        coin = self._wallet(order.market.split("-", 1)[1])
        funds = fill.funds
        if order.side is Side.BID:
            spent = funds + fill.fee
            quote.locked -= spent
            coin.free += fill.volume
        else:
            spent = fill.volume
            coin.locked -= fill.volume
            quote.free += funds - fill.fee
        self._locks[order.identifier] -= spent
        self.fees_paid += fill.fee
        return order.with_fill(fill)

    def _finish(self, order: Order, state: OrderState, fills: tuple[Fill, ...], reason: str = "") -> None:
        now = self.clock.now_ms()
        if state.is_terminal:
            self._open.pop(order.identifier, None)
            self._by_market[order.market].remove(order.identifier)
            self._unlock_rest(order)
        else:
            self._open[order.identifier] = order
        self._reports.append(VenueReport(order.to_state(state, now, reason=reason), fills))

    def _fill_market(self, order: Order, price: Decimal, rules: MarketRules) -> None:
        if order.ord_type is OrdType.PRICE:
            amount = order.price or ZERO
            volume = rules.truncate_volume(amount / price)
            if volume <= 0:
                self._finish(order, OrderState.CANCEL, (), reason="amount buys less than one volume step")
                return
            fill = self._new_fill(order, price, volume, self._fee_rules(order).taker_fee, maker=False)
            filled = self._settle(order, fill, rules)
            leftover = amount - filled.executed_funds
            self._finish(
                filled,
                OrderState.CANCEL if leftover > 0 else OrderState.DONE,
                (fill,),
                reason="market buy remainder returned" if leftover > 0 else "",
            )
            return
        sell_volume = order.volume or ZERO
        if price * sell_volume < rules.min_total_krw:
            self._finish(order, OrderState.CANCEL, (), reason=min_total_rejection(rules, Side.ASK))
            return
        fill = self._new_fill(order, price, sell_volume, self._fee_rules(order).taker_fee, maker=False)
        self._finish(self._settle(order, fill, rules), OrderState.DONE, (fill,))

    def _fill_limit(self, order: Order, price: Decimal, rules: MarketRules, *, bar_volume: float | None) -> None:
        remaining = (order.volume or ZERO) - order.executed_volume
        volume = remaining
        if self.max_participation is not None and bar_volume is not None:
            volume = min(remaining, rules.truncate_volume(decimal_from_float(bar_volume) * self.max_participation))
            if volume <= 0:
                return
        fill = self._new_fill(order, price, volume, self._fee_rules(order).maker_fee, maker=True)
        filled = self._settle(order, fill, rules)
        self._finish(filled, OrderState.DONE if volume == remaining else OrderState.WAIT, (fill,))
