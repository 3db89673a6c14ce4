"""Events: what happened, in the past tense. Every event carries the clock time it happened."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum

from tradetui.core.notation import krw, price, volume
from tradetui.core.orders import Fill, Order, OrdType
from tradetui.core.types import Side


class EngineState(StrEnum):
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"  # no new entries; exits and stops still work
    REDUCE_ONLY = "REDUCE_ONLY"  # only orders that shrink positions
    HALTED = "HALTED"  # kill switch: orders cancelled, nothing new

    @property
    def allows_entries(self) -> bool:
        return self is EngineState.RUNNING


class Severity(IntEnum):
    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50


@dataclass(frozen=True, slots=True)
class Event:
    ts_ms: int

    @property
    def severity(self) -> Severity:
        return Severity.INFO

    def describe(self) -> str:
        return type(self).__name__


def order_summary(order: Order) -> str:
    """What an order does, as a trader says it: ``market buy 2,500,000 KRW of KRW-BTC``,
    ``market sell 0.05185538 KRW-BTC``, ``limit buy 0.01 KRW-BTC @ 48,211,000``."""
    verb = "buy" if order.side is Side.BID else "sell"
    if order.ord_type is OrdType.PRICE and order.price is not None:
        return f"market {verb} {krw(order.price)} of {order.market}"
    amount = volume(order.volume) if order.volume is not None else "?"
    if order.ord_type is OrdType.MARKET:
        return f"market {verb} {amount} {order.market}"
    at = f" @ {price(order.price)}" if order.price is not None else ""
    return f"{order.ord_type.value} {verb} {amount} {order.market}{at}"


def krw_cents(value: Decimal) -> str:
    """A fee: ``1,250.00 KRW`` (fees are charged to fractions of a won)."""
    return f"{value.quantize(Decimal('0.01')):,} KRW"


@dataclass(frozen=True, slots=True)
class SignalRaised(Event):
    market: str
    strategy: str
    action: str  # "enter" or "exit"
    price: Decimal
    note: str = ""

    def describe(self) -> str:
        return f"signal {self.action} {self.market} by {self.strategy} at {price(self.price)} {self.note}".rstrip()


@dataclass(frozen=True, slots=True)
class OrderUpdated(Event):
    """An order changed state (intent recorded, accepted, cancelled, rejected, unknown)."""

    order: Order

    @property
    def severity(self) -> Severity:
        from tradetui.core.orders import OrderState

        if self.order.state is OrderState.REJECTED:
            return Severity.WARNING
        if self.order.state is OrderState.UNKNOWN:
            return Severity.ERROR
        return Severity.INFO

    def describe(self) -> str:
        o = self.order
        reason = f" ({o.reason})" if o.reason else ""
        return f"order {o.identifier} {o.state.value}: {order_summary(o)} [{o.purpose}]{reason}"


@dataclass(frozen=True, slots=True)
class OrderFilled(Event):
    fill: Fill
    purpose: str = ""

    def describe(self) -> str:
        f = self.fill
        verb = "bought" if f.side is Side.BID else "sold"
        return (
            f"fill {f.identifier}: {verb} {volume(f.volume)} {f.market} @ {price(f.price)} "
            f"= {krw(f.funds)}, fee {krw_cents(f.fee)} [{self.purpose}]"
        )


@dataclass(frozen=True, slots=True)
class PositionOpened(Event):
    market: str
    volume: Decimal
    avg_price: Decimal
    stop_price: Decimal | None

    def describe(self) -> str:
        stop = f", stop {price(self.stop_price)}" if self.stop_price is not None else ", no stop"
        return f"position opened {self.market}: {volume(self.volume)} @ {price(self.avg_price)}{stop}"


@dataclass(frozen=True, slots=True)
class PositionClosed(Event):
    market: str
    realized_pnl: Decimal
    return_pct: float
    exit_reason: str

    def describe(self) -> str:
        return (
            f"position closed {self.market}: PnL {krw(self.realized_pnl, signed=True)} "
            f"({self.return_pct:+.2f} %) by {self.exit_reason}"
        )


@dataclass(frozen=True, slots=True)
class ExitTriggered(Event):
    """An engine-side stop, target, trailing or time exit fired."""

    market: str
    kind: str
    trigger_price: Decimal
    fraction: float

    def describe(self) -> str:
        return f"{self.kind} triggered on {self.market} at {price(self.trigger_price)} (sell {self.fraction:.0%})"


@dataclass(frozen=True, slots=True)
class EngineStateChanged(Event):
    old: EngineState
    new: EngineState
    reason: str

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.new is not EngineState.RUNNING else Severity.INFO

    def describe(self) -> str:
        return f"engine {self.old} -> {self.new}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RiskEvent(Event):
    """A risk rule acted: a limit was hit, an entry was denied, a cool-down started."""

    rule: str
    message: str
    market: str = ""
    level: Severity = Severity.WARNING

    @property
    def severity(self) -> Severity:
        return self.level

    def describe(self) -> str:
        where = f" {self.market}" if self.market else ""
        return f"risk {self.rule}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class StrategyChanged(Event):
    strategy: str
    enabled: bool
    message: str = ""

    def describe(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"strategy {self.strategy} {state}" + (f": {self.message}" if self.message else "")


@dataclass(frozen=True, slots=True)
class Notice(Event):
    """Anything else worth showing on the timeline."""

    message: str
    level: Severity = Severity.INFO
    source: str = "engine"

    @property
    def severity(self) -> Severity:
        return self.level

    def describe(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class FeedStateChanged(Event):
    """A market-data or private stream connected, dropped, went quiet or came back."""

    feed: str
    state: str  # "connected", "disconnected", "stale", "restored"
    detail: str = ""

    @property
    def severity(self) -> Severity:
        return Severity.INFO if self.state in ("connected", "restored") else Severity.WARNING

    def describe(self) -> str:
        return f"feed {self.feed} {self.state}" + (f": {self.detail}" if self.detail else "")
