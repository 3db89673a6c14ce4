from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from tradetui.candles.tick_grid import round_prices_nearest
from tradetui.core.rules import UPBIT_RULES, PriceRounding
from tradetui.core.types import decimal_from_float

SEP_2025 = 1_756_684_800
JAN_2024 = 1_704_067_200  # classic table


@pytest.mark.parametrize(
    ("raw", "ts", "expected"),
    [
        (150_803_499.0, SEP_2025, "150803000"),
        (150_803_500.0, SEP_2025, "150804000"),
        (1_999_999.0, SEP_2025, "2000000"),
        (123_456.0, SEP_2025, "123500"),
        (123_456.0, JAN_2024, "123450"),
        (133.4, JAN_2024, "133"),
        (12.345, SEP_2025, "12.3"),
        (0.0123456, SEP_2025, "0.0123"),
        (0.0123456, JAN_2024 + 60 * 86_400, "0.01235"),
        (0.00001, SEP_2025, "0.00001"),
    ],
)
def test_matches_the_decimal_path(raw: float, ts: int, expected: str) -> None:
    got = round_prices_nearest(np.array([raw]), np.array([ts], dtype=np.int64), "KRW-BTC")
    assert decimal_from_float(float(got[0])) == Decimal(expected)
    rules = UPBIT_RULES.at(ts)
    assert rules.round_price("KRW-BTC", Decimal(expected), PriceRounding.NEAREST) == Decimal(expected)


def test_random_prices_agree_with_decimal_rounding() -> None:
    rng = np.random.default_rng(1)
    prices = np.exp(rng.uniform(np.log(0.001), np.log(300_000_000), 2000))
    ts = rng.choice([JAN_2024 - 86_400, SEP_2025, 1_745_000_000], size=2000).astype(np.int64)
    got = round_prices_nearest(prices, ts, "KRW-ETH")
    for price, moment, rounded in zip(prices, ts, got, strict=True):
        reference = UPBIT_RULES.at(int(moment)).round_price(
            "KRW-ETH", Decimal(repr(float(price))), PriceRounding.NEAREST
        )
        assert decimal_from_float(float(rounded)) == reference


def test_refuses_non_positive() -> None:
    with pytest.raises(ValueError, match="> 0"):
        round_prices_nearest(np.array([0.0]), np.array([SEP_2025], dtype=np.int64), "KRW-BTC")
