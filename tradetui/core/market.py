"""Markets, timeframes and candles."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Exchange(StrEnum):
    UPBIT = "upbit"
    BITHUMB = "bithumb"


@dataclass(frozen=True, slots=True)
class Market:
    """A spot market, quote first as both exchanges write it: ``KRW-BTC``."""

    code: str

    def __post_init__(self) -> None:
        quote, sep, base = self.code.partition("-")
        if not sep or not quote or not base or quote.upper() != quote or base.upper() != base:
            raise ValueError(f"market code {self.code!r} is not of the form QUOTE-BASE in upper case, e.g. 'KRW-BTC'")

    @property
    def quote(self) -> str:
        return self.code.split("-", 1)[0]

    @property
    def base(self) -> str:
        return self.code.split("-", 1)[1]

    def __str__(self) -> str:
        return self.code


class Timeframe(StrEnum):
    """Candle periods. Day candles roll at 00:00 UTC (= 09:00 KST), as Upbit's do."""

    M1 = "1m"
    M3 = "3m"
    M5 = "5m"
    M10 = "10m"
    M15 = "15m"
    M30 = "30m"
    M60 = "60m"
    M240 = "240m"
    D1 = "1d"

    @property
    def seconds(self) -> int:
        return _TIMEFRAME_SECONDS[self]

    @classmethod
    def parse(cls, text: str) -> Timeframe:
        aliases = {"1h": "60m", "4h": "240m", "1day": "1d", "day": "1d", "d": "1d"}
        key = aliases.get(text.strip().lower(), text.strip().lower())
        try:
            return cls(key)
        except ValueError:
            allowed = ", ".join(t.value for t in cls)
            raise ValueError(f"unknown timeframe {text!r}; use one of {allowed}") from None

    def bucket_start(self, ts_s: int) -> int:
        """Open time (epoch s, UTC) of the period that contains ``ts_s``."""
        step = self.seconds
        return ts_s - ts_s % step


_TIMEFRAME_SECONDS = {
    Timeframe.M1: 60,
    Timeframe.M3: 180,
    Timeframe.M5: 300,
    Timeframe.M10: 600,
    Timeframe.M15: 900,
    Timeframe.M30: 1800,
    Timeframe.M60: 3600,
    Timeframe.M240: 14400,
    Timeframe.D1: 86400,
}


@dataclass(frozen=True, slots=True)
class Bar:
    """One closed candle. ``ts_s`` is the period's open time in epoch seconds, UTC."""

    market: str
    timeframe: Timeframe
    ts_s: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def __post_init__(self) -> None:
        if not (self.low <= self.open <= self.high and self.low <= self.close <= self.high):
            raise ValueError(
                f"bar {self.market} {self.timeframe} at {self.ts_s}: OHLC out of order "
                f"(o={self.open} h={self.high} l={self.low} c={self.close})"
            )
        if self.low <= 0 or self.volume < 0:
            raise ValueError(f"bar {self.market} at {self.ts_s}: non-positive price or negative volume")


@dataclass(frozen=True, slots=True)
class Ticker:
    """Last trade and day statistics of a market (the exchanges' ``ticker``)."""

    market: str
    ts_ms: int
    trade_price: Decimal
    opening_price: Decimal
    high_price: Decimal
    low_price: Decimal
    prev_closing_price: Decimal
    signed_change_rate: Decimal
    acc_trade_price_24h: Decimal
    acc_trade_volume_24h: Decimal


@dataclass(frozen=True, slots=True)
class TradeTick:
    """One public trade. ``side`` is the taker's side: ``bid`` (buyer took) or ``ask``."""

    market: str
    ts_ms: int
    price: Decimal
    volume: Decimal
    side: str
    sequential_id: int


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True)
class OrderBook:
    """A full snapshot of one side-by-side book, best level first on each side."""

    market: str
    ts_ms: int
    asks: tuple[BookLevel, ...]
    bids: tuple[BookLevel, ...]

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0].price if self.asks else None

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0].price if self.bids else None


@dataclass(frozen=True, slots=True)
class MarketInfo:
    """An entry of the market list, with the exchange's warning/caution flags."""

    market: str
    korean_name: str
    english_name: str
    warning: bool = False
    cautions: tuple[str, ...] = ()
