"""The simulated market of one sandbox code: price path, tape, order book and candles.

The path is a sequence of 1m candles (synthetic via :func:`generate_market`, or replayed from a
candle CSV). The clock plays it at ``speed`` path candles per second of clock time; every path
candle is walked in four steps (open, low/high, high/low, close), each step happens at a fixed
clock time, moves the book and prints one public trade (unless the candle is "quiet", which is
how missing candles arise). The first ``history_minutes`` path candles are laid down as 1m
candles before the start so the candle endpoints have data at once.

A replayed CSV comes back exactly through the candle endpoints (at ``speed`` 1/60, i.e. market
time): path candle ``k`` is the file's candle at ``first + k`` periods, so a candle absent from
the file is a slot without trades and stays absent; the steps of a path candle are scheduled
inside its own minute (the schedule is aligned to the path period, not to the start moment);
prices already on the tick grid are kept; the four step volumes are a quarter each (to 8
places, rounded down) with the remainder on the close, so they add up to the file's volume.

Everything is deterministic for a given seed and clock: steps are scheduled in clock time, book
sizes are drawn from an RNG seeded by ``(seed, step)``.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from tradetui.candles.series import BarSeries
from tradetui.candles.synthetic import generate_market
from tradetui.core.rules import PriceRounding, RuleBook, TickTable
from tradetui.data.csv_import import read_candles_csv
from tradetui.sandbox.candles import MINUTE_MS, Candle, CandleStore
from tradetui.sandbox.wire import EIGHT_PLACES

STEPS_PER_CANDLE = 4
MAX_CATCH_UP_STEPS = 20_000
"""When the clock jumps further than this many steps, the older steps are skipped (a gap)."""
_SIZE_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """One sandbox market and how its prices are produced."""

    code: str
    korean_name: str = ""
    english_name: str = ""
    seed: int = 0
    start_price: float = 50_000_000.0
    candles_csv: str | None = None
    """Replay this candle file (house CSV format) instead of synthetic data; holds at the last price."""
    is_active: bool = True
    warning: bool = False
    cautions: tuple[str, ...] = ()
    quiet_probability: float = 0.0
    """Chance that a path candle prints no public trade (gives missing candles)."""
    level_notional_krw: Decimal = Decimal("20000000")
    """Typical KRW value resting on one book level."""

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "korean_name": self.korean_name,
            "english_name": self.english_name,
            "seed": self.seed,
            "start_price": self.start_price,
            "candles_csv": self.candles_csv,
            "is_active": self.is_active,
            "warning": self.warning,
            "cautions": list(self.cautions),
            "quiet_probability": self.quiet_probability,
            "level_notional_krw": str(self.level_notional_krw),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> MarketSpec:
        cautions = data.get("cautions") or []
        assert isinstance(cautions, list)
        return cls(
            code=str(data["code"]),
            korean_name=str(data.get("korean_name", "")),
            english_name=str(data.get("english_name", "")),
            seed=int(str(data.get("seed", 0))),
            start_price=float(str(data.get("start_price", 50_000_000.0))),
            candles_csv=None if data.get("candles_csv") is None else str(data["candles_csv"]),
            is_active=bool(data.get("is_active", True)),
            warning=bool(data.get("warning", False)),
            cautions=tuple(str(c) for c in cautions),
            quiet_probability=float(str(data.get("quiet_probability", 0.0))),
            level_notional_krw=Decimal(str(data.get("level_notional_krw", "20000000"))),
        )


@dataclass(frozen=True, slots=True)
class TapeTrade:
    """One public trade. ``ask_bid`` is the taker's side (``ASK``/``BID``)."""

    market: str
    ts_ms: int
    price: Decimal
    volume: Decimal
    ask_bid: str
    sequential_id: int
    prev_closing_price: Decimal


@dataclass(frozen=True, slots=True)
class Step:
    """One move of the path: at ``ts_ms`` the market trades around ``price``."""

    index: int
    ts_ms: int
    price: Decimal
    volume: Decimal
    is_printed: bool


class PricePath:
    """1m path candles by index (slot); synthetic paths grow on demand, CSV paths end.

    A CSV path is keyed by time: slot ``k`` holds the file's candle that opened ``k`` periods
    after its first one, so the file's missing candles are empty slots.
    """

    def __init__(self, spec: MarketSpec, rules: RuleBook, first_bar_s: int) -> None:
        self._spec = spec
        self._rules = rules
        self._first_bar_s = first_bar_s
        self._is_fixed = spec.candles_csv is not None
        self._slots: dict[int, int] | None = None
        self._end = 0
        if spec.candles_csv is not None:
            self._series = read_candles_csv(Path(spec.candles_csv), market=spec.code)
            period = self._series.timeframe.seconds
            first = int(self._series.ts_s[0])
            slots = ((self._series.ts_s - first) // period).tolist()
            self._slots = {int(slot): row for row, slot in enumerate(slots)}
            self._end = int(slots[-1]) + 1
        else:
            self._series = self._generate(4096)

    def _generate(self, bars: int) -> BarSeries:
        return generate_market(
            self._spec.code,
            bars=bars,
            start_s=self._first_bar_s,
            seed=self._spec.seed,
            start_price=self._spec.start_price,
            rules=self._rules,
        )

    def ended(self, index: int) -> bool:
        """A replayed path has nothing at or after ``index`` (synthetic paths never end)."""
        return self._is_fixed and index >= self._end

    def bar(self, index: int) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal] | None:
        """(open, high, low, close, volume) of slot ``index``; None for an empty or ended slot."""
        if self._slots is not None:
            row = self._slots.get(index)
            if row is None:
                return None
        else:
            while index >= len(self._series):
                self._series = self._generate(2 * len(self._series))
            row = index
        s = self._series
        return (
            _dec(float(s.open[row])),
            _dec(float(s.high[row])),
            _dec(float(s.low[row])),
            _dec(float(s.close[row])),
            _dec(float(s.volume[row])),
        )

    def __len__(self) -> int:
        return self._end if self._is_fixed else len(self._series)


def _dec(value: float) -> Decimal:
    return Decimal(repr(value))


def _candle_volume(volume: Decimal) -> Decimal:
    """A path candle's traded volume: as given when it has at most 8 decimals (a replayed
    file), else rounded to 8 (synthetic floats); at least one unit of the 8th place."""
    exponent = volume.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -8:
        volume = volume.quantize(EIGHT_PLACES)
    return max(volume, EIGHT_PLACES)


class MarketSim:
    """State of one market: where the path is, the last trade, the tape, the book, the candles."""

    def __init__(
        self,
        spec: MarketSpec,
        rules: RuleBook,
        *,
        origin_ms: int,
        speed: float,
        history_minutes: int,
        depth: int = 30,
        tape_size: int = 5000,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be > 0 candles per second, got {speed}")
        self.spec = spec
        self.code = spec.code
        self.rules = rules
        self.origin_ms = origin_ms
        self.speed = speed
        self.history_minutes = history_minutes
        self.depth = depth
        self.candles = CandleStore()
        self.trades: deque[TapeTrade] = deque(maxlen=tape_size)
        self.next_step = 0
        self.sequence = 0
        origin_minute = origin_ms - origin_ms % MINUTE_MS
        self._history_start_ms = origin_minute - history_minutes * MINUTE_MS
        self.path = PricePath(spec, rules, self._history_start_ms // 1000)
        first = self.path.bar(0)
        if first is None:
            raise ValueError(f"market {spec.code}: the price path is empty")
        self.mark_price = self.round(first[0], origin_ms)
        self.last_price = self.mark_price
        self._book_step = -1
        self.asks: list[list[Decimal]] = []
        self.bids: list[list[Decimal]] = []
        self._seed_history()

    # -- prices and ticks ----------------------------------------------------------------------
    def table(self, ts_ms: int) -> TickTable:
        return self.rules.at(ts_ms // 1000).table_for(self.code)

    def round(self, price: Decimal, ts_ms: int, mode: PriceRounding = PriceRounding.NEAREST) -> Decimal:
        return self.table(ts_ms).round_price(price, mode)

    def _is_quiet(self, candle_index: int) -> bool:
        p = self.spec.quiet_probability
        return p > 0 and random.Random(self.spec.seed * 1_000_003 + candle_index).random() < p

    def _seed_history(self) -> None:
        for index in range(self.history_minutes):
            if self.path.ended(index):
                break
            bar = self.path.bar(index)
            if bar is None or self._is_quiet(index):
                continue
            start = self._history_start_ms + index * MINUTE_MS
            o, h, lo, c = (self.round(x, start) for x in bar[:4])
            v = _candle_volume(bar[4])
            self.candles.add_candle(
                Candle(start, o, max(h, o, c), min(lo, o, c), c, v, (o + c) / 2 * v, start + 59_000)
            )
            self.last_price = c
            self.mark_price = c

    # -- the clock-driven path -----------------------------------------------------------------
    @property
    def schedule_origin_ms(self) -> int:
        """Where the step schedule starts: ``origin_ms`` aligned down to the path period (a
        minute at market-time speed 1/60), so each path candle's steps fall inside one candle of
        the exchange's own candles. At most one path candle's steps lie before ``origin_ms``;
        they are played at once."""
        period = 1000 / self.speed
        whole = round(period)
        if whole < 1 or abs(period - whole) > 1e-6:
            return self.origin_ms
        return self.origin_ms - self.origin_ms % whole

    def step_time(self, index: int) -> int:
        return self.schedule_origin_ms + int(index * 1000 / (self.speed * STEPS_PER_CANDLE))

    def due_steps(self, now_ms: int) -> Iterator[Step]:
        """The steps scheduled at or before ``now_ms`` that have not been played, oldest first."""
        base = self.schedule_origin_ms
        if now_ms < base:
            return
        target = int((now_ms - base) * self.speed * STEPS_PER_CANDLE / 1000) + 1
        if target - self.next_step > MAX_CATCH_UP_STEPS:
            self.next_step = target - MAX_CATCH_UP_STEPS
        while self.next_step < target:
            index = self.next_step
            step = self._step(index)
            if step is None:
                return  # a replayed path has ended: the market holds still
            self.next_step = index + 1
            yield step

    def _step(self, index: int) -> Step | None:
        candle_index = self.history_minutes + index // STEPS_PER_CANDLE
        if self.path.ended(candle_index):
            return None
        ts_ms = self.step_time(index)
        bar = self.path.bar(candle_index)
        if bar is None:  # a candle the replayed file does not have: no trade in that minute
            return Step(index, ts_ms, self.mark_price, Decimal(0), False)
        o, h, lo, c, v = bar
        point = index % STEPS_PER_CANDLE
        sequence = (o, lo, h, c) if c >= o else (o, h, lo, c)
        price = self.round(sequence[point], ts_ms)
        total = _candle_volume(v)
        quarter = (total / STEPS_PER_CANDLE).quantize(EIGHT_PLACES, rounding=ROUND_DOWN)
        volume = quarter if point < STEPS_PER_CANDLE - 1 else total - (STEPS_PER_CANDLE - 1) * quarter
        return Step(index, ts_ms, price, volume, not self._is_quiet(candle_index))

    def apply_step(self, step: Step) -> TapeTrade | None:
        """Move the book to the step's price and print its public trade (if the candle is not quiet)."""
        previous = self.mark_price
        self.mark_price = step.price
        if not step.is_printed:
            return None
        if step.price > previous:
            side = "BID"
        elif step.price < previous:
            side = "ASK"
        else:
            side = "BID" if step.index % 2 else "ASK"
        return self.record_trade(step.ts_ms, step.price, step.volume, side)

    def record_trade(self, ts_ms: int, price: Decimal, volume: Decimal, ask_bid: str) -> TapeTrade:
        """A public trade (from the path or from a sandbox user's fill): tape, candles, last price."""
        self.sequence += 1
        day_start = ts_ms - ts_ms % 86_400_000
        previous_day = self.candles.previous(86_400_000, day_start)
        prev_close = previous_day.close if previous_day is not None else self.last_price
        trade = TapeTrade(self.code, ts_ms, price, volume, ask_bid, ts_ms * 1000 + self.sequence % 1000, prev_close)
        self.trades.append(trade)
        self.candles.add_trade(ts_ms, price, volume)
        self.last_price = price
        return trade

    # -- order book -------------------------------------------------------------------------------
    def book(self, now_ms: int) -> tuple[list[list[Decimal]], list[list[Decimal]]]:
        """(asks, bids) as mutable ``[price, size]`` lists, best first; fresh liquidity every step."""
        if self._book_step != self.next_step:
            self._build_book(now_ms)
        return self.asks, self.bids

    def _build_book(self, now_ms: int) -> None:
        table = self.table(now_ms)
        rng = random.Random(self.spec.seed * 7_777_777 + self.next_step)
        notional = float(self.spec.level_notional_krw)
        best_bid = table.round_price(self.mark_price, PriceRounding.DOWN)
        asks: list[list[Decimal]] = []
        bids: list[list[Decimal]] = []
        price: Decimal | None = best_bid
        while price is not None and len(bids) < self.depth:
            bids.append([price, self._size(rng, notional, price)])
            price = _tick_down(table, price)
        price = _tick_up(table, best_bid)
        while len(asks) < self.depth:
            asks.append([price, self._size(rng, notional, price)])
            price = _tick_up(table, price)
        self.asks, self.bids = asks, bids
        self._book_step = self.next_step

    @staticmethod
    def _size(rng: random.Random, notional: float, price: Decimal) -> Decimal:
        raw = notional * rng.uniform(0.3, 1.7) / float(price)
        return max(Decimal(f"{raw:.4f}"), _SIZE_PLACES)

    def best_bid(self, now_ms: int) -> Decimal | None:
        _, bids = self.book(now_ms)
        return bids[0][0] if bids else None

    def best_ask(self, now_ms: int) -> Decimal | None:
        asks, _ = self.book(now_ms)
        return asks[0][0] if asks else None


def _tick_up(table: TickTable, price: Decimal) -> Decimal:
    return price + table.tick_for(price)


def _tick_down(table: TickTable, price: Decimal) -> Decimal | None:
    tick = table.tick_for(price)
    candidate = price - tick
    if candidate <= 0:
        return None
    finer = table.tick_for(candidate)
    return price - finer if finer < tick else candidate
