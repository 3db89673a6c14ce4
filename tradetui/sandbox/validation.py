"""Order validation in the order of reference D.9: parameters per ``ord_type`` -> market exists
and is active -> tick grid -> volume decimals -> minimum total -> maximum total -> balance
including the fee -> client id not used before. The first failing rule is the one reported.

The rules from the tick grid on are :func:`tradetui.venues.order_rules.check_order`, the same
function the engine's simulated venue asks, so both reject the same orders with the same names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from tradetui.core.rules import RuleBook
from tradetui.core.types import ZERO, Side
from tradetui.sandbox.accounts import Account
from tradetui.sandbox.market import MarketSim
from tradetui.sandbox.wire import ApiError, parse_decimal
from tradetui.venues.order_rules import OrderAsk, Rejection, check_order

ORD_TYPES = ("limit", "price", "market", "best")


@dataclass(frozen=True, slots=True)
class OrderRequest:
    market: str
    side: str
    ord_type: str
    price: Decimal | None
    volume: Decimal | None
    time_in_force: str | None
    smp_type: str | None
    identifier: str | None

    @property
    def is_amount_bid(self) -> bool:
        """Market buy by KRW amount: ``price`` orders and ``best`` bids."""
        return self.side == "bid" and self.ord_type in ("price", "best")


class OrderValidator:
    def __init__(self, *, is_upbit: bool, rules: RuleBook, markets: Mapping[str, MarketSim]) -> None:
        self.is_upbit = is_upbit
        self.rules = rules
        self.markets = markets

    def _bad(self, message: str) -> ApiError:
        return ApiError(400, "validation_error" if self.is_upbit else "invalid_parameter", message)

    def parse(self, fields: Mapping[str, str]) -> OrderRequest:
        """Stage 1 of D.9: the parameters each ``ord_type`` needs or forbids (A4.3)."""
        market = fields.get("market")
        side = fields.get("side")
        ord_type = fields.get("ord_type") or fields.get("order_type")
        if not market:
            raise self._bad("required parameter missing: market")
        if side not in ("bid", "ask"):
            raise self._bad("side must be bid or ask")
        if ord_type not in ORD_TYPES:
            raise self._bad(f"ord_type must be one of {', '.join(ORD_TYPES)}")
        price_text, volume_text = fields.get("price"), fields.get("volume")
        tif = fields.get("time_in_force") or None
        smp = fields.get("smp_type") or None
        identifier = fields.get("identifier" if self.is_upbit else "client_order_id")
        needs_price = ord_type == "limit" or (ord_type in ("price", "best") and side == "bid")
        needs_volume = ord_type == "limit" or (ord_type in ("market", "best") and side == "ask")
        if ord_type == "price" and side != "bid":
            raise self._bad("ord_type price is a market buy: side must be bid")
        if ord_type == "market" and side != "ask":
            raise self._bad("ord_type market is a market sell: side must be ask")
        if needs_price != (price_text is not None):
            raise self._bad(f"price is {'required' if needs_price else 'not allowed'} for {ord_type} {side}")
        if needs_volume != (volume_text is not None):
            raise self._bad(f"volume is {'required' if needs_volume else 'not allowed'} for {ord_type} {side}")
        allowed_tif = {"limit": ("ioc", "fok", "post_only"), "best": ("ioc", "fok")}.get(ord_type, ())
        if (tif is not None and tif not in allowed_tif) or (ord_type == "best" and tif is None):
            raise ApiError(400, "invalid_time_in_force", f"time_in_force {tif!r} is not allowed for {ord_type}")
        if smp is not None and smp not in ("cancel_maker", "cancel_taker", "reduce"):
            raise self._bad("smp_type must be cancel_maker, cancel_taker or reduce")
        if tif == "post_only" and smp is not None:
            raise ApiError(400, "invalid_post_only", "post_only cannot be combined with smp_type")
        if identifier is not None:
            if self.is_upbit and not 0 < len(identifier) <= 64:
                raise self._bad("identifier must be 1 to 64 characters")
            if not self.is_upbit and not (
                0 < len(identifier) <= 36 and all(c.isascii() and (c.isalnum() or c in "_-") for c in identifier)
            ):
                raise self._bad("client_order_id must be 1 to 36 characters of A-Z a-z 0-9 _ -")
        bad = "validation_error" if self.is_upbit else "invalid_parameter"
        price = None if price_text is None else parse_decimal(price_text, "price", error_name=bad)
        volume = None if volume_text is None else parse_decimal(volume_text, "volume", error_name=bad)
        return OrderRequest(market, side, ord_type, price, volume, tif, smp, identifier)

    def check(self, request: OrderRequest, account: Account, now_ms: int) -> tuple[MarketSim, Decimal, Decimal]:
        """Stages 2-8 of D.9 in order; returns the market, the order total and the fee reserve."""
        market = self.markets.get(request.market)
        if market is None:
            raise ApiError(400, "notfoundmarket", f"market {request.market} does not exist")
        if not market.spec.is_active:
            raise ApiError(403, "market_offline", f"market {request.market} is suspended")
        rules = self.rules.at(now_ms // 1000)
        base = request.market.split("-", 1)[1]
        ask = OrderAsk(
            request.market,
            Side(request.side),
            price=request.price if request.ord_type == "limit" else None,
            volume=request.volume,
            amount=request.price if request.is_amount_bid else None,
        )
        answer = check_order(
            ask,
            rules,
            free_quote=account.holding(market.spec.code.split("-")[0]).balance,
            free_base=account.holding(base).balance,
            reference_bid=market.best_bid(now_ms) or ZERO,
            identifier_used=request.identifier is not None and request.identifier in account.identifiers,
        )
        if isinstance(answer, Rejection):
            raise ApiError(400, answer.name, answer.message)
        assert answer.total is not None  # a market sell is valued at the bid (zero without one)
        total, reserve = answer.total, answer.reserve
        return market, total, reserve
