"""Backtest metrics against numbers worked out by hand."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetui.backtest.metrics import BacktestMetrics, compute_metrics, daily_returns, drawdown_pct
from tradetui.core.trades import ClosedTrade

DAY = 86_400
HOUR = 3_600
T0 = 1_704_067_200  # 2024-01-01 00:00 UTC = 09:00 KST
START = Decimal("1000000")


def trade(
    pnl: str, *, cost: str = "1000000", entry_h: float = 0, hours: float = 1, reason: str = "signal"
) -> ClosedTrade:
    """A BTC round trip at 100,000,000 KRW whose cost is ``cost``."""
    entry_ms = int((T0 + entry_h * HOUR) * 1000)
    volume = Decimal(cost) / Decimal("100000000")
    exit_price = Decimal("100000000") + Decimal(pnl) / volume
    return ClosedTrade(
        market="KRW-BTC",
        strategy="test",
        entry_ms=entry_ms,
        exit_ms=entry_ms + int(hours * HOUR * 1000),
        volume=volume,
        entry_price=Decimal("100000000"),
        exit_price=exit_price,
        pnl=Decimal(pnl),
        fees=Decimal("100"),
        exit_reason=reason,
    )


def run(
    equity: Sequence[float],
    *,
    interval_s: int = DAY,
    first_ts_s: int = T0,
    trades: Sequence[ClosedTrade] = (),
    exposure: Sequence[bool] | None = None,
    start: Decimal = START,
    fees: Decimal = Decimal("0"),
) -> BacktestMetrics:
    n = len(equity)
    return compute_metrics(
        ts_s=first_ts_s + np.arange(n, dtype=np.int64) * interval_s,
        equity=np.asarray(equity, dtype=np.float64),
        exposure=np.asarray(exposure if exposure is not None else [False] * n, dtype=bool),
        trades=list(trades),
        starting_cash=start,
        fees_paid=fees,
        bar_interval_s=interval_s,
    )


def assert_json_safe(metrics: BacktestMetrics) -> dict[str, object]:
    data = metrics.to_dict()
    text = json.dumps(data, allow_nan=False)
    assert json.loads(text) == data
    return data


# --- The hand-worked example -----------------------------------------------------------------
# Five daily bars from 2024-01-01, starting with 1,000,000 KRW:
#   close of day:  1      2        3          4          5
#   equity:    1,100,000  990,000  1,045,000  1,155,000  1,097,250
#   return:      +10 %    -10 %    +1/18      +22/209    -5 %
# Peak 1.1M (day 1 close) -> trough 0.99M (day 2 close): -10 %, recovered at day 4 close (3 days).
# Four trades (listed out of order on purpose), by exit time: +50,000 (5 %, 12 h),
# -20,000 (-2 %, 6 h), -10,000 (-2 %, 24 h), +30,000 (5 %, 6 h).
EQUITY_5D = [1_100_000.0, 990_000.0, 1_045_000.0, 1_155_000.0, 1_097_250.0]
RETURNS_5D = [Fraction(1, 10), Fraction(-1, 10), Fraction(1, 18), Fraction(22, 209), Fraction(-1, 20)]
TRADES_4 = [
    trade("-10000", cost="500000", entry_h=40, hours=24),
    trade("50000", cost="1000000", entry_h=1, hours=12),
    trade("30000", cost="600000", entry_h=80, hours=6),
    trade("-20000", cost="1000000", entry_h=20, hours=6),
]


@pytest.fixture
def example() -> BacktestMetrics:
    return run(EQUITY_5D, trades=TRADES_4, exposure=[True, True, False, True, False], fees=Decimal("1234.5"))


def test_returns_of_the_worked_example(example: BacktestMetrics) -> None:
    assert example.n_bars == 5
    assert example.start_ts_s == T0
    assert example.end_ts_s == T0 + 5 * DAY
    assert example.elapsed_days == 5.0
    assert example.final_equity_krw == 1_097_250.0
    assert example.total_return_pct == pytest.approx(9.725)
    assert example.cagr_pct == pytest.approx((1.09725**73 - 1) * 100)  # 365 / 5 = 73 periods a year
    assert example.monthly_returns_pct == {(2024, 1): pytest.approx(9.725)}


def test_risk_of_the_worked_example(example: BacktestMetrics) -> None:
    assert example.max_drawdown_pct == pytest.approx(-10.0)  # below the peak: negative
    assert example.max_drawdown_peak_ts_s == T0 + DAY
    assert example.max_drawdown_trough_ts_s == T0 + 2 * DAY
    assert example.max_drawdown_recovery_ts_s == T0 + 4 * DAY
    assert example.longest_drawdown_days == 3.0  # the later -5 % lasts one day
    mean = float(sum(RETURNS_5D) / 5)
    deviation = statistics.stdev(float(r) for r in RETURNS_5D)
    assert example.n_days == 5
    assert example.sharpe == pytest.approx(mean / deviation * math.sqrt(365))
    # downside deviation = sqrt(((-0.1)^2 + (-0.05)^2) / 5) = sqrt(0.0025) = 0.05
    assert example.sortino == pytest.approx(mean / 0.05 * math.sqrt(365))
    assert example.annual_volatility_pct == pytest.approx(deviation * math.sqrt(365) * 100)
    assert example.calmar == pytest.approx((1.09725**73 - 1) * 100 / 10)
    # five days: the tail is ceil(0.25) = 1 day, the -10 % one
    assert example.var_95_pct == pytest.approx(10.0)
    assert example.cvar_95_pct == pytest.approx(10.0)
    assert example.exposure_pct == pytest.approx(60.0)


def test_trades_of_the_worked_example(example: BacktestMetrics) -> None:
    assert (example.n_trades, example.n_wins, example.n_losses) == (4, 2, 2)
    assert example.win_rate_pct == 50.0
    assert example.gross_profit_krw == Decimal("80000")
    assert example.gross_loss_krw == Decimal("30000")
    assert example.profit_factor == pytest.approx(8 / 3)
    assert example.avg_win_krw == Decimal("40000")
    assert example.avg_loss_krw == Decimal("-15000")
    assert example.avg_win_pct == pytest.approx(5.0)
    assert example.avg_loss_pct == pytest.approx(-2.0)
    assert example.payoff_ratio == pytest.approx(40000 / 15000)
    assert example.expectancy_krw == Decimal("12500")
    assert example.expectancy_pct == pytest.approx(1.5)  # (5 - 2 - 2 + 5) / 4
    assert example.avg_holding_hours == pytest.approx(12.0)  # (12 + 6 + 24 + 6) / 4
    assert example.trades_per_day == pytest.approx(0.8)
    assert example.max_consecutive_wins == 1
    assert example.max_consecutive_losses == 2
    assert example.net_pnl_krw == Decimal("50000")
    assert example.fees_paid_krw == Decimal("1234.5")


def test_to_dict_is_json_with_exact_decimals(example: BacktestMetrics) -> None:
    data = assert_json_safe(example)
    assert data["fees_paid_krw"] == "1234.5"
    assert data["starting_cash_krw"] == "1000000"
    assert data["avg_loss_krw"] == "-15000"
    assert data["monthly_returns_pct"] == {"2024-01": pytest.approx(9.725)}
    assert data["final_equity_krw"] == "1097250.0"  # money is a string (the float curve's too), read back exactly
    assert data["max_drawdown_pct"] == pytest.approx(-10.0)  # the sign of the text and the curves
    assert all(isinstance(v, str) for k, v in data.items() if k.endswith("_krw") and v is not None)
    assert set(data) == {name for name in BacktestMetrics.__dataclass_fields__}


# --- Daily and monthly boundaries -------------------------------------------------------------


def test_a_bar_closing_at_0900_kst_closes_the_trading_day() -> None:
    # Hourly bars; the bar opening 23:00 UTC closes at 00:00 UTC (09:00 KST): it ends day one.
    equity = [100.0] * 23 + [110.0] + [110.0] * 23 + [121.0]
    returns = daily_returns(T0 + np.arange(48) * HOUR, equity, Decimal(100), HOUR)
    assert returns == pytest.approx([0.10, 0.10])


def test_first_day_is_measured_from_starting_cash_even_when_it_starts_midday() -> None:
    equity = [105.0] * 12 + [84.0] * 12  # hourly bars from 12:00 UTC
    returns = daily_returns(T0 + 12 * HOUR + np.arange(24) * HOUR, equity, Decimal(100), HOUR)
    assert returns == pytest.approx([0.05, -0.20])


def test_days_without_bars_carry_equity_forward() -> None:
    returns = daily_returns(np.array([T0, T0 + 2 * DAY]), [110.0, 121.0], Decimal(100), DAY)
    assert returns == pytest.approx([0.10, 0.0, 0.10])


def test_monthly_returns_use_utc_months_and_fill_gaps() -> None:
    jan_30 = T0 + 29 * DAY
    ts = np.array([jan_30, jan_30 + DAY, jan_30 + 2 * DAY, jan_30 + 3 * DAY, jan_30 + 60 * DAY])
    # Jan 30, Jan 31 | Feb 1, Feb 2 | (nothing in March) | Mar 30 -> 2024-03-30
    metrics = compute_metrics(
        ts_s=ts,
        equity=[105.0, 110.0, 99.0, 121.0, 133.1],
        exposure=[False] * 5,
        trades=[],
        starting_cash=Decimal(100),
        fees_paid=Decimal(0),
        bar_interval_s=DAY,
    )
    assert metrics.monthly_returns_pct == {
        (2024, 1): pytest.approx(10.0),
        (2024, 2): pytest.approx(10.0),
        (2024, 3): pytest.approx(10.0),
    }
    gap = compute_metrics(
        ts_s=np.array([T0, T0 + 70 * DAY]),  # January, then March 11
        equity=[110.0, 121.0],
        exposure=[False, False],
        trades=[],
        starting_cash=Decimal(100),
        fees_paid=Decimal(0),
        bar_interval_s=DAY,
    )
    assert gap.monthly_returns_pct == {
        (2024, 1): pytest.approx(10.0),
        (2024, 2): 0.0,
        (2024, 3): pytest.approx(10.0),
    }


def test_var_and_cvar_use_the_worst_five_percent_of_days() -> None:
    day_returns = [0.01] * 38 + [-0.05, -0.03]  # 40 days: tail = ceil(2.0) = 2 days
    equity = list(100 * np.cumprod(1 + np.array(day_returns)))
    metrics = run(equity, start=Decimal(100))
    assert metrics.n_days == 40
    assert metrics.var_95_pct == pytest.approx(3.0)
    assert metrics.cvar_95_pct == pytest.approx(4.0)


# --- Drawdown ---------------------------------------------------------------------------------


def test_starting_cash_is_the_first_peak() -> None:
    metrics = run([90.0, 95.0, 100.0], start=Decimal(100))
    assert metrics.max_drawdown_pct == pytest.approx(-10.0)
    assert metrics.max_drawdown_peak_ts_s == T0  # the start of the run
    assert metrics.max_drawdown_trough_ts_s == T0 + DAY
    assert metrics.max_drawdown_recovery_ts_s == T0 + 3 * DAY
    assert metrics.longest_drawdown_days == 3.0


def test_an_unrecovered_drawdown_lasts_until_the_end() -> None:
    metrics = run([110.0, 90.0, 80.0, 100.0], start=Decimal(100))
    assert metrics.max_drawdown_pct == pytest.approx(-100 * (1 - 80 / 110))
    assert metrics.max_drawdown_recovery_ts_s is None
    assert metrics.longest_drawdown_days == 3.0  # day 1 close -> end of day 4


def test_drawdown_series() -> None:
    series = drawdown_pct([90.0, 120.0, 60.0, 120.0], Decimal(100))
    assert series == pytest.approx([-10.0, 0.0, -50.0, 0.0])


# --- Edge cases -------------------------------------------------------------------------------


def test_no_trades() -> None:
    metrics = run(EQUITY_5D)
    assert (metrics.n_trades, metrics.n_wins, metrics.n_losses) == (0, 0, 0)
    for name in (
        "win_rate_pct",
        "profit_factor",
        "avg_win_krw",
        "avg_loss_krw",
        "avg_win_pct",
        "avg_loss_pct",
        "payoff_ratio",
        "expectancy_krw",
        "expectancy_pct",
        "avg_holding_hours",
    ):
        assert getattr(metrics, name) is None, name
    assert metrics.trades_per_day == 0.0
    assert (metrics.max_consecutive_wins, metrics.max_consecutive_losses) == (0, 0)
    assert metrics.net_pnl_krw == 0
    assert metrics.exposure_pct == 0.0
    assert_json_safe(metrics)


def test_flat_equity() -> None:
    metrics = run([1_000_000.0] * 10)
    assert metrics.total_return_pct == 0.0
    assert metrics.cagr_pct == 0.0
    assert metrics.max_drawdown_pct == 0.0
    assert metrics.max_drawdown_peak_ts_s is None
    assert metrics.max_drawdown_trough_ts_s is None
    assert metrics.longest_drawdown_days == 0.0
    assert metrics.sharpe is None
    assert metrics.sortino is None
    assert metrics.calmar is None
    assert metrics.annual_volatility_pct == 0.0
    assert metrics.var_95_pct == 0.0
    assert metrics.cvar_95_pct == 0.0
    assert metrics.monthly_returns_pct == {(2024, 1): 0.0}
    assert_json_safe(metrics)


def test_one_bar() -> None:
    metrics = run([1_010_000.0], interval_s=HOUR, exposure=[True])
    assert metrics.n_bars == 1
    assert metrics.elapsed_days == pytest.approx(1 / 24)
    assert metrics.total_return_pct == pytest.approx(1.0)
    assert metrics.cagr_pct == pytest.approx((1.01 ** (365 * 24) - 1) * 100)
    assert metrics.n_days == 1
    assert metrics.sharpe is None and metrics.sortino is None and metrics.annual_volatility_pct is None
    assert metrics.var_95_pct == pytest.approx(-1.0)  # the only day gained 1 %
    assert metrics.exposure_pct == 100.0
    assert metrics.max_drawdown_pct == 0.0
    assert_json_safe(metrics)


def test_no_bars() -> None:
    metrics = run([])
    assert metrics.n_bars == 0
    assert metrics.start_ts_s is None and metrics.end_ts_s is None
    assert metrics.final_equity_krw == 1_000_000.0
    assert metrics.total_return_pct == 0.0
    assert metrics.cagr_pct is None
    assert metrics.n_days == 0 and metrics.var_95_pct is None
    assert metrics.exposure_pct is None
    assert metrics.trades_per_day is None
    assert metrics.monthly_returns_pct == {}
    assert_json_safe(metrics)


def test_all_wins() -> None:
    trades = [trade("1000", entry_h=h) for h in (1, 2, 3)]
    metrics = run(EQUITY_5D, trades=trades)
    assert metrics.win_rate_pct == 100.0
    assert metrics.profit_factor == math.inf
    assert metrics.avg_loss_krw is None and metrics.avg_loss_pct is None
    assert metrics.payoff_ratio is None
    assert (metrics.max_consecutive_wins, metrics.max_consecutive_losses) == (3, 0)
    assert assert_json_safe(metrics)["profit_factor"] == "inf"


def test_all_losses() -> None:
    trades = [trade("-1000", entry_h=h) for h in (1, 2, 3, 4)]
    metrics = run(EQUITY_5D, trades=trades)
    assert metrics.win_rate_pct == 0.0
    assert metrics.profit_factor == 0.0
    assert metrics.avg_win_krw is None and metrics.payoff_ratio is None
    assert metrics.avg_loss_krw == Decimal("-1000")
    assert metrics.expectancy_krw == Decimal("-1000")
    assert (metrics.max_consecutive_wins, metrics.max_consecutive_losses) == (0, 4)
    assert_json_safe(metrics)


def test_break_even_trade_is_neither_and_breaks_streaks() -> None:
    trades = [trade("-1", entry_h=1), trade("0", entry_h=2), trade("-1", entry_h=3)]
    metrics = run(EQUITY_5D, trades=trades)
    assert (metrics.n_wins, metrics.n_losses) == (0, 2)
    assert metrics.max_consecutive_losses == 1
    only_break_even = run(EQUITY_5D, trades=[trade("0")])
    assert only_break_even.profit_factor is None
    assert only_break_even.win_rate_pct == 0.0


def test_wipe_out() -> None:
    metrics = run([500_000.0, 0.0, 0.0])
    assert metrics.total_return_pct == -100.0
    assert metrics.cagr_pct == -100.0
    assert metrics.max_drawdown_pct == -100.0
    assert_json_safe(metrics)


def test_cagr_too_large_for_a_float_is_none() -> None:
    metrics = run([2_000_000.0], interval_s=60)  # doubling in a minute
    assert metrics.total_return_pct == pytest.approx(100.0)
    assert metrics.cagr_pct is None
    assert metrics.calmar is None
    assert_json_safe(metrics)


@pytest.mark.parametrize(
    ("ts_s", "equity", "exposure", "message"),
    [
        ([T0, T0 + DAY], [1.0], [False, False], "differ in length"),
        ([T0, T0 + DAY], [1.0, math.nan], [False, False], "finite"),
        ([T0, T0], [1.0, 2.0], [False, False], "increase strictly"),
    ],
)
def test_bad_input_is_refused(ts_s: list[int], equity: list[float], exposure: list[bool], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute_metrics(
            ts_s=ts_s,
            equity=equity,
            exposure=exposure,
            trades=[],
            starting_cash=START,
            fees_paid=Decimal(0),
            bar_interval_s=DAY,
        )


def test_starting_cash_must_be_positive() -> None:
    with pytest.raises(ValueError, match="starting cash"):
        run([1.0], start=Decimal(0))


# --- Properties -------------------------------------------------------------------------------

equities = st.lists(st.floats(min_value=1.0, max_value=1e9, allow_nan=False), min_size=1, max_size=60)
starts = st.integers(min_value=1, max_value=10**9).map(Decimal)
intervals = st.sampled_from([60, HOUR, 4 * HOUR, DAY])


@settings(deadline=None)
@given(equity=equities, start=starts, interval_s=intervals)
def test_property_drawdown_is_a_percentage_and_cagr_has_the_sign_of_the_return(
    equity: list[float], start: Decimal, interval_s: int
) -> None:
    metrics = run(equity, start=start, interval_s=interval_s)
    assert -100.0 <= metrics.max_drawdown_pct <= 0.0
    if metrics.cagr_pct is not None:
        assert np.sign(metrics.cagr_pct) == np.sign(metrics.total_return_pct)
    assert_json_safe(metrics)


@settings(deadline=None)
@given(equity=equities, start=starts, interval_s=intervals)
def test_property_no_drawdown_on_a_rising_curve(equity: list[float], start: Decimal, interval_s: int) -> None:
    rising = sorted(equity)
    floor = min(start, Decimal(rising[0]))
    metrics = run(rising, start=floor, interval_s=interval_s)
    assert metrics.max_drawdown_pct == 0.0
    assert metrics.longest_drawdown_days == 0.0
    assert metrics.max_drawdown_peak_ts_s is None
    assert (drawdown_pct(rising, floor) == 0.0).all()
