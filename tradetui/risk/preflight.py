"""Before a run: can an entry ever be sized and placed?

Every entry goes through :func:`tradetui.risk.sizing.size_entry` and the account limits. Some
settings deny *every* entry: cash that cannot pay the smallest order (the larger of the bot's
``min_order_krw`` and the exchange minimum, plus the fee), a per-coin weight cap or an exposure
cap smaller than that order, or risk-per-trade sizing for a strategy that has no stop distance.
A run with such settings trades nothing and says so only as one denial per signal in the
timeline. :func:`check_entries` names the cause before the run starts: ``errors`` when no
strategy can ever enter, ``warnings`` when only some cannot. The backtest command refuses on
an error; a running engine (demo, paper, live) logs both, since its balance may still change.

The check is for a flat account: with positions open, their value counts as cash (it returns
when they are sold).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from tradetui.core.plans import ExitPlan
from tradetui.core.rules import MarketRules
from tradetui.risk.limits import AccountLimits
from tradetui.risk.sizing import SizingMethod, SizingRules


@dataclass(frozen=True, slots=True)
class EntryCheck:
    errors: tuple[str, ...] = ()
    """Why no entry can ever be placed (the run would trade nothing)."""
    warnings: tuple[str, ...] = ()
    """Why some strategy's entries are all denied while others can trade."""

    @property
    def can_trade(self) -> bool:
        return not self.errors


def _krw(amount: Decimal) -> str:
    whole = amount.quantize(Decimal(1), rounding=ROUND_DOWN)
    return f"{whole:,} KRW"


def check_entries(
    *,
    cash_krw: Decimal,
    sizing: SizingRules,
    limits: AccountLimits,
    rules: MarketRules,
    exit_plans: Mapping[str, ExitPlan],
    more_cash: str = "[account] cash_krw",
) -> EntryCheck:
    """What makes every entry (or every entry of some strategy) a denial, given ``exit_plans`` by strategy name.

    ``more_cash`` says where more cash comes from (``--cash`` in a backtest, a deposit when live)."""
    minimum = max(sizing.min_order_krw, rules.min_total_krw)
    bot_minimum = sizing.min_order_krw > rules.min_total_krw
    which = "the bot's [risk] min_order_krw" if bot_minimum else f"the {rules.exchange.value} minimum"
    errors: list[str] = []
    affordable = (cash_krw / (1 + rules.taker_fee)).quantize(Decimal(1), rounding=ROUND_DOWN)
    if affordable < minimum:
        lower = f", or lower [risk] min_order_krw (down to {_krw(rules.min_total_krw)})" if bot_minimum else ""
        errors.append(
            f"{_krw(cash_krw)} of cash cannot pay the smallest order: the minimum order is {_krw(minimum)} "
            f"({which}) plus the {(rules.taker_fee * 100).normalize():f} % fee; "
            f"start with more cash ({more_cash}){lower}"
        )
    weight_cap = cash_krw * Decimal(repr(sizing.max_weight_pct)) / 100
    if not errors and weight_cap < minimum:
        errors.append(
            f"[risk] max_weight_pct {sizing.max_weight_pct:g} % of {_krw(cash_krw)} is {_krw(weight_cap)}, below the "
            f"{_krw(minimum)} minimum order ({which}), so no entry can be sized; raise max_weight_pct or the cash"
        )
    exposure_cap = cash_krw * Decimal(repr(limits.max_exposure_pct)) / 100
    if not errors and exposure_cap < minimum:
        errors.append(
            f"[risk] max_exposure_pct {limits.max_exposure_pct:g} % of {_krw(cash_krw)} is {_krw(exposure_cap)}, "
            f"below the {_krw(minimum)} minimum order ({which}), so every entry is denied; raise max_exposure_pct "
            "or the cash"
        )
    warnings: list[str] = []
    if sizing.method is SizingMethod.RISK_PER_TRADE:
        stopless = sorted(name for name, plan in exit_plans.items() if plan.stop_pct is None)
        if stopless:
            text = (
                f'sizing = "risk_per_trade" needs a stop distance, but strategy {", ".join(stopless)} has no '
                'stop_pct, so its entries are all denied; give it a stop, or use sizing = "fixed_fraction" or "atr"'
            )
            (errors if len(stopless) == len(exit_plans) else warnings).append(text)
    return EntryCheck(tuple(errors), tuple(warnings))
