"""Dated exchange rules: tick tables (reference A9/B9), volume precision, totals, fees, date lookup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tradetui.core.clock import KST
from tradetui.core.market import Exchange
from tradetui.core.rules import (
    BITHUMB_LIST_FEE,
    BITHUMB_LOW_FEE,
    BITHUMB_RULES,
    BITHUMB_TICKS,
    UPBIT_RULES,
    UPBIT_TICKS_2024_01_29,
    UPBIT_TICKS_2025_07_31,
    UPBIT_TICKS_CLASSIC,
    MarketRules,
    PriceRounding,
    RuleBook,
    TickTable,
    rule_book,
    with_overrides,
)
from tradetui.core.types import Side

D = Decimal
DOWN, UP, NEAREST = PriceRounding.DOWN, PriceRounding.UP, PriceRounding.NEAREST

IN_2021 = datetime(2021, 6, 1, tzinfo=UTC)
IN_2024 = datetime(2024, 6, 1, tzinfo=UTC)
APR_2025 = datetime(2025, 4, 15, tzinfo=UTC)  # 2024 table + stablecoin exception
AUG_2025 = datetime(2025, 8, 15, tzinfo=UTC)  # current table


def _round3(rules: MarketRules, market: str, value: str) -> tuple[str, str, str]:
    return tuple(str(rules.round_price(market, D(value), mode)) for mode in (DOWN, UP, NEAREST))  # type: ignore[return-value]


# --- hand-computed examples per dated table -------------------------------------------------


def test_large_btc_price_on_the_2025_table_rounds_to_1000() -> None:
    rules = UPBIT_RULES.at(AUG_2025)
    assert rules.tick_table is UPBIT_TICKS_2025_07_31
    assert _round3(rules, "KRW-BTC", "160123456") == ("160123000", "160124000", "160123000")
    assert _round3(rules, "KRW-BTC", "160123500") == ("160123000", "160124000", "160124000")


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (IN_2021, ("150", "151", "151")),  # classic: 100–1,000 tick 1
        (IN_2024, ("150.5", "150.6", "150.6")),  # 2024-01-29: 100–1,000 tick 0.1 (half up)
        (AUG_2025, ("150", "151", "151")),  # 2025-07-31: 100–1,000 tick 1
    ],
)
def test_150_55_krw_in_2021_2024_2025(when: datetime, expected: tuple[str, str, str]) -> None:
    assert _round3(UPBIT_RULES.at(when), "KRW-XRP", "150.55") == expected


@pytest.mark.parametrize(
    ("when", "value", "expected"),
    [
        # classic table
        (IN_2021, "1234567", ("1234500", "1235000", "1234500")),  # 1M–2M: 500
        (IN_2021, "2345678", ("2345000", "2346000", "2346000")),  # ≥2M: 1000
        (IN_2021, "654321", ("654300", "654400", "654300")),  # 500k–1M: 100
        (IN_2021, "123456", ("123450", "123500", "123450")),  # 100k–500k: 50
        (IN_2021, "54321", ("54320", "54330", "54320")),  # 10k–100k: 10
        (IN_2021, "5432.1", ("5430", "5435", "5430")),  # 1k–10k: 5
        (IN_2021, "55.55", ("55.5", "55.6", "55.6")),  # 10–100: 0.1
        (IN_2021, "5.555", ("5.55", "5.56", "5.56")),  # 1–10: 0.01
        # 2024-01-29 table
        (IN_2024, "1234567", ("1234500", "1235000", "1234500")),  # 1M–2M: 500
        (IN_2024, "123456", ("123450", "123500", "123450")),  # 100k–500k: 50
        (IN_2024, "5432.1", ("5432", "5433", "5432")),  # 1k–10k: 1
        (IN_2024, "55.555", ("55.55", "55.56", "55.56")),  # 10–100: 0.01
        (IN_2024, "5.5555", ("5.555", "5.556", "5.556")),  # 1–10: 0.001
        (IN_2024, "0.123456", ("0.1234", "0.1235", "0.1235")),  # 0.1–1: 0.0001
        # 2025-07-31 table
        (AUG_2025, "1234567", ("1234000", "1235000", "1235000")),  # 1M–2M: 1000
        (AUG_2025, "654321", ("654000", "654500", "654500")),  # 500k–1M: 500
        (AUG_2025, "123456", ("123400", "123500", "123500")),  # 100k–500k: 100
        (AUG_2025, "54321", ("54300", "54350", "54300")),  # 50k–100k: 50
        (AUG_2025, "12345", ("12340", "12350", "12350")),  # 10k–50k: 10
        (AUG_2025, "5432.1", ("5430", "5435", "5430")),  # 5k–10k: 5
        (AUG_2025, "1234.5", ("1234", "1235", "1235")),  # 1k–5k: 1
        (AUG_2025, "55.555", ("55.5", "55.6", "55.6")),  # 10–100: 0.1
        (AUG_2025, "5.555", ("5.55", "5.56", "5.56")),  # 1–10: 0.01
        (AUG_2025, "0.0123456", ("0.0123", "0.0124", "0.0123")),  # 0.01–0.1: 0.0001
        (AUG_2025, "0.00001234", ("0.0000123", "0.0000124", "0.0000123")),  # 0.00001–0.0001: 1e-7
    ],
)
def test_upbit_dated_tables(when: datetime, value: str, expected: tuple[str, str, str]) -> None:
    got = _round3(UPBIT_RULES.at(when), "KRW-BTC", value)
    assert tuple(D(x) for x in got) == tuple(D(x) for x in expected)


def test_smallest_bands_of_the_2025_table() -> None:
    table = UPBIT_TICKS_2025_07_31
    assert table.tick_for(D("0.00001234")) == D("0.0000001")
    assert table.round_price(D("0.00001234"), DOWN) == D("0.0000123")
    assert table.round_price(D("0.00001234"), UP) == D("0.0000124")
    assert table.tick_for(D("0.000001234")) == D("0.00000001")
    assert table.round_price(D("0.000001234"), DOWN) == D("0.00000123")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234567", ("1234000", "1235000", "1235000")),  # ≥1M: 1000
        ("654321", ("654000", "654500", "654500")),  # 500k–1M: 500
        ("123456", ("123400", "123500", "123500")),  # 100k–500k: 100
        ("54321", ("54300", "54350", "54300")),  # 50k–100k: 50
        ("12345", ("12340", "12350", "12350")),  # 10k–50k: 10
        ("5432.1", ("5430", "5435", "5430")),  # 5k–10k: 5
        ("1234.5", ("1234", "1235", "1235")),  # 1k–5k: 1
        ("150.55", ("150", "151", "151")),  # 100–1k: 1
        ("55.555", ("55.55", "55.56", "55.56")),  # 10–100: 0.01
        ("5.5555", ("5.555", "5.556", "5.556")),  # 1–10: 0.001
        ("0.55555", ("0.5555", "0.5556", "0.5556")),  # <1: 0.0001
    ],
)
def test_bithumb_table(value: str, expected: tuple[str, str, str]) -> None:
    rules = BITHUMB_RULES.at(AUG_2025)
    assert rules.tick_table is BITHUMB_TICKS
    got = _round3(rules, "KRW-BTC", value)
    assert tuple(D(x) for x in got) == tuple(D(x) for x in expected)
    # one table for all dates
    assert BITHUMB_RULES.at(IN_2021) is BITHUMB_RULES.at(AUG_2025)


def test_rounded_prices_print_at_the_tick_precision() -> None:
    table = UPBIT_TICKS_2024_01_29
    assert str(table.round_price(D("150.50"), NEAREST)) == "150.5"
    assert str(table.round_price(D("12.3"), DOWN)) == "12.30"
    assert str(UPBIT_TICKS_2025_07_31.round_price(D("160123000.000"), DOWN)) == "160123000"


# --- KRW-USDT / KRW-USDC exception ------------------------------------------------------------


def test_usdt_tick_half_from_2025_03_21_only() -> None:
    before = UPBIT_RULES.at(datetime(2025, 3, 20, 23, 59, 59, tzinfo=UTC))
    after = UPBIT_RULES.at(datetime(2025, 3, 21, tzinfo=UTC))
    assert _round3(before, "KRW-USDT", "1400.3") == ("1400", "1401", "1400")
    assert _round3(after, "KRW-USDT", "1400.3") == ("1400.0", "1400.5", "1400.5")
    assert _round3(after, "KRW-USDC", "1399.7") == ("1399.5", "1400.0", "1399.5")
    # other markets keep the general table
    assert _round3(after, "KRW-BTC", "1400.3") == ("1400", "1401", "1400")
    # the exception is limited to the 1,000–10,000 band
    assert after.table_for("KRW-USDT").tick_for(D("999.9")) == D("0.1")
    assert after.table_for("KRW-USDT").tick_for(D("10000")) == D("10")


@pytest.mark.parametrize("value", ["1400.5", "4999.5", "5000.5", "9999.5"])
@pytest.mark.parametrize("when", [APR_2025, AUG_2025])
def test_usdt_tick_half_covers_the_whole_1000_to_10000_band(when: datetime, value: str) -> None:
    """Reference A9: KRW-USDT/USDC tick 0.5 in the 1,000–10,000 band, on top of the 2025-07-31 table
    which splits that band at 5,000 (general tick 5 above 5,000)."""
    rules = UPBIT_RULES.at(when)
    table = rules.table_for("KRW-USDT")
    assert table.tick_for(D(value)) == D("0.5")
    assert table.is_on_grid(D(value))
    assert rules.round_price("KRW-USDT", D(value) + D("0.2"), DOWN) == D(value)


def test_usdt_on_the_2025_table_keeps_the_new_general_ticks_elsewhere() -> None:
    table = UPBIT_RULES.at(AUG_2025).table_for("KRW-USDT")
    assert table.tick_for(D("150")) == D("1")  # 2025 table, not the 2024 table (0.1)
    assert table.tick_for(D("12345")) == D("10")


# --- rounding edges -------------------------------------------------------------------------


def test_rounding_up_crosses_into_the_next_band() -> None:
    assert UPBIT_TICKS_2024_01_29.round_price(D("999.95"), UP) == D("1000")
    assert UPBIT_TICKS_CLASSIC.round_price(D("9998"), UP) == D("10000")
    assert UPBIT_TICKS_2025_07_31.round_price(D("1999999.5"), UP) == D("2000000")
    assert UPBIT_TICKS_2024_01_29.round_price(D("999.96"), NEAREST) == D("1000")


def test_band_lookup_uses_the_price_itself() -> None:
    table = UPBIT_TICKS_2025_07_31
    assert table.tick_for(D("100")) == D("1")
    assert table.tick_for(D("99.9")) == D("0.1")
    assert table.tick_for(D("5000")) == D("5")
    assert table.tick_for(D("4999")) == D("1")
    assert table.tick_for(D("500000")) == D("500")
    assert table.tick_for(D("499900")) == D("100")
    assert table.is_on_grid(D("4999"))
    assert not table.is_on_grid(D("5001"))
    assert not table.is_on_grid(D("0"))


def test_non_positive_prices_are_refused() -> None:
    with pytest.raises(ValueError, match="> 0"):
        UPBIT_TICKS_2025_07_31.round_price(D("0"), DOWN)
    with pytest.raises(ValueError, match="> 0"):
        UPBIT_TICKS_2025_07_31.round_price(D("-5"), UP)
    with pytest.raises(ValueError, match="> 0"):
        UPBIT_TICKS_2025_07_31.tick_for(D("0"))


def test_price_below_the_smallest_tick_rounds_to_one_tick_never_to_zero() -> None:
    assert UPBIT_TICKS_2025_07_31.round_price(D("0.000000001"), DOWN) == D("0.00000001")
    assert UPBIT_TICKS_2025_07_31.round_price(D("0.000000001"), NEAREST) == D("0.00000001")


def test_passive_rounding_per_side() -> None:
    assert PriceRounding.passive_for(Side.BID) is DOWN
    assert PriceRounding.passive_for(Side.ASK) is UP


def test_ticks_between() -> None:
    assert UPBIT_TICKS_2025_07_31.ticks_between(D("160000000"), D("160123000")) == 123


# --- date lookup ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "table"),
    [
        (datetime(2010, 1, 1, tzinfo=UTC), UPBIT_TICKS_CLASSIC),  # before the first version
        (datetime(2024, 1, 28, 23, 59, 59, tzinfo=UTC), UPBIT_TICKS_CLASSIC),
        (datetime(2024, 1, 29, 8, 59, 59, tzinfo=KST), UPBIT_TICKS_CLASSIC),
        (datetime(2024, 1, 29, 9, 0, tzinfo=KST), UPBIT_TICKS_2024_01_29),  # 09:00 KST = 00:00 UTC
        (datetime(2024, 1, 29, tzinfo=UTC), UPBIT_TICKS_2024_01_29),
        (datetime(2025, 7, 30, 23, 59, 59, 999999, tzinfo=UTC), UPBIT_TICKS_2024_01_29),
        (datetime(2025, 7, 31, tzinfo=UTC), UPBIT_TICKS_2025_07_31),
        (datetime(2030, 1, 1, tzinfo=UTC), UPBIT_TICKS_2025_07_31),
    ],
)
def test_rule_book_at_boundaries(when: datetime, table: TickTable) -> None:
    assert UPBIT_RULES.at(when).tick_table is table


def test_rule_book_at_epoch_seconds() -> None:
    jan29 = 1_706_486_400  # 2024-01-29T00:00:00Z
    assert UPBIT_RULES.at(jan29 - 1).tick_table is UPBIT_TICKS_CLASSIC
    assert UPBIT_RULES.at(jan29).tick_table is UPBIT_TICKS_2024_01_29
    mar21 = 1_742_515_200  # 2025-03-21T00:00:00Z
    assert UPBIT_RULES.at(mar21 - 1).market_ticks == ()
    assert dict(UPBIT_RULES.at(mar21).market_ticks).keys() == {"KRW-USDT", "KRW-USDC"}
    jul31 = 1_753_920_000  # 2025-07-31T00:00:00Z
    assert UPBIT_RULES.boundaries_s() == (jan29, mar21, jul31)
    assert UPBIT_RULES.at(jul31) is UPBIT_RULES.current()
    assert UPBIT_RULES.current().tick_table is UPBIT_TICKS_2025_07_31


def test_rule_book_for_exchange() -> None:
    assert rule_book(Exchange.UPBIT) is UPBIT_RULES
    assert rule_book(Exchange.BITHUMB) is BITHUMB_RULES
    assert BITHUMB_RULES.boundaries_s() == ()


# --- volume, totals, fees -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decimals", "value", "expected"),
    [
        (8, "0.123456789", "0.12345678"),
        (8, "0.999999999999", "0.99999999"),
        (8, "1.000000009", "1.00000000"),
        (8, "5", "5.00000000"),
        (8, "0.00000000999", "0E-8"),
        (4, "0.99999", "0.9999"),
        (4, "12.34567", "12.3456"),
    ],
)
def test_truncate_volume_never_rounds_up(decimals: int, value: str, expected: str) -> None:
    rules = with_overrides(UPBIT_RULES, volume_decimals=decimals).current()
    got = rules.truncate_volume(D(value))
    assert got == D(expected)
    assert str(got) == expected
    assert got <= D(value)


def test_check_total_messages() -> None:
    rules = UPBIT_RULES.current()
    assert rules.check_total(D("4999.99")) == ("order total 4999.99 KRW is below the exchange minimum of 5000 KRW")
    assert rules.check_total(D("5000")) is None
    assert rules.check_total(D("1000000000")) is None
    assert rules.check_total(D("1000000001")) == (
        "order total 1000000001 KRW is above the exchange maximum of 1000000000 KRW"
    )
    raised = with_overrides(UPBIT_RULES, min_total_krw=D("10000"), max_total_krw=D("20000")).current()
    assert "below the exchange minimum of 10000 KRW" in (raised.check_total(D("9999")) or "")
    assert "above the exchange maximum of 20000 KRW" in (raised.check_total(D("20001")) or "")


def test_default_fees() -> None:
    for version in UPBIT_RULES.versions:
        assert version.fee_rate(is_maker=True) == D("0.0005")
        assert version.fee_rate(is_maker=False) == D("0.0005")
    bithumb = BITHUMB_RULES.current()
    assert bithumb.maker_fee == bithumb.taker_fee == BITHUMB_LIST_FEE == D("0.0025")
    assert D("0.0004") == BITHUMB_LOW_FEE


def test_fee_overrides_apply_to_every_version_and_keep_the_rest() -> None:
    book = with_overrides(UPBIT_RULES, maker_fee=D("0.0001"), taker_fee=D("0.0002"))
    assert len(book.versions) == len(UPBIT_RULES.versions)
    for old, new in zip(UPBIT_RULES.versions, book.versions, strict=True):
        assert new.fee_rate(is_maker=True) == D("0.0001")
        assert new.fee_rate(is_maker=False) == D("0.0002")
        assert new.effective == old.effective
        assert new.tick_table is old.tick_table
        assert new.market_ticks == old.market_ticks
        assert new.min_total_krw == old.min_total_krw
    # the original book is untouched
    assert UPBIT_RULES.current().maker_fee == D("0.0005")
    # only maker
    only_maker = with_overrides(BITHUMB_RULES, maker_fee=BITHUMB_LOW_FEE).current()
    assert (only_maker.maker_fee, only_maker.taker_fee) == (D("0.0004"), D("0.0025"))
    # no change → the same book
    assert with_overrides(UPBIT_RULES) is UPBIT_RULES
    # with_fees on one version
    low = BITHUMB_RULES.current().with_fees(maker=BITHUMB_LOW_FEE, taker=BITHUMB_LOW_FEE)
    assert low.fee_rate(is_maker=False) == D("0.0004")
    assert low.tick_table is BITHUMB_TICKS


# --- malformed tables and books -------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "lower bound is 0"),
        ([("1", "0.01"), ("10", "0.1")], "lower bound is 0"),
        ([("0", "0.01"), ("10", "0.1"), ("10", "1")], "strictly increasing"),
        ([("0", "0.01"), ("10", "0")], "must be > 0"),
        ([("0", "0.01"), ("10", "-0.1")], "must be > 0"),
        ([("0", "0.01"), ("150", "100")], "not on its own tick grid"),
    ],
)
def test_bad_tables_are_rejected(rows: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TickTable.from_rows(rows)


def test_unsorted_bands_rejected_by_the_constructor_but_sorted_by_from_rows() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        TickTable(((D(0), D("0.01")), (D(100), D(1)), (D(10), D("0.1"))))
    table = TickTable.from_rows([("100", "1"), ("0", "0.01"), ("10", "0.1")])
    assert [lower for lower, _ in table.bands] == [D(0), D(10), D(100)]


def test_bad_rule_books_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least one version"):
        RuleBook(Exchange.UPBIT, ())
    v1, v2 = UPBIT_RULES.versions[0], UPBIT_RULES.versions[1]
    with pytest.raises(ValueError, match="date order"):
        RuleBook(Exchange.UPBIT, (v2, v1))
    ok = RuleBook(Exchange.UPBIT, (v1, v2))
    assert ok.at(v2.effective - timedelta(seconds=1)) is v1
