"""Building engines from a validated config: rules, strategies, risk settings."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from tradetui.config import AppConfig, RiskConfig
from tradetui.core.market import Exchange
from tradetui.core.rules import BITHUMB_LOW_FEE, RuleBook, rule_book, with_overrides
from tradetui.engine.settings import Assignment
from tradetui.errors import ConfigError
from tradetui.risk.limits import AccountLimits
from tradetui.risk.sizing import SizingMethod, SizingRules
from tradetui.strategies import registry
from tradetui.strategies.base import Strategy


def rules_for(config: AppConfig, *, fee_override: Decimal | None = None) -> RuleBook:
    book = rule_book(config.exchange)
    fees = config.fees
    maker = fees.maker
    taker = fees.taker
    if config.exchange is Exchange.BITHUMB and fees.bithumb_low_fee:
        maker = maker if maker is not None else BITHUMB_LOW_FEE
        taker = taker if taker is not None else BITHUMB_LOW_FEE
    if fee_override is not None:
        maker = taker = fee_override
    return with_overrides(book, maker_fee=maker, taker_fee=taker, volume_decimals=fees.volume_decimals)


def sizing_rules(config: AppConfig) -> SizingRules:
    return sizing_from(config.risk)


def account_limits(config: AppConfig) -> AccountLimits:
    return limits_from(config.risk)


def sizing_from(r: RiskConfig) -> SizingRules:
    return SizingRules(
        method=SizingMethod(r.sizing),
        fraction_pct=r.fraction_pct,
        risk_pct=r.risk_pct,
        atr_mult=r.atr_mult,
        min_order_krw=r.min_order_krw,
        max_weight_pct=r.max_weight_pct,
    )


def limits_from(r: RiskConfig) -> AccountLimits:
    return AccountLimits(
        max_open_positions=r.max_open_positions,
        max_exposure_pct=r.max_exposure_pct,
        daily_loss_pct=r.daily_loss_pct,
        daily_loss_krw=r.daily_loss_krw,
        max_consecutive_losses=r.max_consecutive_losses,
        cooldown_minutes=r.cooldown_minutes,
    )


def risk_values(sizing: SizingRules, limits: AccountLimits) -> dict[str, Any]:
    """Sizing rules and account limits as the fields of :class:`RiskConfig` (JSON-safe: KRW amounts
    as strings); ``RiskConfig.model_validate(risk_values(s, l))`` gives back ``s`` and ``l``."""
    return {
        "sizing": sizing.method.value,
        "fraction_pct": sizing.fraction_pct,
        "risk_pct": sizing.risk_pct,
        "atr_mult": sizing.atr_mult,
        "min_order_krw": str(sizing.min_order_krw),
        "max_weight_pct": sizing.max_weight_pct,
        "max_open_positions": limits.max_open_positions,
        "max_exposure_pct": limits.max_exposure_pct,
        "daily_loss_pct": limits.daily_loss_pct,
        "daily_loss_krw": None if limits.daily_loss_krw is None else str(limits.daily_loss_krw),
        "max_consecutive_losses": limits.max_consecutive_losses,
        "cooldown_minutes": limits.cooldown_minutes,
    }


def build_strategy(name: str, params: dict[str, object] | None = None) -> Strategy:
    try:
        return registry.create(name, params)
    except registry.UnknownStrategy as exc:
        raise ConfigError(f"{exc}; choose one with --strategy or [[strategies]] name") from None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def assignments(config: AppConfig, markets: Sequence[str]) -> list[Assignment]:
    result = []
    for entry in config.strategies:
        chosen = tuple(entry.markets) if entry.markets else tuple(markets)
        unknown = [m for m in chosen if m not in markets]
        if unknown:
            raise ConfigError(
                f"strategy {entry.name} trades {', '.join(unknown)}, which the feed does not provide; "
                f"add them to [feed] markets"
            )
        result.append(Assignment(build_strategy(entry.name, entry.params), chosen))
    if not result:
        raise ConfigError('no strategy configured: add a [[strategies]] table, e.g. name = "breakout"')
    return result
