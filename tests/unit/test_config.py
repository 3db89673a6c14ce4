"""Configuration: every sample loads; bad input gets one clear line naming the key and the fix."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tradetui.config import Mode, database_path, demo_config, load_config, parse_config
from tradetui.errors import ConfigError

SAMPLES = sorted((Path(__file__).resolve().parents[2] / "sample_configs").glob("*.toml"))


def test_there_are_samples_for_each_mode() -> None:
    names = {p.name for p in SAMPLES}
    assert {"demo.toml", "upbit-paper.toml", "bithumb-paper.toml", "upbit-live.toml", "backtest.toml"} <= names


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_config_loads(path: Path) -> None:
    config = load_config(path)
    assert config.source_path == str(path)
    assert config.strategies


def test_demo_defaults() -> None:
    config = demo_config()
    assert config.mode is Mode.DEMO
    assert config.account.cash_krw == Decimal("10000000")
    assert config.feed.source == "synthetic"


def test_unknown_key_names_the_path_and_suggests() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"risk": {"daily_los_pct": 2}}, "my.toml")
    assert str(err.value) == "config my.toml: unknown key 'risk.daily_los_pct' (did you mean 'daily_loss_pct'?)"


def test_unknown_top_level_key_lists_valid_keys() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'colour'.*valid keys: .*risk"):
        parse_config({"colour": "red"})


def test_money_as_float_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"account\.cash_krw: write money as a string"):
        parse_config({"account": {"cash_krw": 1000000.0}})


def test_fee_must_be_a_fraction() -> None:
    with pytest.raises(ConfigError, match=r"fees\.taker: fee rate 5 must be a fraction"):
        parse_config({"fees": {"taker": "5"}})


def test_bad_market_code() -> None:
    with pytest.raises(ConfigError, match=r"feed\.markets\.0: .*QUOTE-BASE"):
        parse_config({"feed": {"markets": ["btc"]}})


def test_live_needs_exchange_feed_and_paper_needs_real_data() -> None:
    with pytest.raises(ConfigError, match='mode = "live" needs'):
        parse_config({"mode": "live"})
    with pytest.raises(ConfigError, match="paper"):
        parse_config({"mode": "paper"})


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("mode = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


def test_database_path_follows_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = demo_config()
    assert database_path(config, tmp_path) == tmp_path / "sessions" / "demo.db"
    monkeypatch.setenv("TRADETUI_DATA_DIR", str(tmp_path / "env"))
    assert database_path(config) == tmp_path / "env" / "sessions" / "demo.db"
    own = parse_config({"storage": {"database": str(tmp_path / "x.db")}})
    assert database_path(own) == tmp_path / "x.db"


def test_keep_bars_reaches_the_engine_and_is_checked(tmp_path: Path) -> None:
    from tradetui.commands.run import build_session

    session = build_session(parse_config({"feed": {"keep_bars": 600}}), database=tmp_path / "k.db", now_s=1_800_000_000)
    try:
        assert session.handle.engine.settings.live_history_bars == 600
    finally:
        session.journal.close()
    with pytest.raises(ConfigError, match=r"feed\.keep_bars: .*500"):
        parse_config({"feed": {"keep_bars": 10}})


def test_any_nesting_depth_is_refused_in_one_line_without_recursing() -> None:
    """The control API feeds parse_config JSON too: depth is measured without recursion."""
    deep: dict[str, Any] = {"x": 1}
    for _ in range(20_000):
        deep = {"a": deep}
    with pytest.raises(ConfigError) as caught:
        parse_config({"strategies": [{"name": "breakout", "params": deep}]}, "deep.toml")
    message = str(caught.value)
    assert message.startswith("config deep.toml: 'strategies.0.params.a.a.a")
    assert "nested more than 32 levels deep" in message and "\n" not in message


@pytest.mark.parametrize(("amount", "ok"), [("1000000000000000", True), ("1000000000000001", False), ("1e400", False)])
def test_money_has_an_upper_bound(amount: str, ok: bool) -> None:
    if ok:
        assert parse_config({"account": {"cash_krw": amount}}).account.cash_krw == Decimal(amount)
        return
    with pytest.raises(ConfigError, match=r"account\.cash_krw: .* is too large; write an amount of at most"):
        parse_config({"account": {"cash_krw": amount}})


def test_the_engine_atr_period_is_configurable() -> None:
    assert parse_config({}).risk.atr_period == 14
    assert parse_config({"risk": {"atr_period": 20}}).risk.atr_period == 20
    with pytest.raises(ConfigError, match=r"risk\.atr_period"):
        parse_config({"risk": {"atr_period": 0}})
