"""The backtests the TUI runs, on their own: ``SessionBacktests`` loads the candles (a file or the
synthetic market), runs them under the session's rules, money and parameters, and says in one
line what it cannot run; the screen only asks and shows (tests/ui/test_backtest_screen_input.py)."""

from __future__ import annotations

import io
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from candle_csv import write_candles_csv  # tests/support/candle_csv.py
from rich.console import Console

from tradetui.backtest.service import SessionBacktests
from tradetui.candles.synthetic import generate_market
from tradetui.config import load_config
from tradetui.core.market import Exchange, Timeframe
from tradetui.engine.read_model import CHART_EMA_LABEL
from tradetui.session.backtests import BacktestCandles, BacktestInputError, BacktestRequest, BacktestService
from tradetui.session.spec import SessionSpec, StrategyEntry

HOSTILE = Path(__file__).resolve().parents[2] / "fixtures" / "hostile" / "candles"
SAMPLES = Path(__file__).resolve().parents[3] / "sample_configs"
CASES = tomllib.loads((HOSTILE / "cases.toml").read_text())


def _text(renderable: object) -> str:
    console = Console(width=110, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


@pytest.fixture
def candles(tmp_path: Path) -> Path:
    series = generate_market("KRW-BTC", bars=3_000, seed=3, timeframe=Timeframe.M5)
    return write_candles_csv(series, tmp_path / "upbit_KRW-BTC_5m_20250101_20250111.csv")


def test_it_is_the_service_the_ui_is_given() -> None:
    service: BacktestService = SessionBacktests()  # mypy holds it to the protocol
    assert "breakout" in service.strategies()


def test_a_csv_with_a_bad_row_is_one_line_naming_it(tmp_path: Path, candles: Path) -> None:
    lines = candles.read_text().splitlines()
    lines[40] = lines[40].replace(",", ",oops", 1)  # line 41 of the file: a time that is not one
    bad = tmp_path / candles.name
    bad.write_text("\n".join(lines) + "\n")
    service = SessionBacktests()
    with pytest.raises(BacktestInputError) as refused:
        service.run(BacktestRequest("breakout", data=str(bad)))
    message = str(refused.value)
    assert "line 41" in message and candles.name in message and "\n" not in message


@pytest.mark.parametrize(
    "case", [name for name, case in CASES.items() if "source" not in case and case["backtest"]["exit"] == 2]
)
def test_every_hostile_candle_file_is_refused_as_the_cli_refuses_it(case: str) -> None:
    (path,) = (HOSTILE / case).iterdir()
    says = CASES[case]["backtest"]["says"]
    if case == "one_row":  # readable: the CLI's refusal is of the run (too short to trade), not of the file
        outcome = SessionBacktests().run(BacktestRequest("breakout", data=str(path)))
        assert outcome.bars == 1 and not outcome.trades
        return
    with pytest.raises(BacktestInputError) as refused:
        SessionBacktests().run(BacktestRequest("breakout", data=str(path)))
    assert all(word in str(refused.value) for word in says), (str(refused.value), says)


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        (BacktestRequest("breakout", data="no/such/candles.csv"), "no such file"),
        (BacktestRequest("breakout", data=str(HOSTILE)), "is a directory"),
        (BacktestRequest("breakout", start="2025-13-45"), "from: '2025-13-45' is not a date"),
        (BacktestRequest("breakout", end="soon"), "to: 'soon' is not a date"),
        (BacktestRequest("breakout", start="2031-01-01"), "no candles in the chosen period"),
        (BacktestRequest("breakout", start="2025-09-10", end="2025-09-01"), "no candles in the chosen period"),
        (BacktestRequest("breakout", cash_krw="lots"), "cash must be a number of KRW"),
        (BacktestRequest("breakout", cash_krw="-5"), "above 0"),
        (BacktestRequest("breakout", cash_krw="NaN"), "above 0"),
        (BacktestRequest("martingale"), "unknown strategy 'martingale'"),
    ],
)
def test_what_cannot_run_is_said_before_anything_runs(request_: BacktestRequest, says: str) -> None:
    service = SessionBacktests(synthetic_bars=2_000)
    heard: list[BacktestCandles] = []
    with pytest.raises(BacktestInputError, match=says):
        service.run(request_, loaded=heard.append)
    assert not heard


def test_bad_strategy_parameters_of_the_session_are_named() -> None:
    spec = SessionSpec(strategies=(StrategyEntry("breakout", {"lookback": -3}),))
    with pytest.raises(BacktestInputError, match=r"strategy breakout: .*lookback"):
        SessionBacktests(spec, synthetic_bars=2_000).run(BacktestRequest("breakout"))


def test_no_file_runs_the_synthetic_market() -> None:
    service = SessionBacktests(synthetic_bars=20_000)
    heard: list[BacktestCandles] = []
    fractions: list[float] = []
    outcome = service.run(
        BacktestRequest("breakout", start="2025-09-03"), progress=fractions.append, loaded=heard.append
    )
    assert heard == [outcome.candles] and outcome.candles.market == "KRW-SYN" and outcome.candles.timeframe == "1m"
    assert 0 < outcome.bars < 20_000  # cut to the period
    assert fractions and fractions[-1] == pytest.approx(1.0)
    assert outcome.trades and outcome.fills
    assert outcome.summary["markets"] == ["KRW-SYN"] and outcome.summary["strategy"] == "breakout"
    assert outcome.equity and outcome.equity[-1][0] == outcome.chart.ts_s[-1]
    report = _text(outcome.report)
    assert "Backtest: breakout" in report and "Total return" in report
    chart = outcome.chart
    assert len(chart.ts_s) == 200 and chart.market == "KRW-SYN"
    assert [o.label for o in chart.overlays] == [CHART_EMA_LABEL, "high20"]
    assert None not in chart.overlays[0].values  # the EMA starts settled
    again = service.run(BacktestRequest("breakout", start="2025-09-03"))
    assert again.trades == outcome.trades  # the same market every time


def test_a_run_uses_the_sessions_rules_money_and_parameters(candles: Path) -> None:
    config = load_config(SAMPLES / "bithumb-paper.toml")
    spec = SessionSpec.from_config(config)
    spec = spec.replace(
        strategies=(StrategyEntry("breakout", {"timeframe": "5m", "lookback": 30, "volume_mult": 2.0}),)
    )
    service = SessionBacktests(spec)
    assert service.cash_krw() == spec.cash_krw == Decimal(5_000_000)
    assert service.default_strategy() == spec.strategies[0].name
    line = service.rules_line()
    assert "bithumb" in line and "0.04 %" in line and f"at most {spec.limits.max_open_positions} positions" in line
    outcome = service.run(BacktestRequest(spec.strategies[0].name, data=str(candles)))
    assert outcome.rule_book == spec.rule_book and outcome.rule_book.exchange is Exchange.BITHUMB
    assert outcome.cash_krw == Decimal(5_000_000)
    assert outcome.fills and all(f.fee == (f.funds * Decimal("0.0004")).quantize(f.fee) for f in outcome.fills)
    assert all(f.volume == f.volume.quantize(Decimal("0.0001")) for f in outcome.fills)
    configured = dict(spec.strategies[0].params)
    assert {k: outcome.summary["params"][k] for k in configured} == configured
    assert outcome.summary["params"]["timeframe"] == "5m"  # on the candles' timeframe
    richer = service.run(BacktestRequest(spec.strategies[0].name, data=str(candles), cash_krw="20,000,000"))
    assert richer.cash_krw == Decimal(20_000_000)


def test_a_cancelled_run_ends_with_the_callers_exception() -> None:
    class Stop(Exception):
        pass

    def progress(fraction: float) -> None:
        raise Stop

    with pytest.raises(Stop):
        SessionBacktests(synthetic_bars=5_000).run(BacktestRequest("breakout"), progress=progress)
