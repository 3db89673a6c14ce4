"""[control] request_timeout_s: how long a client of the control API has to send a request."""

from __future__ import annotations

import pytest

from tradetui.config import demo_config, parse_config
from tradetui.errors import ConfigError


def test_the_default_is_ten_seconds() -> None:
    assert demo_config().control.request_timeout_s == 10.0


def test_a_request_timeout_can_be_set() -> None:
    assert parse_config({"control": {"request_timeout_s": 2.5}}).control.request_timeout_s == 2.5


@pytest.mark.parametrize("value", [0, -1, 1e9, "soon"])
def test_a_bad_request_timeout_names_the_key(value: object) -> None:
    with pytest.raises(ConfigError, match="request_timeout_s"):
        parse_config({"control": {"request_timeout_s": value}})
