"""Where records live: one session database per kind of run (and per live account), research
data (candles, backtest runs) in the data directory's tradetui.db."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tradetui.config import account_tag, database_path, parse_config, research_database_path

SANDBOX = {"rest_url": "http://127.0.0.1:8765", "ws_url": "ws://127.0.0.1:8765"}


def _config(**data: Any) -> Any:
    return parse_config(data, "<test>")


KINDS = {
    "demo": _config(),
    "replay": _config(feed={"source": "file", "file": "x.csv"}),
    "sandbox-upbit": _config(mode="live", feed={"source": "exchange", "markets": ["KRW-BTC"]}, exchange_api=SANDBOX),
    "sandbox-bithumb": _config(
        mode="paper", exchange="bithumb", feed={"source": "exchange", "markets": ["KRW-BTC"]}, exchange_api=SANDBOX
    ),
    "paper-upbit": _config(mode="paper", feed={"source": "exchange", "markets": ["KRW-BTC"]}),
    "paper-bithumb": _config(mode="paper", exchange="bithumb", feed={"source": "exchange", "markets": ["KRW-BTC"]}),
}


@pytest.mark.parametrize("profile", sorted(KINDS))
def test_each_kind_of_run_has_its_own_session_database(tmp_path: Path, profile: str) -> None:
    assert database_path(KINDS[profile], tmp_path) == tmp_path / "sessions" / f"{profile}.db"


def test_no_two_kinds_share_a_database(tmp_path: Path) -> None:
    live = _config(mode="live", feed={"source": "exchange", "markets": ["KRW-BTC"]})
    paths = [database_path(c, tmp_path) for c in KINDS.values()]
    paths += [database_path(live, tmp_path, access_key="key-a"), database_path(live, tmp_path, access_key="key-b")]
    assert len(set(paths)) == len(paths)
    assert research_database_path(None, tmp_path) == tmp_path / "tradetui.db"
    assert research_database_path(None, tmp_path) not in paths


def test_a_live_account_is_told_apart_by_a_tag_of_its_key_never_the_key(tmp_path: Path) -> None:
    live = _config(mode="live", feed={"source": "exchange", "markets": ["KRW-BTC"]})
    access = "AbCdEfGh-secret-looking-access-key"
    path = database_path(live, tmp_path, access_key=access)
    tag = hashlib.sha256(access.encode()).hexdigest()[:8]
    assert account_tag(access) == tag
    assert path == tmp_path / "sessions" / f"live-upbit-{tag}.db"
    assert access not in str(path)
    assert database_path(live, tmp_path) == tmp_path / "sessions" / "live-upbit.db"  # keys unknown (doctor)


def test_storage_database_still_overrides_the_session_database(tmp_path: Path) -> None:
    own = _config(storage={"database": str(tmp_path / "mine.db")})
    assert database_path(own, tmp_path) == tmp_path / "mine.db"
    assert research_database_path(own, tmp_path) == tmp_path / "tradetui.db"  # research data stays put


def test_a_backtest_configs_database_is_where_its_runs_go(tmp_path: Path) -> None:
    bt = _config(mode="backtest", storage={"database": str(tmp_path / "research.db")})
    assert research_database_path(bt, tmp_path) == tmp_path / "research.db"


def test_the_data_dir_comes_from_the_environment_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADETUI_DATA_DIR", str(tmp_path / "env"))
    assert database_path(_config()) == tmp_path / "env" / "sessions" / "demo.db"
    assert research_database_path(None) == tmp_path / "env" / "tradetui.db"
