"""Settings that deny every entry are named before a run, not found out after it (0 trades)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradetui.core.plans import ExitPlan
from tradetui.core.rules import BITHUMB_RULES, UPBIT_RULES
from tradetui.risk.limits import AccountLimits
from tradetui.risk.preflight import check_entries
from tradetui.risk.sizing import SizingMethod, SizingRules

RULES = UPBIT_RULES.at(datetime(2025, 9, 1, tzinfo=UTC))  # exchange minimum 5,000 KRW, fee 0.05 %
PLANS = {"breakout": ExitPlan()}


def _check(
    cash: str,
    *,
    sizing: SizingRules | None = None,
    limits: AccountLimits | None = None,
    plans: dict[str, ExitPlan] | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    result = check_entries(
        cash_krw=Decimal(cash),
        sizing=sizing or SizingRules(min_order_krw=Decimal("5000")),
        limits=limits or AccountLimits(),
        rules=RULES,
        exit_plans=PLANS if plans is None else plans,
    )
    assert result.can_trade == (not result.errors)
    return result.errors, result.warnings


def test_a_healthy_account_has_nothing_to_say() -> None:
    assert _check("10000000") == ((), ())


@pytest.mark.parametrize(("cash", "ok"), [("4000", False), ("5002", False), ("5003", True)])
def test_cash_must_pay_the_exchange_minimum_plus_the_fee(cash: str, ok: bool) -> None:
    """5,000 KRW + 0.05 % fee: 5,002 KRW buys 4,999 after the fee reserve, 5,003 buys 5,000."""
    all_in = SizingRules(min_order_krw=Decimal("5000"), max_weight_pct=100.0)
    errors, _ = _check(cash, sizing=all_in, limits=AccountLimits(max_exposure_pct=100.0))
    assert bool(errors) is not ok
    if errors:
        assert f"{int(cash):,} KRW of cash cannot pay the smallest order" in errors[0]
        assert "5,000 KRW (the upbit minimum) plus the 0.05 % fee" in errors[0]
        assert "start with more cash ([account] cash_krw)" in errors[0]


def test_the_bot_minimum_counts_and_its_fix_is_named() -> None:
    (error,), _ = _check("9000", sizing=SizingRules(min_order_krw=Decimal("10000")))
    assert "10,000 KRW (the bot's [risk] min_order_krw)" in error
    assert "lower [risk] min_order_krw (down to 5,000 KRW)" in error


def test_a_weight_cap_below_the_minimum_order() -> None:
    sizing = SizingRules(min_order_krw=Decimal("10000"), max_weight_pct=25.0)
    (error,), _ = _check("30000", sizing=sizing)
    assert error.startswith("[risk] max_weight_pct 25 % of 30,000 KRW is 7,500 KRW, below the 10,000 KRW minimum")
    assert _check("40000", sizing=sizing) == ((), ())  # 25 % of 40,000 is exactly the minimum


def test_an_exposure_cap_below_the_minimum_order() -> None:
    (error,), _ = _check("100000", limits=AccountLimits(max_exposure_pct=4.0))
    assert "max_exposure_pct 4 % of 100,000 KRW is 4,000 KRW, below the 5,000 KRW minimum order" in error


def test_risk_per_trade_needs_every_strategy_to_have_a_stop() -> None:
    stopless = replace(ExitPlan(), stop_pct=None)
    sizing = SizingRules(method=SizingMethod.RISK_PER_TRADE, min_order_krw=Decimal("5000"))
    errors, warnings = _check("10000000", sizing=sizing, plans={"dca": stopless})
    assert len(errors) == 1 and not warnings and "strategy dca has no stop_pct" in errors[0]
    errors, warnings = _check("10000000", sizing=sizing, plans={"dca": stopless, "breakout": ExitPlan()})
    assert not errors and len(warnings) == 1 and "strategy dca has no stop_pct" in warnings[0]
    fixed = replace(sizing, method=SizingMethod.FIXED_FRACTION)
    assert _check("10000000", sizing=fixed, plans={"dca": stopless}) == ((), ())


def test_the_minimum_in_force_is_the_rule_books() -> None:
    rules = BITHUMB_RULES.at(datetime(2025, 9, 1, tzinfo=UTC))
    result = check_entries(
        cash_krw=Decimal(rules.min_total_krw) - 1,
        sizing=SizingRules(min_order_krw=Decimal(0)),
        limits=AccountLimits(),
        rules=rules,
        exit_plans=PLANS,
    )
    assert result.errors and "the bithumb minimum" in result.errors[0]
