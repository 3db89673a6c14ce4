"""`build_alerts`: secrets from the environment or the keyring (never the config), None when nothing
is configured, and a real (demo) engine's events reaching the fake Slack without the engine waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend

from tradetui.commands.alerts import account_figures, build_alerts
from tradetui.commands.run import build_session
from tradetui.config import parse_config
from tradetui.credentials import ALERT_SECRETS, load_secret, store_secret
from tradetui.errors import ConfigError

SLACK_PATH = "/services/T0FAKE/B0FAKE/xoxSecretWebhookPart0123456789"


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.data[(service, username)]


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    for name in ALERT_SECRETS.values():
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _session(tmp_path: Path, alerts: dict[str, Any] | None = None) -> Any:
    config = parse_config({"alerts": alerts or {}}, "<test>")
    return config, build_session(config, database=tmp_path / "alerts.db", speed=400.0, max_bars=50, now_s=1_800_000_000)


def test_nothing_configured_means_no_router(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    config, session = _session(tmp_path)
    try:
        listeners = list(session.handle.engine.listeners)  # the session's own (records, the handle)
        assert build_alerts(config, session.handle) is None
        assert session.handle.engine.listeners == listeners  # no router listening
    finally:
        session.journal.close()


def test_secrets_from_keyring_env_wins_and_config_cannot_hold_them(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    store_secret("telegram_bot_token", "111:keyring-token-value")
    store_secret("telegram_chat_id", "777")
    assert load_secret("telegram_bot_token") == "111:keyring-token-value"
    monkeypatch.setenv("TRADETUI_TELEGRAM_BOT_TOKEN", "222:env-token-value")
    assert load_secret("telegram_bot_token") == "222:env-token-value"
    with pytest.raises(ConfigError, match="unknown secret"):
        load_secret("upbit")
    with pytest.raises(ConfigError, match=r"unknown key 'alerts\.slack\.webhook_url'"):
        parse_config({"alerts": {"slack": {"webhook_url": "https://hooks.slack.com/services/x"}}})

    config, session = _session(tmp_path, {"slack": {"enabled": False}})
    try:
        router = build_alerts(config, session.handle)
        assert router is not None and router.channel_names == ("telegram",)
        off, session2 = _session(tmp_path / "b", {"telegram": {"enabled": False}})
        assert build_alerts(off, session2.handle) is None
        session2.journal.close()
    finally:
        session.journal.close()


async def test_engine_events_reach_slack_without_the_engine_waiting(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, slack_server: Any
) -> None:
    monkeypatch.setenv("TRADETUI_SLACK_WEBHOOK_URL", slack_server.base_url + SLACK_PATH)
    config, session = _session(tmp_path, {"slack": {"min_level": "warning"}, "timeout_s": 5, "dedup_window_s": 0})
    handle = session.handle
    router = build_alerts(config, handle)
    assert router is not None and router.channel_names == ("slack",)
    task = asyncio.create_task(router.run())
    try:
        slack_server.set("hang", times=1)  # the first request hangs until released
        started = time.perf_counter()
        handle.pause("alerts test")
        assert time.perf_counter() - started < 0.05  # the engine did not wait for Slack
        await slack_server.wait_attempts(1)
        handle.kill()
        slack_server.release.set()  # Slack answers 503 to the hung request: retried, then delivered
        texts = await slack_server.wait_for(2)
        assert any("*Engine PAUSED*" in t and "alerts test" in t for t in texts), texts
        assert any("*Engine HALTED*" in t for t in texts), texts

        figures = account_figures(handle)
        assert figures.equity == handle.snapshot().equity
        assert figures.closed_trades == handle.engine.portfolio.closed
    finally:
        await router.close()
        await task
        session.journal.close()
