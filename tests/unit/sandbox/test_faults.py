from __future__ import annotations

import pytest

from tradetui.errors import ConfigError
from tradetui.sandbox.faults import FaultDice, FaultSpec


def test_parse_every_fault() -> None:
    spec = FaultSpec.parse(
        "ws_drop=30, http_429=0.05,http_5xx=0.02,latency_ms=10-40,malformed=0.01,lost_response=0.1,restart=120,seed=9"
    )
    assert spec == FaultSpec(
        ws_drop_s=30,
        http_429=0.05,
        http_5xx=0.02,
        latency_ms=(10, 40),
        malformed=0.01,
        lost_response=0.1,
        restart_s=120,
        seed=9,
    )
    assert spec.any and not FaultSpec.parse("").any


def test_all_is_a_storm_and_later_items_override() -> None:
    spec = FaultSpec.parse("all,http_429=0")
    assert spec.http_429 == 0 and spec.lost_response > 0 and spec.ws_drop_s is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("http_429", "not name=value"),
        ("http_429=2", "not a probability"),
        ("ws_drop=-1", "seconds > 0"),
        ("latency_ms=50-10", "LOW-HIGH"),
        ("explode=1", "unknown fault"),
    ],
)
def test_bad_specs_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        FaultSpec.parse(text)


def test_dice_are_reproducible() -> None:
    spec = FaultSpec.parse("http_429=0.3,latency_ms=0-100,seed=4")
    a, b = FaultDice(spec), FaultDice(spec)
    rolls_a = [(a.roll(spec.http_429), a.latency_s()) for _ in range(50)]
    rolls_b = [(b.roll(spec.http_429), b.latency_s()) for _ in range(50)]
    assert rolls_a == rolls_b
    assert 5 < sum(r for r, _ in rolls_a) < 25
