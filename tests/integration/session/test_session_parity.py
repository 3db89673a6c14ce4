"""One config, one session: a backtest of a config file trades under the same rules (tick sizes,
fees, volume decimals), sizing and limits as the paper or demo session of the same file.

Seen before: with bithumb-paper.toml (``bithumb_low_fee = true``, ``volume_decimals = 4``) paper
trading paid a 0.04 % taker fee on 4 volume decimals while `tradetui backtest --config` on the same
file paid 0.25 % on 8."""

from __future__ import annotations

import asyncio
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradetui.backtest.runner import run_backtest
from tradetui.candles.synthetic import generate_market
from tradetui.cli import build_parser
from tradetui.commands.backtest_run import backtest_spec
from tradetui.commands.live import build_exchange_session
from tradetui.commands.run import build_session
from tradetui.config import AppConfig, load_config, parse_config
from tradetui.core.clock import LiveClock, ScaledClock
from tradetui.core.market import Exchange
from tradetui.engine.engine import Engine
from tradetui.sandbox.app import serve
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.state import SandboxState
from tradetui.session.spec import SessionSpec
from tradetui.venues.simulated import SimulatedVenue

# heavy: sandbox servers; run one after another in one xdist worker
pytestmark = pytest.mark.xdist_group("heavy")

SAMPLES = sorted((Path(__file__).resolve().parents[3] / "sample_configs").glob("*.toml"))
NOW_S = 1_767_225_600  # 2026-01-01 00:00 UTC


def _spec_of_backtest(path: Path) -> SessionSpec:
    """What `tradetui backtest --config PATH` runs with."""
    args = build_parser().parse_args(["backtest", "--config", str(path)])
    return backtest_spec(args, load_config(path))


def _paper_twin(path: Path, port: int) -> AppConfig:
    """The file as a session that trades without keys: live becomes paper, the exchange API the
    sandbox on ``port``; a backtest config becomes the demo on its rules (its data file may be absent)."""
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    raw.pop("backtest", None)
    if raw["feed"]["source"] == "exchange":
        raw["mode"] = "paper"
        raw["exchange_api"] = {"rest_url": f"http://127.0.0.1:{port}", "ws_url": f"ws://127.0.0.1:{port}"}
    else:
        raw["mode"] = "demo"
        raw["feed"] = {**raw["feed"], "source": "synthetic", "file": None}
        raw["feed"].pop("file")
    return parse_config(raw, source=str(path))


async def _session_engine(config: AppConfig, database: Path) -> tuple[Engine, Any]:
    if config.feed.source == "exchange":
        session = await build_exchange_session(config, database=database)
    else:
        session = build_session(config, database=database, now_s=NOW_S, warmup_bars=50)
    return session.handle.engine, session


def _assert_same(backtest: SessionSpec, engine: Engine, path: Path) -> None:
    name = path.name
    assert engine.rule_book == backtest.rule_book, f"{name}: the backtest's rules differ from the session's"
    assert engine.settings.sizing == backtest.sizing, f"{name}: sizing differs"
    assert engine.settings.limits == backtest.limits, f"{name}: account limits differ"
    assert engine.settings.atr_period == backtest.atr_period, f"{name}: ATR period differs"
    assert isinstance(engine.venue, SimulatedVenue)
    assert engine.venue.balances()["KRW"].free == backtest.cash_krw, f"{name}: starting cash differs"
    assert engine.venue.slippage == Decimal(str(backtest.slippage_bps)) / 10_000, f"{name}: slippage differs"


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
async def test_a_backtest_and_the_session_of_one_config_share_rules_fees_sizing_and_limits(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    backtest = _spec_of_backtest(path)
    state = SandboxState(
        SandboxConfig(profile=backtest.exchange.value, speed=1 / 60, history_minutes=120),
        clock=ScaledClock(60),
        wall_clock=LiveClock(),
    )
    runner, port = await serve(state)
    try:
        config = _paper_twin(path, port)
        engine, session = await _session_engine(config, tmp_path / "session.db")
        try:
            _assert_same(backtest, engine, path)
        finally:
            await session.handle.shutdown()
            session.journal.close()
    finally:
        await runner.cleanup()
    # and the backtest's engine runs on exactly that spec
    strategy = _first_strategy(backtest)
    series = generate_market("KRW-BTC", bars=300, seed=5, timeframe=strategy.timeframe)
    result = await asyncio.to_thread(run_backtest, [series], [strategy], backtest)
    assert result.engine.rule_book == backtest.rule_book


def _first_strategy(spec: SessionSpec) -> Any:
    [assignment, *_] = spec.assignments(["KRW-BTC"] if not spec.markets else spec.markets[:1])
    return assignment.strategy


def test_the_bithumb_low_fee_programme_and_volume_decimals_reach_the_backtest() -> None:
    [path] = [p for p in SAMPLES if p.name == "bithumb-paper.toml"]
    spec = _spec_of_backtest(path)
    rules = spec.rule_book.current()
    assert spec.exchange is Exchange.BITHUMB
    assert rules.taker_fee == Decimal("0.0004") and rules.maker_fee == Decimal("0.0004")
    assert rules.volume_decimals == 4


def test_the_command_line_overrides_the_config_and_says_so() -> None:
    [path] = [p for p in SAMPLES if p.name == "bithumb-paper.toml"]
    args = build_parser().parse_args(
        ["backtest", "--config", str(path), "--fee", "0.001", "--cash", "2000000", "--exchange", "upbit"]
    )
    spec = backtest_spec(args, load_config(path))
    assert spec.exchange is Exchange.UPBIT and spec.rule_book.exchange is Exchange.UPBIT
    assert spec.rule_book.current().taker_fee == Decimal("0.001") == spec.fee_override
    assert spec.rule_book.current().volume_decimals == 4  # [fees] volume_decimals still applies
    assert spec.cash_krw == Decimal(2_000_000)
