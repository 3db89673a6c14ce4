"""A session's badge and record profile follow from its config: runs of different kinds never mix."""

from __future__ import annotations

from typing import Any

import pytest

from tradetui.config import demo_config, parse_config


def _config(**tables: Any) -> Any:
    return parse_config(tables, "<test>")


@pytest.mark.parametrize(
    ("tables", "badge", "profile"),
    [
        ({}, "DEMO", "demo"),
        ({"feed": {"source": "file", "file": "x.csv"}}, "REPLAY", "replay"),
        ({"mode": "paper", "feed": {"source": "exchange", "markets": ["KRW-BTC"]}}, "PAPER", "paper-upbit"),
        (
            {"mode": "live", "exchange": "bithumb", "feed": {"source": "exchange", "markets": ["KRW-BTC"]}},
            "LIVE",
            "live-bithumb",
        ),
        (
            {
                "mode": "live",
                "feed": {"source": "exchange", "markets": ["KRW-BTC"]},
                "exchange_api": {"rest_url": "http://127.0.0.1:8765"},
            },
            "SANDBOX",
            "sandbox-upbit",
        ),
        (
            {
                "mode": "paper",
                "feed": {"source": "exchange", "markets": ["KRW-BTC"]},
                "exchange_api": {"rest_url": "http://localhost:8765"},
            },
            "SANDBOX",
            "sandbox-upbit",
        ),
    ],
)
def test_badge_and_profile(tables: dict[str, Any], badge: str, profile: str) -> None:
    config = _config(**tables)
    assert config.badge == badge
    assert config.profile == profile


def test_a_real_exchange_is_never_a_rehearsal() -> None:
    config = _config(
        mode="live",
        feed={"source": "exchange", "markets": ["KRW-BTC"]},
        exchange_api={"rest_url": "https://api.upbit.com"},
    )
    assert not config.is_rehearsal and config.badge == "LIVE"
    assert not demo_config().is_rehearsal
