"""The read model survives JSON: views → dicts → JSON text → dicts → equal views."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tradetui.commands.run import RunningSession
from tradetui.control.wire import (
    chart_from_dict,
    chart_to_dict,
    markets_from_list,
    markets_to_list,
    snapshot_from_dict,
    snapshot_to_dict,
)
from tradetui.core.events import EngineState
from tradetui.engine.read_model import EngineSnapshot, EventView, OrderView, PositionView, RiskView, StrategyView


def _through_json(data: object) -> object:
    return json.loads(json.dumps(data))


def test_a_running_engine_round_trips(position_session: RunningSession) -> None:
    handle = position_session.handle
    snap = handle.snapshot(max_events=500)
    assert snap.positions and snap.events and snap.strategies
    assert snapshot_from_dict(_through_json(snapshot_to_dict(snap))) == snap
    rows = handle.markets()
    assert markets_from_list(_through_json(markets_to_list(rows))) == rows
    chart = handle.chart(rows[0].market, 300)
    assert chart is not None and chart.book is not None and chart.close
    assert chart.buys and chart.overlays  # the open position's entry, the strategy's level
    assert chart_from_dict(_through_json(chart_to_dict(chart))) == chart


def test_nones_decimals_and_enums_round_trip() -> None:
    snap = EngineSnapshot(
        1,
        "PAPER",
        "bithumb",
        EngineState.REDUCE_ONLY,
        Decimal("1234567.890123456789"),
        Decimal("0"),
        Decimal("-1E+3"),
        Decimal("0.00050"),
        (
            PositionView(
                "KRW-BTC", "breakout", Decimal("0.1"), Decimal("1E+8"), None, Decimal("-5"), -0.5, None, None, None
            ),
        ),
        (OrderView("id-1", "KRW-BTC", "bid", "price", Decimal("5000"), None, 0.0, "wait", 1.5, "entry"),),
        RiskView(EngineState.REDUCE_ONLY, "why", Decimal("-1"), None, 0.0, Decimal("0"), 0.0, 1, 3, 2, 0),
        (StrategyView("breakout", False, (), {"lookback": 20, "stop_pct": "1.5"}),),
        (EventView(1, 30, "Notice", 'hello "quoted" ✓'),),
        0,
        0,
    )
    data = _through_json(snapshot_to_dict(snap))
    assert isinstance(data, dict) and data["equity"] == "1234567.890123456789" and data["state"] == "REDUCE_ONLY"
    assert snapshot_from_dict(data) == snap


@pytest.mark.parametrize(
    "change",
    [{"equity": 1.5}, {"state": "SLEEPING"}, {"positions": "none"}, {"risk": None}, {"bars_processed": "7"}],
)
def test_malformed_documents_are_refused(change: dict[str, object]) -> None:
    good = snapshot_to_dict(
        EngineSnapshot(
            1,
            "DEMO",
            "upbit",
            EngineState.RUNNING,
            Decimal(1),
            Decimal(1),
            Decimal(0),
            Decimal(0),
            (),
            (),
            RiskView(EngineState.RUNNING, "", Decimal(0), None, 0.0, Decimal(0), 0.0, 0, 3, 0, 0),
            (),
            (),
            0,
            0,
        )
    )
    with pytest.raises(ValueError):
        snapshot_from_dict({**good, **change})
    broken = dict(good)
    del broken["cash"]
    with pytest.raises(ValueError, match="cash"):
        snapshot_from_dict(broken)
