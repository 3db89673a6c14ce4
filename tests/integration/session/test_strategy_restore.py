"""Strategy toggles and parameter edits come back on the next start of the same profile; when the
config file's own entry for the strategy changed since, the config wins and the timeline says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tradetui.commands.run import RunningSession, build_session
from tradetui.config import AppConfig, parse_config


def _config(**params: Any) -> AppConfig:
    entry: dict[str, Any] = {"name": "breakout"}
    if params:
        entry["params"] = params
    return parse_config({"strategies": [entry]}, "<test>")


def _start(config: AppConfig, database: Path) -> RunningSession:
    return build_session(config, database=database, speed=1.0, max_bars=1, now_s=1_800_000_000)


def _texts(session: RunningSession) -> list[str]:
    return [e.text for e in session.handle.snapshot(max_events=200).events]


def test_toggle_and_parameter_edits_come_back_on_restart(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first = _start(_config(), db)
    first.handle.set_params("breakout", {"lookback": 30})
    first.handle.set_strategy_enabled("breakout", False)
    first.journal.close()  # killed: no stop path ran

    second = _start(_config(), db)
    try:
        engine = second.handle.engine
        assert engine.strategies["breakout"].params.model_dump()["lookback"] == 30
        assert engine.enabled["breakout"] is False
        assert any("breakout" in t and "restored" in t and "lookback" in t for t in _texts(second)), _texts(second)
    finally:
        second.journal.close()

    third = _start(_config(), db)  # and again: the restored state is what is stored now
    try:
        assert third.handle.engine.strategies["breakout"].params.model_dump()["lookback"] == 30
        assert third.handle.engine.enabled["breakout"] is False
    finally:
        third.journal.close()


def test_a_config_change_of_the_strategy_wins_over_stored_edits_and_says_so(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first = _start(_config(lookback=25), db)
    first.handle.set_params("breakout", {"volume_mult": 2.5})
    first.handle.set_strategy_enabled("breakout", False)
    first.journal.close()

    second = _start(_config(lookback=40), db)  # the trader edited the config file meanwhile
    try:
        params = second.handle.engine.strategies["breakout"].params.model_dump()
        assert params["lookback"] == 40
        assert params["volume_mult"] != 2.5  # the stored edit is dropped, not merged
        assert second.handle.engine.enabled["breakout"] is True
        dropped = [t for t in _texts(second) if "breakout" in t and "dropped" in t]
        assert dropped and "config" in dropped[0], _texts(second)
    finally:
        second.journal.close()

    third = _start(_config(lookback=40), db)  # told once: the dropped edits are gone for good
    try:
        assert not [t for t in _texts(third) if "dropped" in t or "restored" in t]
        assert third.handle.engine.enabled["breakout"] is True
    finally:
        third.journal.close()


def test_unchanged_config_and_no_edits_restore_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first = _start(_config(), db)
    first.handle.set_strategy_enabled("breakout", False)
    first.handle.set_strategy_enabled("breakout", True)  # back where the config has it
    first.journal.close()
    second = _start(_config(), db)
    try:
        assert not [t for t in _texts(second) if "restored" in t or "dropped" in t]
        assert second.handle.engine.enabled["breakout"] is True
    finally:
        second.journal.close()


def test_a_strategy_the_config_disables_stays_off_whatever_was_stored(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first = _start(_config(), db)
    first.handle.set_params("breakout", {"lookback": 33})
    first.journal.close()
    config = parse_config({"strategies": [{"name": "breakout", "enabled": False}]}, "<test>")
    second = _start(config, db)
    try:
        assert second.handle.engine.enabled["breakout"] is False
        assert second.handle.engine.strategies["breakout"].params.model_dump()["lookback"] != 33
    finally:
        second.journal.close()
