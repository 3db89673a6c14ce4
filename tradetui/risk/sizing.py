"""Position sizing: how many KRW an entry may spend. The float → Decimal boundary of the engine."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from tradetui.core.notation import krw
from tradetui.core.rules import MarketRules


class SizingMethod(StrEnum):
    FIXED_FRACTION = "fixed_fraction"  # a fixed share of equity per entry
    RISK_PER_TRADE = "risk_per_trade"  # lose at most risk_pct of equity if the stop is hit
    ATR = "atr"  # like risk_per_trade with the stop distance k × ATR


@dataclass(frozen=True, slots=True)
class SizingRules:
    method: SizingMethod = SizingMethod.RISK_PER_TRADE
    fraction_pct: float = 10.0
    """FIXED_FRACTION: percent of equity per entry."""
    risk_pct: float = 1.0
    """RISK_PER_TRADE / ATR: percent of equity lost if the stop is hit."""
    atr_mult: float = 2.0
    """ATR: stop distance in ATRs."""
    min_order_krw: Decimal = Decimal("5000")
    """The bot's own minimum; the exchange minimum applies too (the larger wins)."""
    max_weight_pct: float = 25.0
    """No coin may take more than this percent of equity."""


@dataclass(frozen=True, slots=True)
class SizeDecision:
    amount_krw: Decimal
    """KRW to spend, before fees; 0 when denied."""
    reason: str
    """Why this size (or why none)."""

    @property
    def approved(self) -> bool:
        return self.amount_krw > 0


def _krw(value: float) -> Decimal:
    return Decimal(int(value)) if value >= 0 else Decimal(0)


def size_entry(
    *,
    rules: SizingRules,
    market_rules: MarketRules,
    equity: Decimal,
    free_krw: Decimal,
    held_value: Decimal,
    price: float,
    stop_distance_pct: float | None,
    atr: float | None = None,
) -> SizeDecision:
    """KRW amount for a market buy, or a denial with the reason.

    ``held_value`` is the KRW value already held in this coin (max weight applies to the sum).
    The amount leaves room for the fee, which Upbit reserves on top of a bid.
    """
    equity_f = float(equity)
    if equity_f <= 0:
        return SizeDecision(Decimal(0), "equity is not positive")
    if rules.method is SizingMethod.FIXED_FRACTION:
        target = equity_f * rules.fraction_pct / 100
        why = f"{rules.fraction_pct:g} % of equity"
    else:
        if rules.method is SizingMethod.ATR:
            if atr is None or not atr > 0 or price <= 0:
                return SizeDecision(Decimal(0), "ATR sizing needs a positive ATR")
            distance = rules.atr_mult * atr / price * 100
        else:
            distance = stop_distance_pct if stop_distance_pct is not None else 0.0
        if not distance > 0:
            return SizeDecision(Decimal(0), "risk-per-trade sizing needs a stop distance")
        target = equity_f * rules.risk_pct / distance
        why = f"risk {rules.risk_pct:g} % of equity over a {distance:.2f} % stop"
    cap = equity_f * rules.max_weight_pct / 100 - float(held_value)
    if target > cap:
        target = cap
        why += f", capped at {rules.max_weight_pct:g} % weight"
    fee = market_rules.taker_fee
    affordable = (free_krw / (1 + fee)).quantize(Decimal(1), rounding=ROUND_DOWN)
    amount = min(_krw(target), affordable)
    if amount < _krw(target):
        why += ", limited by free KRW"
    minimum = max(rules.min_order_krw, market_rules.min_total_krw)
    if amount < minimum:
        if affordable >= minimum and cap >= float(minimum):
            amount = minimum
            why += f", raised to the {krw(minimum)} minimum"
        else:
            return SizeDecision(Decimal(0), f"size {krw(amount)} is below the {krw(minimum)} minimum ({why})")
    problem = market_rules.check_total(amount)
    if problem is not None:
        amount = min(amount, market_rules.max_total_krw)
        if market_rules.check_total(amount) is not None:
            return SizeDecision(Decimal(0), problem)
    return SizeDecision(amount, why)
