"""Tick rounding invariants for every band of every dated table, and float → Decimal round trips."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetui.core.rules import (
    BITHUMB_TICKS,
    UPBIT_RULES,
    UPBIT_TICKS_2024_01_29,
    UPBIT_TICKS_2025_07_31,
    UPBIT_TICKS_CLASSIC,
    PriceRounding,
    TickTable,
)
from tradetui.core.types import decimal_from_float

DOWN, UP, NEAREST = PriceRounding.DOWN, PriceRounding.UP, PriceRounding.NEAREST

TABLES: dict[str, TickTable] = {
    "upbit_classic": UPBIT_TICKS_CLASSIC,
    "upbit_2024_01_29": UPBIT_TICKS_2024_01_29,
    "upbit_2025_07_31": UPBIT_TICKS_2025_07_31,
    "upbit_usdt_2025_03_21": UPBIT_RULES.at(datetime(2025, 3, 21, tzinfo=UTC)).table_for("KRW-USDT"),
    "upbit_usdt_2025_07_31": UPBIT_RULES.at(datetime(2025, 7, 31, tzinfo=UTC)).table_for("KRW-USDT"),
    "bithumb": BITHUMB_TICKS,
}

CASES = [
    pytest.param(name, index, id=f"{name}-band{index}-from-{table.bands[index][0]}")
    for name, table in TABLES.items()
    for index in range(len(table.bands))
]


def _band(table: TickTable, index: int) -> tuple[Decimal, Decimal, Decimal]:
    lower, tick = table.bands[index]
    upper = table.bands[index + 1][0] if index + 1 < len(table.bands) else lower * 10
    return lower, upper, tick


def test_every_table_has_the_expected_number_of_bands() -> None:
    # guards the parametrisation: a table that silently lost bands would lose coverage
    assert {name: len(t.bands) for name, t in TABLES.items()} == {
        "upbit_classic": 11,
        "upbit_2024_01_29": 14,
        "upbit_2025_07_31": 17,
        "upbit_usdt_2025_03_21": 14,
        "upbit_usdt_2025_07_31": 17,
        "bithumb": 11,
    }
    assert len(CASES) == 84


@pytest.mark.parametrize(("name", "index"), CASES)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_rounding_invariants_in_every_band(name: str, index: int, data: st.DataObject) -> None:
    table = TABLES[name]
    lower, upper, tick = _band(table, index)
    steps = int((upper - lower) / tick) * 7
    # in the lowest band, stay at or above one tick: nothing rounds to 0 (covered in test_rules)
    k_min = 7 if lower == 0 else 0
    k = data.draw(st.integers(min_value=k_min, max_value=steps - 1), label="k")
    p = lower + Decimal(k) * tick / 7
    assert lower <= p < upper
    assert table.tick_for(p) == tick

    down = table.round_price(p, DOWN)
    up = table.round_price(p, UP)
    nearest = table.round_price(p, NEAREST)

    for rounded in (down, up, nearest):
        assert table.is_on_grid(rounded), (p, rounded)
        for mode in PriceRounding:  # idempotent, and on-grid prices do not move
            assert table.round_price(rounded, mode) == rounded

    assert down <= p <= up
    assert up - down <= tick
    assert nearest in (down, up)
    assert abs(nearest - p) <= abs((up if nearest == down else down) - p)
    # tightness: no grid point strictly between DOWN and p, or between p and UP
    assert down + tick > p
    assert up - tick < p
    if k % 7 == 0:  # already on the grid
        assert down == up == nearest == p
    else:
        assert up - down == tick
        assert down < p < up
    # a rounded price survives the float path the candle files use
    for rounded in (down, up, nearest):
        if len(rounded.normalize().as_tuple().digits) <= 15:
            assert decimal_from_float(float(str(rounded))) == rounded


@settings(max_examples=300, deadline=None)
@given(
    mantissa=st.integers(min_value=1, max_value=10**15 - 1),
    exponent=st.integers(min_value=-20, max_value=10),
    negative=st.booleans(),
)
def test_decimal_round_trip_through_float(mantissa: int, exponent: int, negative: bool) -> None:
    value = Decimal(-mantissa if negative else mantissa).scaleb(exponent)
    text = str(value)
    assert decimal_from_float(float(text)) == value


@settings(max_examples=200, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=15), point=st.integers(0, 15))
def test_decimal_round_trip_of_plain_price_text(digits: str, point: int) -> None:
    point = min(point, len(digits))
    text = (digits[: len(digits) - point] or "0") + ("." + digits[len(digits) - point :] if point else "")
    assert decimal_from_float(float(text)) == Decimal(text)
