"""Exchange trading rules as dated data: tick tables, order minimums, precision, fees.

A backtest over 2021 candles must use the rules of 2021, so every rule set carries the date it
took effect and :meth:`RuleBook.at` picks the one in force at a timestamp. Sources are in
``reference/exchanges.md`` A9 (Upbit) and B9 (Bithumb); every value here can be overridden by
configuration, since the exchanges change them by notice.

Rounding lives here and nowhere else: :meth:`TickTable.round_price` and
:meth:`MarketRules.truncate_volume`.

Every function takes any ``Decimal``: an absurd number (``1e400``, 32 digits, NaN) gets a named
reason (:meth:`MarketRules.limit_price_problem`, :meth:`~MarketRules.volume_problem`,
:meth:`~MarketRules.check_total`) or a ``ValueError``, never a ``decimal.InvalidOperation`` from
the context's 28-digit precision. The sandbox and the engine's simulated venue share this code.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
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


PRICE_CEILING = Decimal("1e20")
"""Prices above this are broken numbers, not prices: :meth:`TickTable.round_price` refuses them."""
VOLUME_CEILING = Decimal("1e20")
"""Volumes above this are broken numbers: :meth:`MarketRules.truncate_volume` refuses them."""
_EXACT = 64
"""Digits of the local context the rounding runs in: enough for any value under the ceilings."""


def brief(value: Decimal) -> str:
    """``value`` for a one-line message: as written when short, else in scientific notation."""
    text = str(value)
    if len(text) <= 24 or not value.is_finite():
        return text
    return format(value, ".6E")


def decimal_places(value: Decimal) -> int:
    """Digits after the point once trailing zeros are dropped (``1.500`` → 1), exactly at any size."""
    if not value.is_finite():
        raise ValueError(f"{value} has no decimal places (not a finite number)")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    trailing = 0
    while trailing < len(digits) - 1 and digits[-1 - trailing] == 0:
        trailing += 1
    return max(0, -(exponent + trailing))


def _coefficient(value: Decimal) -> tuple[int, int]:
    """``(n, e)`` with ``value == n * 10**e``; exact, no context precision involved."""
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    return int(Decimal((0, digits, 0))), exponent


def is_multiple(value: Decimal, step: Decimal) -> bool:
    """``value`` is a whole multiple of ``step`` (> 0), exactly, however large or fine either is."""
    if not (value.is_finite() and step.is_finite()) or step <= 0:
        return False
    v, v_exp = _coefficient(value)
    s, s_exp = _coefficient(step)
    shift = v_exp - s_exp
    if shift >= 0:
        return (v % s) * pow(10, shift, s) % s == 0
    if -shift > v.bit_length():  # 10**-shift alone exceeds v: only 0 is a multiple
        return v == 0
    return bool(v % (s * 10**-shift) == 0)


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

    @property
    def finest_tick(self) -> Decimal:
        return min(tick for _, tick in self.bands)

    def tick_for(self, price: Decimal) -> Decimal:
        if not price.is_finite():
            raise ValueError(f"price must be a finite number for a tick lookup, got {price}")
        if price <= 0:
            raise ValueError(f"price must be > 0 for a tick lookup, got {brief(price)}")
        return self.bands[bisect_right(self._lowers, price) - 1][1]

    def is_on_grid(self, price: Decimal) -> bool:
        """``price`` is a multiple of the tick of its band (False for NaN, infinities and ≤ 0)."""
        return price.is_finite() and price > 0 and is_multiple(price, self.tick_for(price))

    def round_price(self, price: Decimal, mode: PriceRounding) -> Price:
        """Snap ``price`` onto the grid. Re-checks the band after rounding: a price that moved
        into another band must be on that band's grid too. ``ValueError`` for a price that is
        not a finite number above 0 and at most :data:`PRICE_CEILING`."""
        self.tick_for(price)  # finite and > 0, or ValueError
        if price > PRICE_CEILING:
            raise ValueError(f"price {brief(price)} is out of range (at most {PRICE_CEILING:E} KRW)")
        rounding = _ROUNDING[mode]
        result = price
        with localcontext() as context:
            context.prec = _EXACT
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
        """Cut (never round up) to the allowed number of decimals. ``ValueError`` for a volume
        that is not a finite number or is above :data:`VOLUME_CEILING`."""
        if not volume.is_finite():
            raise ValueError(f"volume must be a finite number, got {volume}")
        if abs(volume) > VOLUME_CEILING:
            raise ValueError(f"volume {brief(volume)} is out of range (at most {VOLUME_CEILING:E})")
        step = Decimal(1).scaleb(-self.volume_decimals)
        with localcontext() as context:
            context.prec = _EXACT
            return Volume(volume.quantize(step, rounding=ROUND_DOWN))

    def fee_rate(self, *, is_maker: bool) -> Decimal:
        return self.maker_fee if is_maker else self.taker_fee

    @property
    def max_limit_price(self) -> Decimal:
        """Above this no order stays within the maximum total, even with the smallest volume."""
        return self.max_total_krw.scaleb(self.volume_decimals)

    @property
    def max_volume(self) -> Decimal:
        """Above this no order stays within the maximum total, even at the finest tick."""
        finest = min((table.finest_tick for _, table in self.market_ticks), default=self.tick_table.finest_tick)
        finest = min(finest, self.tick_table.finest_tick)
        with localcontext() as context:
            context.prec = _EXACT
            return self.max_total_krw / finest

    def limit_price_problem(self, market: str, price: Decimal) -> str | None:
        """Why ``price`` cannot be a limit price on ``market`` (one line), or None when it can."""
        if not price.is_finite():
            return f"price {price} is not a finite number"
        if price <= 0:
            return f"price {brief(price)} must be above 0"
        if price > self.max_limit_price:
            return (
                f"price {brief(price)} KRW is out of range: above {self.max_limit_price:,f} KRW no order "
                f"stays within the {self.max_total_krw:,f} KRW maximum total"
            )
        table = self.table_for(market)
        if not table.is_on_grid(price):
            return f"price {brief(price)} is not on the tick grid (the tick is {table.tick_for(price)} KRW there)"
        return None

    def volume_problem(self, volume: Decimal) -> str | None:
        """Why ``volume`` cannot be an order volume (one line), or None when it can."""
        if not volume.is_finite():
            return f"volume {volume} is not a finite number"
        if volume <= 0:
            return f"volume {brief(volume)} must be above 0"
        if volume > self.max_volume:
            return f"volume {brief(volume)} is out of range (at most {self.max_volume:,f})"
        places = decimal_places(volume)
        if places > self.volume_decimals:
            return f"volume {brief(volume)} has {places} decimals; at most {self.volume_decimals} are allowed"
        return None

    def check_total(self, total_krw: Decimal) -> str | None:
        """Why an order of this KRW total would be refused, or None if it passes."""
        if not total_krw.is_finite():
            return f"order total {total_krw} KRW is not a finite number"
        if total_krw < self.min_total_krw:
            return f"order total {brief(total_krw)} KRW is below the exchange minimum of {self.min_total_krw} KRW"
        if total_krw > self.max_total_krw:
            return f"order total {brief(total_krw)} KRW is above the exchange maximum of {self.max_total_krw} KRW"
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
