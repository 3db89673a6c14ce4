"""Exchange trading rules as dated data: tick tables, order minimums, precision, fees.

A backtest over 2021 candles must use the rules of 2021, so every rule set carries the date it
took effect and :meth:`RuleBook.at` picks the one in force at a timestamp. Sources are in
``reference/exchanges.md`` A9 (Upbit) and B9 (Bithumb); every value here can be overridden by
configuration, since the exchanges change them by notice.

Rounding lives here and nowhere else: :meth:`TickTable.round_price` and
:meth:`MarketRules.truncate_volume`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from enum import StrEnum

from tradetui.core.market import Exchange
from tradetui.core.types import Price, Side, Volume


class PriceRounding(StrEnum):
    """How an off-grid price is brought onto the tick grid."""

    DOWN = "down"  # bids: never pay more than asked
    UP = "up"  # asks: never sell for less than asked
    NEAREST = "nearest"  # half up, for display and reference prices

    @classmethod
    def passive_for(cls, side: Side) -> PriceRounding:
        """The rounding that keeps an order on its own side of the price: down for bids, up for asks."""
        return cls.DOWN if side is Side.BID else cls.UP


_ROUNDING = {
    PriceRounding.DOWN: ROUND_FLOOR,
    PriceRounding.UP: ROUND_CEILING,
    PriceRounding.NEAREST: ROUND_HALF_UP,
}


def _d(text: str) -> Decimal:
    return Decimal(text)


@dataclass(frozen=True, slots=True)
class TickTable:
    """Price bands ``[lower, next lower)`` with the tick (price unit) in force in each.

    ``bands`` is sorted by lower bound; the first lower bound is 0. The tick is chosen by the
    band that contains the price itself.
    """

    bands: tuple[tuple[Decimal, Decimal], ...]
    _lowers: tuple[Decimal, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.bands or self.bands[0][0] != 0:
            raise ValueError("a tick table must start with a band whose lower bound is 0")
        lowers = tuple(lower for lower, _ in self.bands)
        if list(lowers) != sorted(set(lowers)):
            raise ValueError("tick table bands must have strictly increasing lower bounds")
        for lower, tick in self.bands:
            if tick <= 0:
                raise ValueError(f"tick for band starting at {lower} must be > 0")
            if lower % tick != 0:
                raise ValueError(f"band lower bound {lower} is not on its own tick grid {tick}")
        object.__setattr__(self, "_lowers", lowers)

    @classmethod
    def from_rows(cls, rows: list[tuple[str, str]]) -> TickTable:
        """Build from ``(lower_bound, tick)`` strings in any order."""
        parsed = sorted((_d(lower), _d(tick)) for lower, tick in rows)
        return cls(tuple(parsed))

    def tick_for(self, price: Decimal) -> Decimal:
        if price <= 0:
            raise ValueError(f"price must be > 0 for a tick lookup, got {price}")
        return self.bands[bisect_right(self._lowers, price) - 1][1]

    def is_on_grid(self, price: Decimal) -> bool:
        return price > 0 and price % self.tick_for(price) == 0

    def round_price(self, price: Decimal, mode: PriceRounding) -> Price:
        """Snap ``price`` onto the grid. Re-checks the band after rounding: a price that moved
        into another band must be on that band's grid too."""
        if price <= 0:
            raise ValueError(f"price must be > 0 to round, got {price}")
        rounding = _ROUNDING[mode]
        result = price
        for _ in range(4):
            tick = self.tick_for(result)
            snapped = (result / tick).to_integral_value(rounding=rounding) * tick
            if snapped <= 0:  # rounding down below the lowest tick
                snapped = tick
            if snapped == result and self.is_on_grid(snapped):
                break
            result = snapped
            if self.is_on_grid(result):
                break
        return Price(_normalize(result, self.tick_for(result)))

    def ticks_between(self, low: Decimal, high: Decimal) -> int:
        """Number of ticks from ``low`` up to ``high`` inside one band (used by simulators)."""
        return int((high - low) / self.tick_for(low))


def _normalize(value: Decimal, tick: Decimal) -> Decimal:
    """Quantize to the tick's exponent so that equal prices print identically."""
    exponent = tick.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < 0:
        return value.quantize(Decimal(1).scaleb(exponent))
    return value.quantize(Decimal(1))


@dataclass(frozen=True, slots=True)
class MarketRules:
    """Everything an order for one exchange's KRW market must satisfy, as of ``effective``."""

    exchange: Exchange
    effective: datetime
    tick_table: TickTable
    min_total_krw: Decimal = _d("5000")
    max_total_krw: Decimal = _d("1000000000")
    volume_decimals: int = 8
    maker_fee: Decimal = _d("0.0005")
    taker_fee: Decimal = _d("0.0005")
    source: str = ""
    market_ticks: tuple[tuple[str, TickTable], ...] = ()
    """Per-market exceptions to the general tick table (e.g. KRW-USDT from 2025-03-21)."""

    def table_for(self, market: str) -> TickTable:
        for code, table in self.market_ticks:
            if code == market:
                return table
        return self.tick_table

    def round_price(self, market: str, price: Decimal, mode: PriceRounding) -> Price:
        return self.table_for(market).round_price(price, mode)

    def truncate_volume(self, volume: Decimal) -> Volume:
        """Cut (never round up) to the allowed number of decimals."""
        step = Decimal(1).scaleb(-self.volume_decimals)
        return Volume(volume.quantize(step, rounding=ROUND_DOWN))

    def fee_rate(self, *, is_maker: bool) -> Decimal:
        return self.maker_fee if is_maker else self.taker_fee

    def check_total(self, total_krw: Decimal) -> str | None:
        """Why an order of this KRW total would be refused, or None if it passes."""
        if total_krw < self.min_total_krw:
            return f"order total {total_krw} KRW is below the exchange minimum of {self.min_total_krw} KRW"
        if total_krw > self.max_total_krw:
            return f"order total {total_krw} KRW is above the exchange maximum of {self.max_total_krw} KRW"
        return None

    def with_fees(self, *, maker: Decimal, taker: Decimal) -> MarketRules:
        return replace(self, maker_fee=maker, taker_fee=taker)


@dataclass(frozen=True, slots=True)
class RuleBook:
    """The dated sequence of rule sets of one exchange."""

    exchange: Exchange
    versions: tuple[MarketRules, ...]

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError("a rule book needs at least one version")
        dates = [v.effective for v in self.versions]
        if dates != sorted(dates):
            raise ValueError("rule versions must be in date order")

    def at(self, when: datetime | int) -> MarketRules:
        """The rules in force at ``when`` (a UTC datetime or epoch seconds)."""
        moment = datetime.fromtimestamp(when, UTC) if isinstance(when, int) else when
        chosen = self.versions[0]
        for version in self.versions:
            if version.effective <= moment:
                chosen = version
            else:
                break
        return chosen

    def current(self) -> MarketRules:
        return self.versions[-1]

    def boundaries_s(self) -> tuple[int, ...]:
        """Epoch seconds at which a new version takes effect (after the first)."""
        return tuple(int(v.effective.timestamp()) for v in self.versions[1:])


def _utc(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


# --- Upbit (reference A9) -------------------------------------------------------------------
# Changes take effect on Upbit at 09:00 KST of the notice date at the latest; we use 00:00 UTC
# (= 09:00 KST) of that date.

UPBIT_TICKS_CLASSIC = TickTable.from_rows(
    [
        ("2000000", "1000"),
        ("1000000", "500"),
        ("500000", "100"),
        ("100000", "50"),
        ("10000", "10"),
        ("1000", "5"),
        ("100", "1"),
        ("10", "0.1"),
        ("1", "0.01"),
        ("0.1", "0.001"),
        ("0", "0.0001"),
    ]
)
"""Before 2024-01-29 ("classic" table)."""

UPBIT_TICKS_2024_01_29 = TickTable.from_rows(
    [
        ("2000000", "1000"),
        ("1000000", "500"),
        ("500000", "100"),
        ("100000", "50"),
        ("10000", "10"),
        ("1000", "1"),
        ("100", "0.1"),
        ("10", "0.01"),
        ("1", "0.001"),
        ("0.1", "0.0001"),
        ("0.01", "0.00001"),
        ("0.001", "0.000001"),
        ("0.0001", "0.0000001"),
        ("0", "0.00000001"),
    ]
)
"""From 2024-01-29. The reference lists the bands down to 1–10 KRW and ends with "…"; the bands
below 1 KRW continue the same one-digit-finer pattern."""

UPBIT_TICKS_2025_07_31 = TickTable.from_rows(
    [
        ("2000000", "1000"),
        ("1000000", "1000"),
        ("500000", "500"),
        ("100000", "100"),
        ("50000", "50"),
        ("10000", "10"),
        ("5000", "5"),
        ("1000", "1"),
        ("100", "1"),
        ("10", "0.1"),
        ("1", "0.01"),
        ("0.1", "0.001"),
        ("0.01", "0.0001"),
        ("0.001", "0.00001"),
        ("0.0001", "0.000001"),
        ("0.00001", "0.0000001"),
        ("0", "0.00000001"),
    ]
)
"""Current table, effective 2025-07-31."""

_UPBIT_STABLECOIN_2025_03_21 = TickTable(
    tuple((lower, Decimal("0.5") if lower == 1000 else tick) for lower, tick in UPBIT_TICKS_2024_01_29.bands)
)
_UPBIT_STABLECOIN_2025_07_31 = TickTable(
    tuple(
        # The 2025-07-31 table splits 1,000–10,000 at 5,000; the 0.5 exception covers both halves.
        (lower, Decimal("0.5") if 1000 <= lower < 10000 else tick)
        for lower, tick in UPBIT_TICKS_2025_07_31.bands
    )
)

_UPBIT_FEE = _d("0.0005")

UPBIT_RULES = RuleBook(
    Exchange.UPBIT,
    (
        MarketRules(
            Exchange.UPBIT,
            _utc("2017-01-01"),
            UPBIT_TICKS_CLASSIC,
            source="Upbit classic table",
            maker_fee=_UPBIT_FEE,
            taker_fee=_UPBIT_FEE,
        ),
        MarketRules(
            Exchange.UPBIT,
            _utc("2024-01-29"),
            UPBIT_TICKS_2024_01_29,
            source="Upbit notice 2024-01-29",
            maker_fee=_UPBIT_FEE,
            taker_fee=_UPBIT_FEE,
        ),
        MarketRules(
            Exchange.UPBIT,
            _utc("2025-03-21"),
            UPBIT_TICKS_2024_01_29,
            source="Upbit notice 2025-03-21 (KRW-USDT/USDC tick 0.5)",
            market_ticks=(("KRW-USDT", _UPBIT_STABLECOIN_2025_03_21), ("KRW-USDC", _UPBIT_STABLECOIN_2025_03_21)),
            maker_fee=_UPBIT_FEE,
            taker_fee=_UPBIT_FEE,
        ),
        MarketRules(
            Exchange.UPBIT,
            _utc("2025-07-31"),
            UPBIT_TICKS_2025_07_31,
            source="Upbit notice krw_tick_unit_change_250731",
            market_ticks=(("KRW-USDT", _UPBIT_STABLECOIN_2025_07_31), ("KRW-USDC", _UPBIT_STABLECOIN_2025_07_31)),
            maker_fee=_UPBIT_FEE,
            taker_fee=_UPBIT_FEE,
        ),
    ),
)

# --- Bithumb (reference B9) -----------------------------------------------------------------
# The official trade kit gives one table without an effective date; it applies to all dates
# until a dated change is known. Fees: list rate 0.25 %; the opt-in low-fee programme 0.04 %.

BITHUMB_TICKS = TickTable.from_rows(
    [
        ("1000000", "1000"),
        ("500000", "500"),
        ("100000", "100"),
        ("50000", "50"),
        ("10000", "10"),
        ("5000", "5"),
        ("1000", "1"),
        ("100", "1"),
        ("10", "0.01"),
        ("1", "0.001"),
        ("0", "0.0001"),
    ]
)

BITHUMB_LIST_FEE = _d("0.0025")
BITHUMB_LOW_FEE = _d("0.0004")

BITHUMB_RULES = RuleBook(
    Exchange.BITHUMB,
    (
        MarketRules(
            Exchange.BITHUMB,
            _utc("2017-01-01"),
            BITHUMB_TICKS,
            maker_fee=BITHUMB_LIST_FEE,
            taker_fee=BITHUMB_LIST_FEE,
            volume_decimals=8,
            source="Bithumb trade kit / support article 51036972377241 (effective date not stated)",
        ),
    ),
)


def rule_book(exchange: Exchange) -> RuleBook:
    return UPBIT_RULES if exchange is Exchange.UPBIT else BITHUMB_RULES


def with_overrides(
    book: RuleBook,
    *,
    maker_fee: Decimal | None = None,
    taker_fee: Decimal | None = None,
    volume_decimals: int | None = None,
    min_total_krw: Decimal | None = None,
    max_total_krw: Decimal | None = None,
) -> RuleBook:
    """A copy of ``book`` with the given values replaced in every dated version."""
    changes: dict[str, object] = {}
    if maker_fee is not None:
        changes["maker_fee"] = maker_fee
    if taker_fee is not None:
        changes["taker_fee"] = taker_fee
    if volume_decimals is not None:
        changes["volume_decimals"] = volume_decimals
    if min_total_krw is not None:
        changes["min_total_krw"] = min_total_krw
    if max_total_krw is not None:
        changes["max_total_krw"] = max_total_krw
    if not changes:
        return book
    return RuleBook(book.exchange, tuple(replace(v, **changes) for v in book.versions))  # type: ignore[arg-type]
