"""Decimal constructors, client order identifiers and the KST/UTC clock helpers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tradetui.core.clock import (
    DAY_MS,
    SimClock,
    format_kst,
    parse_utc,
    to_kst,
    trading_day,
    trading_day_start_ms,
)
from tradetui.core.ids import is_valid_identifier, new_identifier
from tradetui.core.types import Side, decimal_from_float, krw, price, to_decimal, volume

JAN29_2024_MS = 1_706_486_400_000  # 2024-01-29T00:00:00Z = 09:00 KST


# --- types ----------------------------------------------------------------------------------


def test_constructors_accept_text_int_decimal() -> None:
    assert price("160123000") == Decimal("160123000")
    assert price(5) == Decimal(5)
    assert price(Decimal("0.5")) == Decimal("0.5")
    assert volume("0") == Decimal(0)
    assert volume("0.00000001") == Decimal("1E-8")
    assert krw("-1234.5") == Decimal("-1234.5")
    assert to_decimal(" 12.50 ") == Decimal("12.50")


@pytest.mark.parametrize("bad", [1.5, 0.0, True, False])
def test_floats_and_bools_are_refused(bad: object) -> None:
    for ctor in (price, volume, krw, to_decimal):
        with pytest.raises(TypeError, match="not"):
            ctor(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_non_finite_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        to_decimal(bad)


def test_garbage_and_sign_refused() -> None:
    with pytest.raises(ValueError, match="price is not a number"):
        price("12,5")
    with pytest.raises(ValueError, match="price must be > 0"):
        price("0")
    with pytest.raises(ValueError, match="price must be > 0"):
        price("-1")
    with pytest.raises(ValueError, match="volume must be >= 0"):
        volume("-0.1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, "0.1"),
        (150.55, "150.55"),
        (160123456.0, "160123456"),
        (0.00001234, "0.00001234"),
        (1e-8, "0.00000001"),
        (123456789012345.0, "123456789012345"),
        (1e20, "100000000000000000000"),
        (-2.5, "-2.5"),
    ],
)
def test_decimal_from_float_gives_the_printed_value(value: float, expected: str) -> None:
    assert decimal_from_float(value) == Decimal(expected)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_decimal_from_float_refuses_non_finite(bad: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        decimal_from_float(bad)


def test_side_opposite() -> None:
    assert Side.BID.opposite is Side.ASK
    assert Side.ASK.opposite is Side.BID


# --- ids ------------------------------------------------------------------------------------


def test_deterministic_identifier() -> None:
    ident = new_identifier("my bot!", 0x18D5, counter=5)
    assert ident == "mybot-18d5-00000005"
    assert is_valid_identifier(ident)
    assert new_identifier("", 1, counter=0) == "tt-1-00000000"
    assert new_identifier("breakout", 1, counter=1).startswith("breako-")


def test_random_identifiers_are_unique_and_fit_both_exchanges() -> None:
    ids = {new_identifier("bo", JAN29_2024_MS) for _ in range(200)}
    assert len(ids) == 200
    for ident in ids:
        assert is_valid_identifier(ident)
        assert len(ident) <= 32


@pytest.mark.parametrize(
    ("text", "ok"),
    [("a", True), ("A-b_9", True), ("x" * 36, True), ("x" * 37, False), ("", False), ("a b", False), ("a.b", False)],
)
def test_identifier_validation(text: str, ok: bool) -> None:
    assert is_valid_identifier(text) is ok


# --- clock ----------------------------------------------------------------------------------


def test_sim_clock_moves_only_forward() -> None:
    clock = SimClock(1_000)
    assert clock.now_ms() == 1_000
    clock.advance_ms(500)
    assert clock.now_ms() == 1_500
    clock.set_ms(1_500)
    with pytest.raises(ValueError, match="backwards"):
        clock.set_ms(1_499)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance_ms(-1)
    assert clock.now_ms() == 1_500


def test_trading_day_rolls_at_09_00_kst() -> None:
    assert trading_day(JAN29_2024_MS - 1) == date(2024, 1, 28)  # 08:59:59.999 KST on the 29th
    assert trading_day(JAN29_2024_MS) == date(2024, 1, 29)
    assert trading_day_start_ms(JAN29_2024_MS + DAY_MS - 1) == JAN29_2024_MS
    assert trading_day_start_ms(JAN29_2024_MS - 1) == JAN29_2024_MS - DAY_MS
    assert to_kst(JAN29_2024_MS).hour == 9


def test_format_and_parse() -> None:
    assert format_kst(0) == "1970-01-01 09:00:00 KST"
    assert format_kst(JAN29_2024_MS, seconds=False) == "2024-01-29 09:00 KST"
    assert parse_utc("2024-01-29") == JAN29_2024_MS
    assert parse_utc("2024-01-29T00:00:00Z") == JAN29_2024_MS
    assert parse_utc("2024-01-29T09:00:00+09:00") == JAN29_2024_MS
