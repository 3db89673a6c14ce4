"""The control API in this process: auth, the token file, every endpoint and command."""

from __future__ import annotations

import json
import math
import os
import re
import stat
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tradetui.backtest.runner import run_backtest
from tradetui.candles.synthetic import generate_market
from tradetui.commands.run import RunningSession
from tradetui.control.client import AsyncControlClient
from tradetui.control.endpoint import ControlError, EngineNotRunning, read_endpoint
from tradetui.control.server import ControlServer
from tradetui.control.wire import snapshot_from_dict
from tradetui.core.events import EngineState
from tradetui.core.market import Timeframe
from tradetui.engine.handle import EngineHandle
from tradetui.strategies.registry import create

if TYPE_CHECKING:
    from tests.integration.control.conftest import Served, ServeHandle  # the fixture's type

# --- auth and the token file ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}],
)
async def test_every_request_needs_the_token(served: Served, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=served.server.url, headers=headers, trust_env=False) as bare:
        for method, path in (("GET", "/health"), ("GET", "/status"), ("POST", "/kill"), ("GET", "/nowhere")):
            answer = await bare.request(method, path)
            assert answer.status_code == 401, (method, path)
            assert "token" in answer.json()["error"]
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert served.handle.snapshot().state is EngineState.RUNNING  # nothing happened


async def test_the_token_with_the_right_header_is_accepted(served: Served) -> None:
    answer = await served.http.get("/health")
    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "state": "RUNNING",
        "mode": "DEMO",
        "exchange": "upbit",
        "pid": os.getpid(),
    }


async def test_token_file_is_private_and_removed_on_stop(position_session: RunningSession, tmp_path: Path) -> None:
    token_file = tmp_path / "deep" / "control.json"
    server = ControlServer(position_session.handle, token_file=token_file)
    await server.start()
    try:
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        data = json.loads(token_file.read_text())
        assert data["token"] == server.token and len(server.token) >= 40
        assert data["pid"] == os.getpid() and data["host"] == "127.0.0.1" and data["port"] == server.port
        assert data["url"] == f"http://127.0.0.1:{server.port}" and data["unix_socket"] is None
        assert read_endpoint(token_file).token == server.token
        assert not list(token_file.parent.glob(".*tmp"))  # written atomically, no leftovers
    finally:
        await server.stop()
    assert not token_file.exists()
    with pytest.raises(EngineNotRunning, match="does not exist"):
        read_endpoint(token_file)


async def test_each_start_makes_a_new_token(position_session: RunningSession, tmp_path: Path) -> None:
    tokens = []
    for _ in range(2):
        async with ControlServer(position_session.handle, token_file=tmp_path / "t.json") as server:
            tokens.append(server.token)
    assert tokens[0] != tokens[1]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.0.10", "10.0.0.1", "example.com", ""])
def test_refuses_to_bind_anything_but_loopback(position_session: RunningSession, tmp_path: Path, host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        ControlServer(position_session.handle, host=host, token_file=tmp_path / "t.json")


async def test_ipv6_loopback_and_localhost_are_fine(position_session: RunningSession, tmp_path: Path) -> None:
    assert ControlServer(position_session.handle, host="localhost", token_file=tmp_path / "a.json").host == "127.0.0.1"
    assert ControlServer(position_session.handle, host="::1", token_file=tmp_path / "b.json").host == "::1"


async def test_unix_socket(position_session: RunningSession, tmp_path: Path) -> None:
    sock = tmp_path / "ctl.sock"
    token_file = tmp_path / "control.json"
    async with ControlServer(position_session.handle, unix_socket=sock, token_file=token_file):
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        data = json.loads(token_file.read_text())
        assert data["unix_socket"] == str(sock) and data["port"] is None and data["host"] is None
        async with AsyncControlClient(token_file) as client:
            assert (await client.health())["state"] == "RUNNING"
            assert (await client.pause()).state is EngineState.PAUSED
    assert not sock.exists() and not token_file.exists()


async def test_a_stale_token_file_is_reported(tmp_path: Path) -> None:
    token_file = tmp_path / "control.json"
    token_file.write_text(json.dumps({"pid": 2**22 + 12345, "url": "http://127.0.0.1:9", "token": "x"}))
    with pytest.raises(EngineNotRunning, match="stale"):
        read_endpoint(token_file)


# --- reads ---------------------------------------------------------------------------------------


async def test_status_round_trips_into_the_local_snapshot(served: Served) -> None:
    answer = await served.http.get("/status", params={"events": "200"})
    assert answer.status_code == 200
    data = answer.json()
    assert isinstance(data["equity"], str) and data["state"] == "RUNNING"
    assert snapshot_from_dict(data) == served.handle.snapshot(max_events=200)
    async with AsyncControlClient(served.token_file) as client:
        assert await client.status() == served.handle.snapshot()


async def test_markets_chart_and_events(served: Served) -> None:
    async with AsyncControlClient(served.token_file) as client:
        listing = await client.markets()
        assert listing.rows == served.handle.markets() and listing.timeframe == served.handle.timeframe()
        market = listing.rows[0].market
        assert await client.chart(market, 50) == served.handle.chart(market, 50)
        assert await client.chart("KRW-NOPE") is None
        every = await client.events(limit=2000)
        assert every == served.handle.snapshot(max_events=2000).events[-2000:]
        cut = every[len(every) // 2].ts_ms
        assert await client.events(after_ms=cut) == tuple(e for e in every if e.ts_ms > cut)
    bad = await served.http.get(f"/chart/{market}", params={"bars": "lots"})
    assert bad.status_code == 400 and "bars" in bad.json()["error"]


async def test_the_chart_of_a_market_with_a_position_shows_its_entry(served: Served) -> None:
    # seen: "buys": [] with a position open (the read model read a journal the demo does not have)
    (position,) = served.handle.snapshot().positions
    answer = (await served.http.get(f"/chart/{position.market}", params={"bars": "300"})).json()
    assert answer["buys"], answer["buys"]
    assert answer["buys"][-1][1] == pytest.approx(float(position.avg_price))
    assert answer["stop"] is not None and float(answer["stop"]) < answer["buys"][-1][1]
    assert [o["label"] for o in answer["overlays"]] == ["EMA20", "high20"]  # the EMA line comes with the levels
    assert all(len(o["values"]) == len(answer["close"]) for o in answer["overlays"])


async def test_the_chart_in_a_coarser_timeframe(served: Served) -> None:
    market = served.handle.market_codes()[0]
    answer = await served.http.get(f"/chart/{market}", params={"bars": "30", "timeframe": "15m"})
    assert answer.status_code == 200
    data = answer.json()
    assert data["timeframe"] == "15m" and 0 < len(data["close"]) <= 30  # the demo has run a few hours
    assert all(t % 900 == 0 for t in data["ts_s"])
    async with AsyncControlClient(served.token_file) as client:
        chart = await client.chart(market, 30, Timeframe.M15)
    assert chart == served.handle.chart(market, 30, Timeframe.M15)
    assert chart is not None and chart.overlays[0].label == "EMA20"
    for bad in ("2h", "", "15M", "15m\x00"):
        answer = await served.http.get(f"/chart/{market}", params={"bars": "30", "timeframe": bad})
        assert answer.status_code == 400, (bad, answer.text)
        assert "timeframe must be one of 1m, 3m" in answer.json()["error"], answer.text


async def test_a_chart_timeframe_the_engine_cannot_show_is_a_400(serve: ServeHandle, tmp_path: Path) -> None:
    series = generate_market("KRW-SYN", bars=400, seed=5, timeframe=Timeframe.M5)
    engine = run_backtest([series], [create("breakout", {"timeframe": "5m"})]).engine
    async with serve(EngineHandle(engine, mode="BACKTEST", exchange="upbit"), tmp_path) as running:
        for finer_or_odd in ("1m", "3m"):
            answer = await running.http.get("/chart/KRW-SYN", params={"timeframe": finer_or_odd})
            assert answer.status_code == 400 and "whole multiple of it" in answer.json()["error"], answer.text
        answer = await running.http.get("/chart/KRW-SYN", params={"timeframe": "15m", "bars": "10"})
        assert answer.status_code == 200 and answer.json()["timeframe"] == "15m"


# --- commands ------------------------------------------------------------------------------------


async def test_pause_and_resume(served: Served) -> None:
    answer = await served.http.post("/pause", json={"reason": "lunch"})
    assert answer.status_code == 200 and answer.json()["state"] == "PAUSED"
    assert served.handle.snapshot().state is EngineState.PAUSED
    assert served.handle.snapshot().risk.reason == "lunch"
    answer = await served.http.post("/resume")
    assert answer.json()["state"] == "RUNNING" and served.handle.snapshot().state is EngineState.RUNNING


async def test_kill_without_flatten_keeps_positions(served: Served) -> None:
    positions = served.handle.snapshot().positions
    answer = await served.http.post("/kill", json={"flatten": False})
    assert answer.status_code == 200 and answer.json()["state"] == "HALTED"
    snap = served.handle.snapshot()
    assert snap.state is EngineState.HALTED and not snap.orders
    assert [p.market for p in snap.positions] == [p.market for p in positions]


async def test_kill_with_flatten_sells_every_position(served: Served) -> None:
    assert served.handle.snapshot().positions
    answer = await served.http.post("/kill", json={"flatten": True})
    assert answer.status_code == 200
    snap = snapshot_from_dict(answer.json())
    assert snap.state is EngineState.HALTED
    assert not snap.positions or (snap.orders and all(o.purpose == "flatten" for o in snap.orders))
    assert snap == served.handle.snapshot()


async def test_kill_refuses_a_non_boolean_flatten(served: Served) -> None:
    for body in ({"flatten": "yes"}, [1]):
        answer = await served.http.post("/kill", json=body)
        assert answer.status_code == 400
    answer = await served.http.post("/kill", content=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "JSON" in answer.json()["error"]
    assert served.handle.snapshot().state is EngineState.RUNNING


async def test_flatten_keeps_running(served: Served) -> None:
    answer = await served.http.post("/flatten")
    snap = snapshot_from_dict(answer.json())
    assert snap.state is EngineState.RUNNING
    assert not snap.positions or all(o.purpose == "flatten" for o in snap.orders)


async def test_strategy_on_off_and_unknown(served: Served) -> None:
    name = served.handle.snapshot().strategies[0].name
    answer = await served.http.post(f"/strategies/{name}", json={"enabled": False})
    assert answer.status_code == 200 and answer.json()["strategies"][0]["enabled"] is False
    assert not served.handle.snapshot().strategies[0].enabled
    answer = await served.http.post(f"/strategies/{name}", json={"enabled": True})
    assert served.handle.snapshot().strategies[0].enabled
    answer = await served.http.post("/strategies/nope", json={"enabled": True})
    assert answer.status_code == 404 and "nope" in answer.json()["error"]
    answer = await served.http.post(f"/strategies/{name}", json={"enabled": "off"})
    assert answer.status_code == 400
    answer = await served.http.post(f"/strategies/{name}", json={})
    assert answer.status_code == 400


async def test_strategy_params_ok_and_rejected(served: Served) -> None:
    view = served.handle.snapshot().strategies[0]
    key = "lookback"
    assert key in view.params
    answer = await served.http.post(f"/strategies/{view.name}/params", json={key: view.params[key] + 5})
    assert answer.status_code == 200
    assert served.handle.snapshot().strategies[0].params[key] == view.params[key] + 5
    for bad, why in (({key: -3}, key), ({"no_such_param": 1}, "unknown key"), ({"timeframe": "1d"}, "timeframe")):
        answer = await served.http.post(f"/strategies/{view.name}/params", json=bad)
        assert answer.status_code == 400, bad
        assert why in answer.json()["error"]
    assert served.handle.snapshot().strategies[0].params[key] == view.params[key] + 5
    answer = await served.http.post("/strategies/nope/params", json={key: 3})
    assert answer.status_code == 404
    async with AsyncControlClient(served.token_file) as client:
        with pytest.raises(ControlError) as info:
            await client.set_params(view.name, {key: 0})
        assert info.value.status == 400


async def test_wrong_method_is_json_405(served: Served) -> None:
    answer = await served.http.get("/pause")
    assert answer.status_code == 405 and "error" in answer.json()


# --- metrics -------------------------------------------------------------------------------------

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(
    rf'^(?P<name>{_NAME})(?:\{{(?P<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\}})? (?P<value>\S+)$'
)
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_prometheus(text: str) -> dict[str, tuple[str, list[tuple[dict[str, str], float]]]]:
    """A strict reader of the text exposition format: name → (type, samples)."""
    assert text.endswith("\n")
    families: dict[str, tuple[str, list[tuple[dict[str, str], float]]]] = {}
    helped: set[str] = set()
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert re.fullmatch(_NAME, name) and help_text and name not in helped
            helped.add(name)
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped") and name not in families
            assert name in helped, f"{name}: TYPE without HELP"
            families[name] = (kind, [])
            current = name
        else:
            match = _SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            assert match["name"] == current, f"{match['name']} outside its family"
            assert current is not None
            value = match["value"]
            number = float(value.replace("+Inf", "inf").replace("-Inf", "-inf"))
            labels = dict(_LABEL.findall(match["labels"] or ""))
            families[current][1].append((labels, number))
    return families


async def test_metrics_are_prometheus_text(served: Served) -> None:
    await served.http.post("/pause")
    answer = await served.http.get("/metrics")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = parse_prometheus(answer.text)
    snap = served.handle.snapshot()

    def one(name: str) -> float:
        samples = families[name][1]
        assert len(samples) == 1
        return samples[0][1]

    assert math.isclose(one("tradetui_equity_krw"), float(snap.equity))
    assert math.isclose(one("tradetui_cash_krw"), float(snap.cash))
    assert math.isclose(one("tradetui_day_pnl_krw"), float(snap.risk.day_pnl))
    assert one("tradetui_positions") == len(snap.positions) >= 1
    assert one("tradetui_open_orders") == len(snap.orders)
    assert one("tradetui_trades_closed_total") == snap.trades_closed
    assert math.isclose(one("tradetui_fees_paid_krw_total"), float(snap.fees_paid)) and snap.fees_paid > Decimal(0)
    assert one("tradetui_bars_processed_total") == snap.bars_processed > 0
    states = {labels["state"]: value for labels, value in families["tradetui_engine_state"][1]}
    assert states == {"RUNNING": 0, "PAUSED": 1, "REDUCE_ONLY": 0, "HALTED": 0}
    events = {labels["severity"]: value for labels, value in families["tradetui_events_total"][1]}
    assert events.get("warning", 0) >= 1  # the pause above
    for name, (kind, _) in families.items():
        assert name.startswith("tradetui_")
        assert (kind == "counter") == name.endswith("_total"), name


def test_the_metrics_reader_is_strict() -> None:
    with pytest.raises(AssertionError):
        parse_prometheus("tradetui_x 1\n")  # no TYPE
    with pytest.raises(AssertionError):
        parse_prometheus('# HELP a b\n# TYPE a gauge\na{l="x} 1\n')
