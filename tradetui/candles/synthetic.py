"""A seeded synthetic KRW market for the demo, tests and benchmarks.

The log price follows regimes (trend up, trend down, range) that switch as a Markov chain with
geometric durations; shocks have GARCH(1,1) volatility clustering; a very weak pull towards the
start price keeps million-bar runs in a sane range. High/low extend beyond open/close by a
half-normal multiple of the bar's volatility. Volume scales with ``|shock|`` and has occasional
bursts that come with a jump in the trend's direction (news-like), so volume-confirmed breakouts
happen a few times per thousand 1m bars. Every O/H/L/C is on the Upbit tick grid in force at the
bar's date; volumes have 8 decimals.

Data are produced in fixed blocks, each with its own RNG seeded by ``(seed, block index)`` and
the state carried over, so the batch :func:`generate_market` and the bar-by-bar
:class:`SyntheticFeed` give identical bars, and a longer run extends a shorter one.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from tradetui.candles.series import BarSeries, FloatArray, IntArray
from tradetui.candles.tick_grid import round_prices_nearest
from tradetui.core.market import Bar, BookLevel, OrderBook, Timeframe
from tradetui.core.rules import UPBIT_RULES, PriceRounding, RuleBook
from tradetui.core.types import decimal_from_float

DEFAULT_START_S = 1_756_684_800
"""2025-09-01 00:00 UTC (09:00 KST)."""
DEFAULT_START_PRICE = 50_000_000.0
BLOCK_BARS = 8192
_VOLUME_SCALE = 100_000_000  # 8 decimals


@dataclass(frozen=True, slots=True)
class SyntheticParams:
    """Model constants, per 1-minute bar; for an m-minute timeframe drift and volatility scale by sqrt(m)."""

    sigma: float = 0.0007
    """Long-run volatility of the 1m log return."""
    garch_alpha: float = 0.08
    garch_beta: float = 0.90
    trend_drift: float = 0.00006
    """Log drift per 1m bar in the trend regimes (+ up, - down)."""
    regime_vol: tuple[float, float, float] = (1.1, 1.2, 0.8)
    """Volatility multiplier in (up, down, range)."""
    mean_regime_bars: float = 400.0
    reversion: float = 2e-6
    """Pull of the log price towards the start price, per 1m bar."""
    wick: float = 1.0
    """High/low extend by ``|N| x wick x sigma_t`` beyond the body."""
    notional_krw: float = 75_000_000.0
    """Typical traded KRW value per 1m bar."""
    volume_noise: float = 0.3
    volume_shock_weight: float = 0.15
    """How much volume rises with the size of the bar's shock: ``1 + w (|z| - 0.8)``."""
    burst_probability: float = 0.006
    burst_volume: tuple[float, float] = (2.5, 5.0)
    burst_jump_sigmas: tuple[float, float] = (1.5, 4.0)

    def __post_init__(self) -> None:
        if self.garch_alpha < 0 or self.garch_beta < 0 or self.garch_alpha + self.garch_beta >= 1:
            raise ValueError("GARCH needs alpha, beta >= 0 and alpha + beta < 1")
        if self.sigma <= 0 or self.mean_regime_bars < 1 or not 0 <= self.burst_probability <= 1:
            raise ValueError("sigma must be > 0, mean_regime_bars >= 1, burst_probability in [0, 1]")


@dataclass(slots=True)
class _State:
    log_dev: float  # log(close / start_price) of the last bar
    variance: float  # GARCH variance of the last bar (1m units)
    shock: float  # standardised shock of the last bar
    regime: int  # 0 up, 1 down, 2 range
    regime_left: int  # bars left in the current regime


class _BlockGenerator:
    """Produces consecutive blocks of bars; block ``k`` depends only on the seed, ``k`` and the state."""

    def __init__(
        self,
        market: str,
        *,
        start_s: int,
        timeframe: Timeframe,
        seed: int,
        start_price: float,
        params: SyntheticParams,
        rules: RuleBook,
    ) -> None:
        if start_price <= 0 or not math.isfinite(start_price):
            raise ValueError(f"start_price must be a positive number, got {start_price!r}")
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.market = market
        self.timeframe = timeframe
        self._next_ts = timeframe.bucket_start(start_s)
        self._seed = seed
        self._log_start = math.log(start_price)
        self._p = params
        self._rules = rules
        self._minutes = timeframe.seconds / 60
        self._block = 0
        first = np.random.default_rng([seed, 2**32 - 1])
        self._state = _State(
            0.0, params.sigma**2, 0.0, int(first.integers(3)), int(first.geometric(1 / params.mean_regime_bars))
        )

    def next_block(self) -> BarSeries:
        p, n = self._p, BLOCK_BARS
        rng = np.random.default_rng([self._seed, self._block])
        self._block += 1
        regime = self._regimes(rng, n)
        shocks = np.clip(rng.standard_normal(n), -6.0, 6.0)
        variance = self._garch(shocks)
        scale = math.sqrt(self._minutes)
        vol = np.sqrt(variance) * np.asarray(p.regime_vol)[regime] * scale
        drift = np.select([regime == 0, regime == 1], [p.trend_drift, -p.trend_drift], 0.0) * scale

        burst = rng.random(n) < p.burst_probability
        direction = np.where(regime == 0, 1.0, np.where(regime == 1, -1.0, rng.choice([-1.0, 1.0], n)))
        jump = burst * direction * rng.uniform(*p.burst_jump_sigmas, n) * vol
        log_dev = self._reverting_path(drift + vol * shocks + jump)

        close_raw = np.exp(self._log_start + log_dev)
        open_raw = np.empty(n)
        open_raw[0] = math.exp(self._log_start + self._state.log_dev)
        open_raw[1:] = close_raw[:-1]
        high_raw = np.maximum(open_raw, close_raw) * np.exp(np.abs(rng.standard_normal(n)) * p.wick * vol)
        low_raw = np.minimum(open_raw, close_raw) * np.exp(-np.abs(rng.standard_normal(n)) * p.wick * vol)

        activity = np.maximum(1.0 + p.volume_shock_weight * (np.abs(shocks) - 0.8), 0.2) + np.abs(jump) / vol
        noise = np.exp(p.volume_noise * rng.standard_normal(n) - p.volume_noise**2 / 2)
        burst_factor = np.where(burst, rng.uniform(*p.burst_volume, n), 1.0)
        volume_raw = p.notional_krw * self._minutes / close_raw * activity * noise * burst_factor
        volume = np.maximum(np.rint(volume_raw * _VOLUME_SCALE), 1.0) / _VOLUME_SCALE

        ts = self._next_ts + self.timeframe.seconds * np.arange(n, dtype=np.int64)
        self._next_ts = int(ts[-1]) + self.timeframe.seconds
        self._state.log_dev = float(log_dev[-1])
        self._state.variance = float(variance[-1])
        self._state.shock = float(shocks[-1])
        return BarSeries(
            self.market,
            self.timeframe,
            ts,
            round_prices_nearest(open_raw, ts, self.market, self._rules),
            round_prices_nearest(high_raw, ts, self.market, self._rules),
            round_prices_nearest(low_raw, ts, self.market, self._rules),
            round_prices_nearest(close_raw, ts, self.market, self._rules),
            volume,
        )

    def _regimes(self, rng: np.random.Generator, n: int) -> IntArray:
        state, out, filled = self._state, np.empty(n, dtype=np.int64), 0
        while filled < n:
            take = min(state.regime_left, n - filled)
            out[filled : filled + take] = state.regime
            filled += take
            state.regime_left -= take
            if state.regime_left == 0:
                state.regime = (state.regime + 1 + int(rng.integers(2))) % 3
                state.regime_left = int(rng.geometric(1 / self._p.mean_regime_bars))
        return out

    def _garch(self, shocks: FloatArray) -> FloatArray:
        """``h_t = w + (beta + alpha z_{t-1}^2) h_{t-1}`` solved in closed form over the block."""
        p = self._p
        omega = p.sigma**2 * (1 - p.garch_alpha - p.garch_beta)
        previous = np.concatenate(([self._state.shock], shocks[:-1]))
        log_growth = np.cumsum(np.log(p.garch_beta + p.garch_alpha * previous**2))
        variance: FloatArray = np.exp(log_growth) * (self._state.variance + omega * np.cumsum(np.exp(-log_growth)))
        return variance

    def _reverting_path(self, steps: FloatArray) -> FloatArray:
        """``y_t = phi y_{t-1} + e_t`` with ``phi = 1 - reversion``, solved in closed form."""
        phi = 1.0 - self._p.reversion * self._minutes
        k = np.arange(1, len(steps) + 1, dtype=np.float64)
        powers = phi**k
        return powers * (self._state.log_dev + np.cumsum(steps / powers))


def generate_market(
    market: str = "KRW-DEMO",
    *,
    bars: int,
    start_s: int = DEFAULT_START_S,
    timeframe: Timeframe = Timeframe.M1,
    seed: int = 0,
    start_price: float = DEFAULT_START_PRICE,
    params: SyntheticParams | None = None,
    rules: RuleBook = UPBIT_RULES,
) -> BarSeries:
    """``bars`` synthetic candles from ``start_s`` (snapped to the timeframe grid); same seed, same bars."""
    if bars < 0:
        raise ValueError(f"bars must be >= 0, got {bars}")
    generator = _BlockGenerator(
        market,
        start_s=start_s,
        timeframe=timeframe,
        seed=seed,
        start_price=start_price,
        params=params or SyntheticParams(),
        rules=rules,
    )
    blocks = [generator.next_block() for _ in range(-(-bars // BLOCK_BARS))]
    if not blocks:
        return BarSeries.empty(market, timeframe)
    return BarSeries(
        market,
        timeframe,
        *(np.concatenate([getattr(b, column) for b in blocks])[:bars] for column in _COLUMNS),
    )


_COLUMNS = ("ts_s", "open", "high", "low", "close", "volume")


class SyntheticFeed:
    """The bars of :func:`generate_market` one at a time, as Decimal :class:`Bar` objects.

    ``bars=None`` runs forever. Iterating twice restarts from the first bar.
    """

    def __init__(
        self,
        market: str = "KRW-DEMO",
        *,
        bars: int | None = None,
        start_s: int = DEFAULT_START_S,
        timeframe: Timeframe = Timeframe.M1,
        seed: int = 0,
        start_price: float = DEFAULT_START_PRICE,
        params: SyntheticParams | None = None,
        rules: RuleBook = UPBIT_RULES,
    ) -> None:
        if bars is not None and bars < 0:
            raise ValueError(f"bars must be >= 0, got {bars}")
        self.market = market
        self.timeframe = timeframe
        self.bars = bars
        self.start_s = start_s
        self.seed = seed
        self.start_price = start_price
        self._params = params or SyntheticParams()
        self._rules = rules

    def __iter__(self) -> Iterator[Bar]:
        generator = _BlockGenerator(
            self.market,
            start_s=self.start_s,
            timeframe=self.timeframe,
            seed=self.seed,
            start_price=self.start_price,
            params=self._params,
            rules=self._rules,
        )
        produced = 0
        while self.bars is None or produced < self.bars:
            for bar in generator.next_block().bars():
                if self.bars is not None and produced >= self.bars:
                    return
                produced += 1
                yield bar


def synthetic_book(bar: Bar, *, levels: int = 15, rules: RuleBook = UPBIT_RULES, seed: int = 0) -> OrderBook:
    """A plausible order book around a synthetic bar's close (for the demo's ladder): one tick
    of spread, prices on the tick grid of the bar's date, sizes that grow away from the touch."""
    table = rules.at(bar.ts_s).table_for(bar.market)
    rng = np.random.default_rng((seed, bar.ts_s))
    mid: Decimal = table.round_price(bar.close, PriceRounding.NEAREST)
    scale = float(bar.volume) / 20 if bar.volume > 0 else 0.1
    asks, bids = [], []
    ask: Decimal = mid + table.tick_for(mid)
    bid: Decimal = mid
    for k in range(levels):
        ask_size = decimal_from_float(round(scale * (1 + k * 0.3) * float(rng.uniform(0.5, 1.5)), 8))
        bid_size = decimal_from_float(round(scale * (1 + k * 0.3) * float(rng.uniform(0.5, 1.5)), 8))
        asks.append(BookLevel(ask, ask_size))
        bids.append(BookLevel(bid, bid_size))
        ask = ask + table.tick_for(ask)
        below = bid - Decimal("1e-12")
        if below <= 0:
            break
        bid = table.round_price(below, PriceRounding.DOWN)  # the next grid price under the bid
    return OrderBook(bar.market, (bar.ts_s + bar.timeframe.seconds) * 1000, tuple(asks), tuple(bids))
