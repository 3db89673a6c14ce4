"""JSON money is always a string over the control API: prices, stop/target levels, KRW amounts and
turnovers, whether the read model holds them as Decimal or float (and they read back the same)."""

from __future__ import annotations

import json
from typing import Any

from tradetui.commands.run import RunningSession
from tradetui.control.wire import (
    chart_from_dict,
    chart_to_dict,
    markets_from_list,
    markets_to_list,
    snapshot_from_dict,
    snapshot_to_dict,
)

MONEY_KEYS = {
    "equity", "cash", "realized_pnl", "fees_paid", "avg_price", "last_price", "pnl_krw", "stop", "target",
    "trailing", "price", "volume", "day_pnl", "daily_loss_limit_krw", "exposure_krw", "last", "turnover_24h",
}  # fmt: skip


def _money_values(data: Any, path: str = "") -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in MONEY_KEYS and not isinstance(value, (dict, list)):
                found.append((f"{path}.{key}", value))
            found += _money_values(value, f"{path}.{key}")
    elif isinstance(data, list):
        for k, item in enumerate(data):
            found += _money_values(item, f"{path}[{k}]")
    return found


def test_money_is_a_string_in_status_markets_and_chart(position_session: RunningSession) -> None:
    handle = position_session.handle
    snap = handle.snapshot()
    assert snap.positions and snap.positions[0].stop is not None  # a stop level (a float in the view)
    status = json.loads(json.dumps(snapshot_to_dict(snap)))
    markets = json.loads(json.dumps(markets_to_list(handle.markets())))
    market = snap.positions[0].market
    chart = handle.chart(market, 50)
    assert chart is not None and chart.stop is not None
    chart_json = json.loads(json.dumps(chart_to_dict(chart)))
    values = _money_values(status) + _money_values(markets) + [("chart.stop", chart_json["stop"])]
    assert any(path.endswith(".stop") for path, _ in values)
    wrong = [(path, value) for path, value in values if value is not None and not isinstance(value, str)]
    assert not wrong, wrong
    assert snapshot_from_dict(status) == snap
    assert markets_from_list(markets) == handle.markets()
    assert chart_from_dict(chart_json) == chart
