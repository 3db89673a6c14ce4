"""Position sizing: each method with hand-computed amounts, the caps, and the denials."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradetui.core.rules import BITHUMB_RULES, UPBIT_RULES, MarketRules, with_overrides
from tradetui.risk.sizing import SizeDecision, SizingMethod, SizingRules, size_entry

D = Decimal
UPBIT = UPBIT_RULES.current()


def _size(
    rules: SizingRules,
    *,
    equity: str = "1000000",
    free: str = "1000000",
    held: str = "0",
    price: float = 100_000.0,
    stop: float | None = None,
    atr: float | None = None,
    market_rules: MarketRules = UPBIT,
) -> SizeDecision:
    return size_entry(
        rules=rules,
        market_rules=market_rules,
        equity=D(equity),
        free_krw=D(free),
        held_value=D(held),
        price=price,
        stop_distance_pct=stop,
        atr=atr,
    )


FIXED10 = SizingRules(method=SizingMethod.FIXED_FRACTION, fraction_pct=10.0)


def test_fixed_fraction() -> None:
    got = _size(FIXED10)
    assert got == SizeDecision(D("100000"), "10 % of equity")
    assert got.approved


def test_risk_per_trade() -> None:
    rules = SizingRules(method=SizingMethod.RISK_PER_TRADE, risk_pct=1.0)
    # 1 % of 1,000,000 over a 5 % stop = 200,000
    assert _size(rules, stop=5.0) == SizeDecision(D("200000"), "risk 1 % of equity over a 5.00 % stop")
    # exactly at the 25 % weight: not reported as capped
    assert _size(rules, stop=4.0) == SizeDecision(D("250000"), "risk 1 % of equity over a 4.00 % stop")


def test_atr_sizing() -> None:
    rules = SizingRules(method=SizingMethod.ATR, risk_pct=0.5, atr_mult=2.0)
    # stop distance 2 × 1,500 / 100,000 = 3 %; 0.5 % × 1,000,000 / 3 % = 166,666.67 → 166,666
    got = _size(rules, price=100_000.0, atr=1_500.0, stop=99.0)  # stop_distance_pct is ignored for ATR
    assert got == SizeDecision(D("166666"), "risk 0.5 % of equity over a 3.00 % stop")


def test_max_weight_cap_counts_what_is_already_held() -> None:
    rules = SizingRules(method=SizingMethod.RISK_PER_TRADE, risk_pct=1.0, max_weight_pct=25.0)
    assert _size(rules, stop=2.0) == SizeDecision(
        D("250000"), "risk 1 % of equity over a 2.00 % stop, capped at 25 % weight"
    )
    twenty = SizingRules(method=SizingMethod.FIXED_FRACTION, fraction_pct=20.0)
    got = _size(twenty, held="100000")  # 250,000 − 100,000 held = 150,000
    assert got == SizeDecision(D("150000"), "20 % of equity, capped at 25 % weight")


def test_free_krw_cap_leaves_room_for_the_fee() -> None:
    got = _size(FIXED10, free="50000")  # 50,000 / 1.0005 = 49,975.01 → 49,975
    assert got == SizeDecision(D("49975"), "10 % of equity, limited by free KRW")
    assert got.amount_krw * (1 + UPBIT.taker_fee) <= D("50000")
    bithumb = _size(FIXED10, free="100000", market_rules=BITHUMB_RULES.current())  # 0.25 %: 99,750.62
    assert bithumb.amount_krw == D("99750")


def test_small_size_raised_to_the_minimum() -> None:
    tiny = SizingRules(method=SizingMethod.FIXED_FRACTION, fraction_pct=0.3)  # 3,000 KRW
    assert _size(tiny) == SizeDecision(D("5000"), "0.3 % of equity, raised to the 5,000 KRW minimum")
    bot_min = SizingRules(method=SizingMethod.FIXED_FRACTION, fraction_pct=0.3, min_order_krw=D("10000"))
    assert _size(bot_min).amount_krw == D("10000")
    exch_min = with_overrides(UPBIT_RULES, min_total_krw=D("8000")).current()
    assert _size(tiny, market_rules=exch_min).amount_krw == D("8000")


def test_denied_below_minimum_when_free_krw_is_short() -> None:
    got = _size(FIXED10, free="4000")
    assert not got.approved
    assert got.amount_krw == 0
    assert got.reason == "size 3,998 KRW is below the 5,000 KRW minimum (10 % of equity, limited by free KRW)"


def test_denied_below_minimum_when_the_weight_cap_leaves_too_little() -> None:
    got = _size(FIXED10, held="248000")  # room 2,000 KRW
    assert got == SizeDecision(
        D("0"), "size 2,000 KRW is below the 5,000 KRW minimum (10 % of equity, capped at 25 % weight)"
    )
    over = _size(FIXED10, held="300000")  # already above the cap
    assert not over.approved
    assert "below the 5,000 KRW minimum" in over.reason


def test_exchange_maximum_total_caps_the_amount() -> None:
    twenty = SizingRules(method=SizingMethod.FIXED_FRACTION, fraction_pct=20.0)
    got = _size(twenty, equity="10000000000", free="10000000000")  # 2,000,000,000 wanted
    assert got.amount_krw == D("1000000000")
    low_max = with_overrides(UPBIT_RULES, max_total_krw=D("60000")).current()
    assert _size(FIXED10, market_rules=low_max).amount_krw == D("60000")


@pytest.mark.parametrize(
    ("rules", "kwargs", "reason"),
    [
        (FIXED10, {"equity": "0"}, "equity is not positive"),
        (FIXED10, {"equity": "-5"}, "equity is not positive"),
        (SizingRules(method=SizingMethod.ATR), {"atr": None}, "ATR sizing needs a positive ATR"),
        (SizingRules(method=SizingMethod.ATR), {"atr": 0.0}, "ATR sizing needs a positive ATR"),
        (SizingRules(method=SizingMethod.ATR), {"atr": 10.0, "price": 0.0}, "ATR sizing needs a positive ATR"),
        (SizingRules(), {"stop": None}, "risk-per-trade sizing needs a stop distance"),
        (SizingRules(), {"stop": 0.0}, "risk-per-trade sizing needs a stop distance"),
        (SizingRules(), {"stop": -1.0}, "risk-per-trade sizing needs a stop distance"),
    ],
)
def test_denials(rules: SizingRules, kwargs: dict[str, object], reason: str) -> None:
    got = _size(rules, **kwargs)  # type: ignore[arg-type]
    assert got == SizeDecision(D("0"), reason)
    assert not got.approved
