"""Order entry and matching of the sandbox: validation (D.9), balance locking (D.10), fills
against the simulated book and against later path steps (D.11), profile specifics (D.12, D.13).

Every order touches at most ``book_depth`` levels when it arrives and the resting index is two
sorted lists per market, so the order path is O(levels + log n) with no sleeps.
"""

from __future__ import annotations

import heapq
import random
import uuid
from bisect import bisect_left, insort
from collections.abc import Mapping
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from tradetui.core.rules import MarketRules, RuleBook
from tradetui.core.types import ZERO
from tradetui.sandbox.accounts import Account
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.events import AssetChanged, EventHub, OrderChanged, TradePrinted
from tradetui.sandbox.market import MarketSim, Step
from tradetui.sandbox.orders import WireFill, WireOrder
from tradetui.sandbox.validation import OrderRequest, OrderValidator
from tradetui.sandbox.wire import EIGHT_PLACES, ApiError, num_text

_Key = tuple[Decimal, int, str]


class MatchingEngine:
    def __init__(
        self,
        config: SandboxConfig,
        rules: RuleBook,
        markets: Mapping[str, MarketSim],
        accounts: Mapping[str, Account],
        events: EventHub,
        seed: int = 0,
    ) -> None:
        self.config = config
        self.is_upbit = config.profile == "upbit"
        self.rules = rules
        self.markets = markets
        self.accounts = accounts
        self.events = events
        self.validator = OrderValidator(is_upbit=self.is_upbit, rules=rules, markets=markets)
        self.orders: dict[str, WireOrder] = {}
        self.rng = random.Random(seed)
        self.sequence = 0
        self._resting: dict[str, tuple[list[_Key], list[_Key]]] = {}
        self._cancels: list[tuple[int, int, str]] = []

    # -- validation ---------------------------------------------------------------------------------
    def rules_at(self, now_ms: int) -> MarketRules:
        return self.rules.at(now_ms // 1000)

    # -- entry --------------------------------------------------------------------------------------
    def place(self, account: Account, fields: Mapping[str, str], now_ms: int) -> tuple[WireOrder, bool]:
        """Validate, lock and execute; returns the order and whether it was created by this call."""
        request = self.validator.parse(fields)
        identifier = request.identifier
        if identifier is not None and not self.is_upbit and self.config.client_order_id_policy == "return_existing":
            existing = account.identifiers.get(identifier)
            if existing is not None:
                return self.orders[existing], False
        try:
            market, total, reserve = self.validator.check(request, account, now_ms)
        except ApiError as error:
            if identifier is not None and error.name != "duplicated_identifier":
                account.identifiers.setdefault(identifier, None)  # used forever, even by a refused order
            raise
        order = self._create(request, account, total, reserve, now_ms)
        self._execute(order, market, now_ms)
        return order, True

    def preview(self, account: Account, fields: Mapping[str, str], now_ms: int) -> dict[str, Any]:
        """``POST /v1/orders/test``: the same checks, nothing locked or stored."""
        request = self.validator.parse(fields)
        _, total, reserve = self.validator.check(request, account, now_ms)
        order = WireOrder(
            id=str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            access_key=account.access_key,
            market=request.market,
            side=request.side,
            ord_type=request.ord_type,
            price=request.price,
            volume=request.volume,
            created_ms=now_ms,
            sequence=0,
            identifier=request.identifier,
            time_in_force=request.time_in_force,
            smp_type=request.smp_type,
            remaining_volume=request.volume,
            reserved_fee=reserve,
            remaining_fee=reserve,
            locked=total + reserve if request.side == "bid" else request.volume or ZERO,
        )
        return order.to_wire(self.config.profile)

    def _new_id(self) -> str:
        if self.is_upbit:
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return f"C0101{self.sequence:015d}"

    def _create(
        self, request: OrderRequest, account: Account, total: Decimal, reserve: Decimal, now_ms: int
    ) -> WireOrder:
        self.sequence += 1
        order = WireOrder(
            id=self._new_id(),
            access_key=account.access_key,
            market=request.market,
            side=request.side,
            ord_type=request.ord_type,
            price=request.price,
            volume=request.volume,
            created_ms=now_ms,
            sequence=self.sequence,
            identifier=request.identifier,
            time_in_force=request.time_in_force,
            smp_type=request.smp_type,
            remaining_volume=request.volume,
            remaining_funds=request.price if request.is_amount_bid else None,
            reserved_fee=reserve,
            remaining_fee=reserve,
        )
        if order.side == "bid":
            order.locked = total + reserve
            account.holding(order.quote).lock(order.locked)
        else:
            assert order.volume is not None
            order.locked = order.volume
            account.holding(order.base).lock(order.volume)
        self.orders[order.id] = order
        if request.identifier is not None:
            account.identifiers[request.identifier] = order.id
        self._order_event(order, "wait", None, now_ms)
        self._asset_event(account, (order.quote if order.side == "bid" else order.base,), now_ms)
        return order

    # -- execution ----------------------------------------------------------------------------------
    def _crosses(self, order: WireOrder, level_price: Decimal) -> bool:
        if order.ord_type != "limit":
            return True
        assert order.price is not None
        return level_price <= order.price if order.side == "bid" else level_price >= order.price

    def _execute(self, order: WireOrder, market: MarketSim, now_ms: int) -> None:
        asks, bids = market.book(now_ms)
        levels = asks if order.side == "bid" else bids
        tif = order.time_in_force
        if tif == "post_only" and levels and self._crosses(order, levels[0][0]):
            self._finish(order, "cancel", now_ms, cancel_type="post_only_cancel")
            return
        if tif == "fok" and not self._can_fill_all(order, levels):
            self._finish(order, "cancel", now_ms, cancel_type="tif_cancel")
            return
        while levels and self._crosses(order, levels[0][0]):
            level = levels[0]
            quantity = self._quantity_at(order, level[0], level[1])
            if quantity <= 0:
                break
            self._fill(order, market, level[0], quantity, is_maker=False, ts_ms=now_ms)
            level[1] -= quantity
            if level[1] <= 0:
                levels.pop(0)
        if order.remaining_volume == 0 or order.remaining_funds == 0:
            self._finish(order, "done", now_ms)
        elif order.ord_type == "limit" and tif in (None, "post_only"):
            self._rest(order)
        elif order.executed_volume > 0 and not self.is_upbit:
            self._finish(order, "done", now_ms, cancel_type="tif_cancel")  # Bithumb: IOC partial ends done (B4.4)
        else:
            self._finish(order, "cancel", now_ms, cancel_type="tif_cancel")

    def _quantity_at(self, order: WireOrder, price: Decimal, size: Decimal) -> Decimal:
        if order.remaining_volume is not None:
            return min(size, order.remaining_volume)
        assert order.remaining_funds is not None
        step = Decimal(1).scaleb(-self.config.volume_decimals)
        return min(size, (order.remaining_funds / price).quantize(step, rounding=ROUND_DOWN))

    def _can_fill_all(self, order: WireOrder, levels: list[list[Decimal]]) -> bool:
        want = order.remaining_volume if order.remaining_volume is not None else order.remaining_funds
        assert want is not None
        for price, size in levels:
            if not self._crosses(order, price):
                break
            want -= size if order.remaining_volume is not None else price * size
            if want <= 0:
                return True
        return False

    def _fill(
        self, order: WireOrder, market: MarketSim, price: Decimal, quantity: Decimal, *, is_maker: bool, ts_ms: int
    ) -> None:
        rules = self.rules_at(ts_ms)
        account = self.accounts[order.access_key]
        funds = price * quantity
        fee = (funds * rules.fee_rate(is_maker=is_maker)).quantize(EIGHT_PLACES, rounding=ROUND_HALF_UP)
        quote, base = account.holding(order.quote), account.holding(order.base)
        if order.side == "bid":
            fee = max(ZERO, min(fee, order.locked - funds))
            quote.locked -= funds + fee
            order.locked -= funds + fee
            held = base.balance + base.locked
            base.avg_buy_price = (base.avg_buy_price * held + funds) / (held + quantity)
            base.avg_buy_price = base.avg_buy_price.quantize(EIGHT_PLACES)
            base.balance += quantity
            order.remaining_fee = max(ZERO, order.remaining_fee - fee)
        else:
            base.locked -= quantity
            order.locked -= quantity
            quote.balance += funds - fee
        trend = "up" if price >= market.last_price else "down"
        order.executed_volume += quantity
        order.executed_funds += funds
        order.paid_fee += fee
        if order.remaining_volume is not None:
            order.remaining_volume -= quantity
        if order.remaining_funds is not None:
            order.remaining_funds -= funds
        fill = WireFill(
            str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            price,
            quantity,
            funds,
            fee,
            ts_ms,
            is_maker,
            trend,
        )
        order.fills.append(fill)
        taker_is_bid = (order.side == "bid") != is_maker
        trade = market.record_trade(ts_ms, price, quantity, "BID" if taker_is_bid else "ASK")
        if self.events.has_subscribers:
            self.events.publish(TradePrinted(trade.market, ts_ms, price, quantity, trade.ask_bid, trade.sequential_id))
            self._order_event(order, "trade", fill, ts_ms)
            self._asset_event(account, (order.quote, order.base), ts_ms)

    def _finish(self, order: WireOrder, state: str, now_ms: int, *, cancel_type: str | None = None) -> None:
        account = self.accounts[order.access_key]
        currency = order.quote if order.side == "bid" else order.base
        if order.locked:
            account.holding(currency).unlock(order.locked)
            order.locked = ZERO
        order.remaining_fee = ZERO
        order.state = state
        order.finished_ms = now_ms
        if state == "cancel" or order.remaining_volume or order.remaining_funds:
            order.cancel_type = cancel_type or order.cancel_type
        self._unrest(order)
        self._order_event(order, state, None, now_ms)
        self._asset_event(account, (currency,), now_ms)

    # -- resting orders and the clock ---------------------------------------------------------------
    def _book_of(self, market: str) -> tuple[list[_Key], list[_Key]]:
        found = self._resting.get(market)
        if found is None:
            found = self._resting[market] = ([], [])
        return found

    @staticmethod
    def _key(order: WireOrder) -> _Key:
        assert order.price is not None
        return (-order.price if order.side == "bid" else order.price, order.sequence, order.id)

    def _rest(self, order: WireOrder) -> None:
        bids, asks = self._book_of(order.market)
        insort(bids if order.side == "bid" else asks, self._key(order))

    def _unrest(self, order: WireOrder) -> None:
        if order.ord_type != "limit" or order.price is None:
            return
        bids, asks = self._book_of(order.market)
        side = bids if order.side == "bid" else asks
        key = self._key(order)
        index = bisect_left(side, key)
        if index < len(side) and side[index] == key:
            del side[index]

    def on_step(self, market: MarketSim, step: Step) -> None:
        """Resting orders the step's price reaches fill at their own price (maker), up to the step volume."""
        resting = self._resting.get(market.code)
        if resting is None:
            return
        available = step.volume
        for side, is_bid in ((resting[0], True), (resting[1], False)):
            while side and available > 0:
                order = self.orders[side[0][2]]
                assert order.price is not None and order.remaining_volume is not None
                if (order.price < step.price) if is_bid else (order.price > step.price):
                    break
                quantity = min(order.remaining_volume, available)
                self._fill(order, market, order.price, quantity, is_maker=True, ts_ms=step.ts_ms)
                available -= quantity
                if order.remaining_volume == 0:
                    self._finish(order, "done", step.ts_ms)

    def request_cancel(self, order: WireOrder, now_ms: int) -> dict[str, Any]:
        """Accept a cancel: the answer still shows the order as it is; it turns ``cancel`` later (D.12)."""
        if not order.is_open:
            raise ApiError(404, "order_not_found", "the order is not open (already done or cancelled)")
        answer = order.to_wire(self.config.profile)
        if order.cancel_due_ms is None:
            order.cancel_due_ms = now_ms + self.config.cancel_delay_ms
            heapq.heappush(self._cancels, (order.cancel_due_ms, order.sequence, order.id))
        return answer

    def cancel_now(self, order: WireOrder, now_ms: int) -> None:
        """Cancel at once (the cancel half of ``cancel_and_new``, whose funds the new order needs)."""
        if not order.is_open:
            raise ApiError(404, "order_not_found", "the order is not open (already done or cancelled)")
        self._finish(order, "cancel", now_ms, cancel_type="user_cancel")

    def settle_cancels(self, up_to_ms: int) -> None:
        while self._cancels and self._cancels[0][0] <= up_to_ms:
            due, _, order_id = heapq.heappop(self._cancels)
            order = self.orders[order_id]
            if order.is_open:
                self._finish(order, "cancel", due, cancel_type="user_cancel")

    def next_cancel_ms(self) -> int | None:
        return self._cancels[0][0] if self._cancels else None

    # -- events ---------------------------------------------------------------------------------------
    def _order_event(self, order: WireOrder, kind: str, fill: WireFill | None, ts_ms: int) -> None:
        if not self.events.has_subscribers:
            return
        fill_data = None
        if fill is not None:
            fill_data = {
                "trade_uuid": fill.trade_id,
                "price": num_text(fill.price),
                "volume": num_text(fill.volume),
                "funds": num_text(fill.funds),
                "trade_fee": num_text(fill.fee),
                "is_maker": fill.is_maker,
            }
        self.events.publish(OrderChanged(order.access_key, kind, order.to_wire("upbit"), fill_data, ts_ms))

    def _asset_event(self, account: Account, currencies: tuple[str, ...], ts_ms: int) -> None:
        if not self.events.has_subscribers:
            return
        rows = tuple((c, account.holding(c).balance, account.holding(c).locked) for c in dict.fromkeys(currencies))
        self.events.publish(AssetChanged(account.access_key, rows, ts_ms))

    # -- snapshot -------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence,
            "rng": _rng_state(self.rng),
            "orders": [order.to_json() for order in self.orders.values()],
        }

    def restore(self, data: dict[str, Any]) -> None:
        self.sequence = int(data["sequence"])
        version, internal, gauss = data["rng"]
        self.rng.setstate((version, tuple(internal), gauss))
        self.orders = {}
        self._resting = {}
        self._cancels = []
        for row in data["orders"]:
            order = WireOrder.from_json(row)
            self.orders[order.id] = order
            if order.is_open and order.ord_type == "limit":
                self._rest(order)
                if order.cancel_due_ms is not None:
                    heapq.heappush(self._cancels, (order.cancel_due_ms, order.sequence, order.id))


def _rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]
