"""Performance metrics of a finished backtest: returns, risk and trade statistics.

Conventions (they matter when comparing numbers with other tools):

- **Time stamps.** ``ts_s[i]`` is the open time (epoch s, UTC) of the bar whose *close* marked
  ``equity[i]``, as in :class:`tradetui.candles.series.BarSeries`. Equity is therefore observed
  at ``ts_s[i] + bar_interval_s``; the run starts at ``ts_s[0]`` holding ``starting_cash`` and ends
  at ``ts_s[-1] + bar_interval_s``. Every ``*_ts_s`` field of :class:`BacktestMetrics` is such an
  observation time (a bar close, or the start of the run).
- **Days and months are UTC.** 00:00 UTC is 09:00 KST, when the Upbit trading day rolls, so a UTC
  day is a trading day (see :mod:`tradetui.core.clock`). Month boundaries are UTC too, so a month's
  first nine KST hours belong to the month before. A bar closing exactly at 00:00 UTC closes the
  day (or month) before.
- **Daily returns** are taken between day-end equities (the last observation of each UTC day,
  carried forward over days without bars); the first day is measured from ``starting_cash``.
  Sharpe and Sortino use them with a risk-free rate of 0 and annualise with ``sqrt(365)``
  (crypto trades every day). Sharpe uses the sample standard deviation (ddof=1); Sortino the
  downside deviation ``sqrt(mean(min(r, 0)**2))`` over all days.
- **VaR/CVaR 95 %** are historical: with ``n`` daily returns, the tail is the ``k = ceil(0.05 n)``
  worst days; VaR is the best day of that tail and CVaR the tail's mean, both reported as a
  positive loss in percent (a negative number means even the tail days gained).
- **CAGR** compounds the total return over elapsed calendar time with 365-day years.
- **Drawdown** is negative everywhere, in the text, the JSON and the curves: the percent below
  the running peak (``-10.0`` = 10 % down; ``0.0`` at a peak). The starting cash is the first peak.
- **Money** in :meth:`BacktestMetrics.to_dict` is always a string (exact for Decimal amounts;
  equity, which comes from the float curve, to the hundredth of a won).
- **Open positions** at the end are marked at their market's last close; their
  ``unrealized_pnl_krw`` plus the closed trades' ``net_pnl_krw`` is the equity change.
- **Trades**: a win has ``pnl > 0``, a loss ``pnl < 0``; a break-even trade is neither and ends
  both winning and losing streaks. Streaks follow exit time.

Undefined values are ``None`` (never NaN); a profit factor with wins and no losses is ``inf``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from tradetui.core.trades import ClosedTrade, OpenPosition

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SECONDS_PER_DAY = 86_400
DAYS_PER_YEAR = 365
TAIL_PROBABILITY = 0.05
_MAX_EXPONENT = 700.0  # math.exp overflows just above 709


@dataclass(frozen=True, slots=True)
class BacktestMetrics:
    """Summary of one backtest run. Percentages are in percent (``12.5`` = 12.5 %)."""

    # Run
    start_ts_s: int | None
    """Start of the run (open of the first bar); None for a run without bars."""
    end_ts_s: int | None
    """End of the run (close of the last bar)."""
    bar_interval_s: int
    n_bars: int
    elapsed_days: float
    starting_cash_krw: Decimal
    final_equity_krw: float
    # Returns
    total_return_pct: float
    cagr_pct: float | None
    """Annualised (compound) return; None without bars or when it overflows a float."""
    monthly_returns_pct: dict[tuple[int, int], float]
    """``(year, month)`` (UTC months) -> that month's return; months without bars count 0 %."""
    # Risk
    max_drawdown_pct: float
    """Deepest fall from a running peak (starting cash included), negative: ``-10.0`` = 10 % below it."""
    max_drawdown_peak_ts_s: int | None
    max_drawdown_trough_ts_s: int | None
    max_drawdown_recovery_ts_s: int | None
    """When equity first got back to the peak of the deepest drawdown; None if it never did."""
    longest_drawdown_days: float
    """Longest time from a peak to its recovery (or to the end of the run, if unrecovered)."""
    n_days: int
    """Number of daily returns behind Sharpe, Sortino, volatility and VaR."""
    annual_volatility_pct: float | None
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    var_95_pct: float | None
    cvar_95_pct: float | None
    exposure_pct: float | None
    """Share of bars with an open position."""
    # Trades
    n_trades: int
    n_wins: int
    n_losses: int
    win_rate_pct: float | None
    gross_profit_krw: Decimal
    gross_loss_krw: Decimal
    """Sum of losing trades' PnL as a positive amount."""
    profit_factor: float | None
    avg_win_krw: Decimal | None
    avg_loss_krw: Decimal | None
    """Mean PnL of losing trades (negative)."""
    avg_win_pct: float | None
    avg_loss_pct: float | None
    payoff_ratio: float | None
    """``avg_win_krw / |avg_loss_krw|``; None unless there are both wins and losses."""
    expectancy_krw: Decimal | None
    expectancy_pct: float | None
    avg_holding_hours: float | None
    trades_per_day: float | None
    max_consecutive_wins: int
    max_consecutive_losses: int
    fees_paid_krw: Decimal
    net_pnl_krw: Decimal
    """Realised PnL: the sum of the closed trades' PnL (net of their fees)."""
    open_positions: int = 0
    """Positions still held at the end of the run."""
    unrealized_pnl_krw: Decimal = Decimal(0)
    """What the open positions add at the last close (see :class:`tradetui.core.trades.OpenPosition`)."""

    def to_dict(self) -> dict[str, object]:
        """A JSON-safe dict: Decimal -> exact string, inf -> ``"inf"``, months -> ``"YYYY-MM"``."""
        result: dict[str, object] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "monthly_returns_pct":
                result[field.name] = {f"{year:04d}-{month:02d}": pct for (year, month), pct in sorted(value.items())}
            elif field.name.endswith("_krw") and isinstance(value, float):
                result[field.name] = _money_text(value)
            else:
                result[field.name] = _json_value(value)
        return result


def _money_text(value: float) -> str:
    """A KRW amount from the float curve as a decimal string that reads back to the same float
    (a stored run's metrics come back equal to the run's own)."""
    return format(Decimal(repr(value)), "f")


def _json_value(value: object) -> object:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float) and not math.isfinite(value):
        if math.isnan(value):
            raise ValueError("metrics must not contain NaN")
        return "inf" if value > 0 else "-inf"
    return value


def drawdown_pct(equity: npt.ArrayLike, starting_cash: Decimal | float) -> FloatArray:
    """Percent below the running peak at each point (0 at a peak, -10.0 = 10 % down).

    The starting cash is the first peak, so a loss on the very first bar is a drawdown.
    """
    values = np.asarray(equity, dtype=np.float64)
    start = float(starting_cash)
    if start <= 0:
        raise ValueError(f"starting cash must be positive, got {starting_cash}")
    peak = np.maximum.accumulate(np.concatenate(([start], values)))[1:]
    return (values / peak - 1.0) * 100.0


def daily_returns(
    ts_s: npt.ArrayLike, equity: npt.ArrayLike, starting_cash: Decimal | float, bar_interval_s: int
) -> FloatArray:
    """Returns (fractions) between consecutive UTC day-end equities; see the module docstring."""
    marks = np.asarray(ts_s, dtype=np.int64) + np.int64(bar_interval_s)
    values = np.asarray(equity, dtype=np.float64)
    if len(values) == 0:
        return np.empty(0, dtype=np.float64)
    _, day_end = _period_ends((marks - 1) // SECONDS_PER_DAY, values)
    return _period_returns(day_end, float(starting_cash))


def _period_ends(period: IntArray, values: FloatArray) -> tuple[IntArray, FloatArray]:
    """Last value of every period from the first to the last, carried over empty periods."""
    is_last = np.empty(len(period), dtype=np.bool_)
    is_last[:-1] = period[1:] != period[:-1]
    is_last[-1] = True
    present = period[is_last]
    every = np.arange(present[0], present[-1] + 1, dtype=np.int64)
    position = np.searchsorted(present, every, side="right") - 1
    return every, values[is_last][position]


def _period_returns(period_end: FloatArray, start: float) -> FloatArray:
    previous = np.concatenate(([start], period_end[:-1]))
    returns = np.zeros(len(period_end), dtype=np.float64)
    np.divide(period_end, previous, out=returns, where=previous > 0)
    returns -= 1.0
    returns[previous <= 0] = 0.0  # after a wipe-out nothing is left to lose
    return returns


def compute_metrics(
    *,
    ts_s: npt.ArrayLike,
    equity: npt.ArrayLike,
    exposure: npt.ArrayLike,
    trades: Sequence[ClosedTrade],
    starting_cash: Decimal,
    fees_paid: Decimal,
    bar_interval_s: int,
    open_positions: Sequence[OpenPosition] = (),
) -> BacktestMetrics:
    """Measure a finished run. Arrays are per bar, oldest first; see the module docstring."""
    times = np.asarray(ts_s, dtype=np.int64)
    values = np.asarray(equity, dtype=np.float64)
    in_market = np.asarray(exposure, dtype=np.bool_)
    _validate(times, values, in_market, starting_cash, bar_interval_s)
    start = float(starting_cash)
    n_bars = len(values)

    # Observation times and equity, starting cash first.
    marks = np.concatenate((times[:1] if n_bars else np.zeros(1, np.int64), times + bar_interval_s))
    curve = np.concatenate(([start], values))
    elapsed_s = int(marks[-1] - marks[0])
    elapsed_days = elapsed_s / SECONDS_PER_DAY
    final = float(curve[-1])
    total_return = final / start - 1.0

    returns = daily_returns(times, values, start, bar_interval_s)
    drawdown = _drawdown_stats(marks, curve)
    sharpe, sortino, volatility = _ratio_stats(returns)
    var_95, cvar_95 = _tail_stats(returns)
    cagr = _cagr_pct(total_return, elapsed_s)
    max_dd = drawdown.max_pct
    trade_stats = _trade_stats(trades, elapsed_days)

    return BacktestMetrics(
        start_ts_s=int(marks[0]) if n_bars else None,
        end_ts_s=int(marks[-1]) if n_bars else None,
        bar_interval_s=int(bar_interval_s),
        n_bars=n_bars,
        elapsed_days=elapsed_days,
        starting_cash_krw=starting_cash,
        final_equity_krw=final,
        total_return_pct=total_return * 100.0,
        cagr_pct=cagr,
        monthly_returns_pct=_monthly_returns(marks[1:], values, start),
        max_drawdown_pct=max_dd,
        max_drawdown_peak_ts_s=drawdown.peak_ts_s,
        max_drawdown_trough_ts_s=drawdown.trough_ts_s,
        max_drawdown_recovery_ts_s=drawdown.recovery_ts_s,
        longest_drawdown_days=drawdown.longest_days,
        n_days=len(returns),
        annual_volatility_pct=volatility,
        sharpe=sharpe,
        sortino=sortino,
        calmar=cagr / -max_dd if cagr is not None and max_dd < 0 else None,
        var_95_pct=var_95,
        cvar_95_pct=cvar_95,
        exposure_pct=float(in_market.mean() * 100.0) if n_bars else None,
        fees_paid_krw=fees_paid,
        open_positions=len(open_positions),
        unrealized_pnl_krw=sum((p.unrealized_pnl for p in open_positions), Decimal(0)),
        **trade_stats,
    )


def _validate(
    times: IntArray, values: FloatArray, in_market: BoolArray, starting_cash: Decimal, bar_interval_s: int
) -> None:
    if not len(times) == len(values) == len(in_market):
        raise ValueError(f"ts_s, equity and exposure differ in length ({len(times)}, {len(values)}, {len(in_market)})")
    if not starting_cash.is_finite() or starting_cash <= 0:
        raise ValueError(f"starting cash must be positive, got {starting_cash}")
    if bar_interval_s <= 0:
        raise ValueError(f"bar_interval_s must be positive, got {bar_interval_s}")
    if not np.isfinite(values).all():
        bad = int(np.flatnonzero(~np.isfinite(values))[0])
        raise ValueError(f"equity[{bad}] is {values[bad]}: the equity curve must be finite")
    if len(times) > 1 and not (np.diff(times) > 0).all():
        bad = int(np.flatnonzero(np.diff(times) <= 0)[0]) + 1
        raise ValueError(f"ts_s must increase strictly (ts_s[{bad}] = {times[bad]} after {times[bad - 1]})")


@dataclass(frozen=True, slots=True)
class _Drawdown:
    max_pct: float
    peak_ts_s: int | None
    trough_ts_s: int | None
    recovery_ts_s: int | None
    longest_days: float


def _drawdown_stats(marks: IntArray, curve: FloatArray) -> _Drawdown:
    peak = np.maximum.accumulate(curve)
    at_high = curve >= peak
    index = np.arange(len(curve), dtype=np.int64)
    last_high = np.maximum.accumulate(np.where(at_high, index, 0))
    depth = 1.0 - curve / peak
    trough = int(np.argmax(depth))
    max_pct = -float(depth[trough] * 100.0) + 0.0  # negative below the peak; 0.0, never -0.0

    # A drawdown runs from its peak to the first new high, or to the end of the run.
    recovered = np.flatnonzero(at_high[1:] & ~at_high[:-1]) + 1
    durations = marks[recovered] - marks[last_high[recovered - 1]]
    longest_s = int(durations.max()) if len(durations) else 0
    if not at_high[-1]:
        longest_s = max(longest_s, int(marks[-1] - marks[last_high[-1]]))

    if max_pct >= 0:
        return _Drawdown(0.0, None, None, None, longest_s / SECONDS_PER_DAY)
    later_highs = np.flatnonzero(at_high[trough:])
    return _Drawdown(
        max_pct=max_pct,
        peak_ts_s=int(marks[last_high[trough]]),
        trough_ts_s=int(marks[trough]),
        recovery_ts_s=int(marks[trough + later_highs[0]]) if len(later_highs) else None,
        longest_days=longest_s / SECONDS_PER_DAY,
    )


def _ratio_stats(returns: FloatArray) -> tuple[float | None, float | None, float | None]:
    """Sharpe, Sortino and annualised volatility (%) of daily returns."""
    if len(returns) < 2:
        return None, None, None
    annualiser = math.sqrt(DAYS_PER_YEAR)
    mean = float(returns.mean())
    deviation = float(returns.std(ddof=1))
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    sharpe = mean / deviation * annualiser if deviation > 0 else None
    sortino = mean / downside * annualiser if downside > 0 else None
    return sharpe, sortino, deviation * annualiser * 100.0


def _tail_stats(returns: FloatArray) -> tuple[float | None, float | None]:
    """Historical VaR and CVaR at 95 %, as positive loss percentages."""
    if len(returns) == 0:
        return None, None
    tail_size = math.ceil(TAIL_PROBABILITY * len(returns))
    tail = np.sort(returns)[:tail_size]
    return -float(tail[-1]) * 100.0 + 0.0, -float(tail.mean()) * 100.0 + 0.0


def _cagr_pct(total_return: float, elapsed_s: int) -> float | None:
    if elapsed_s <= 0:
        return None
    if total_return <= -1.0:
        return -100.0
    exponent = math.log1p(total_return) * DAYS_PER_YEAR * SECONDS_PER_DAY / elapsed_s
    if exponent > _MAX_EXPONENT:
        return None
    return math.expm1(exponent) * 100.0


def _monthly_returns(marks: IntArray, values: FloatArray, start: float) -> dict[tuple[int, int], float]:
    if len(values) == 0:
        return {}
    days = ((marks - 1) // SECONDS_PER_DAY).astype("datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64)
    every, month_end = _period_ends(months, values)
    returns = _period_returns(month_end, start)
    return {
        (1970 + int(month) // 12, int(month) % 12 + 1): float(pct) * 100.0
        for month, pct in zip(every, returns, strict=True)
    }


class _TradeStats(TypedDict):
    n_trades: int
    n_wins: int
    n_losses: int
    win_rate_pct: float | None
    gross_profit_krw: Decimal
    gross_loss_krw: Decimal
    profit_factor: float | None
    avg_win_krw: Decimal | None
    avg_loss_krw: Decimal | None
    avg_win_pct: float | None
    avg_loss_pct: float | None
    payoff_ratio: float | None
    expectancy_krw: Decimal | None
    expectancy_pct: float | None
    avg_holding_hours: float | None
    trades_per_day: float | None
    max_consecutive_wins: int
    max_consecutive_losses: int
    net_pnl_krw: Decimal


def _trade_stats(trades: Sequence[ClosedTrade], elapsed_days: float) -> _TradeStats:
    ordered = sorted(trades, key=lambda trade: trade.exit_ms)
    n_trades = len(ordered)
    wins = [trade for trade in ordered if trade.pnl > 0]
    losses = [trade for trade in ordered if trade.pnl < 0]
    gross_profit = sum((trade.pnl for trade in wins), Decimal(0))
    gross_loss = -sum((trade.pnl for trade in losses), Decimal(0))
    net_pnl = sum((trade.pnl for trade in ordered), Decimal(0))

    profit_factor: float | None = None
    if gross_loss > 0:
        profit_factor = float(gross_profit / gross_loss)
    elif gross_profit > 0:
        profit_factor = math.inf
    avg_win = gross_profit / len(wins) if wins else None
    avg_loss = -gross_loss / len(losses) if losses else None

    return {
        "n_trades": n_trades,
        "n_wins": len(wins),
        "n_losses": len(losses),
        "win_rate_pct": len(wins) / n_trades * 100.0 if n_trades else None,
        "gross_profit_krw": gross_profit,
        "gross_loss_krw": gross_loss,
        "profit_factor": profit_factor,
        "avg_win_krw": avg_win,
        "avg_loss_krw": avg_loss,
        "avg_win_pct": _mean([trade.return_pct for trade in wins]),
        "avg_loss_pct": _mean([trade.return_pct for trade in losses]),
        "payoff_ratio": float(avg_win / -avg_loss) if avg_win is not None and avg_loss is not None else None,
        "expectancy_krw": net_pnl / n_trades if n_trades else None,
        "expectancy_pct": _mean([trade.return_pct for trade in ordered]),
        "avg_holding_hours": _mean([trade.holding_ms / 3_600_000 for trade in ordered]),
        "trades_per_day": n_trades / elapsed_days if elapsed_days > 0 else None,
        "max_consecutive_wins": _longest_streak([trade.pnl > 0 for trade in ordered]),
        "max_consecutive_losses": _longest_streak([trade.pnl < 0 for trade in ordered]),
        "net_pnl_krw": net_pnl,
    }


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _longest_streak(flags: Sequence[bool]) -> int:
    longest = current = 0
    for flag in flags:
        current = current + 1 if flag else 0
        longest = max(longest, current)
    return longest
