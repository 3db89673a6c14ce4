"""Risk settings, config history, order/trade history and scores over the control API: the
endpoints against a served demo engine that has traded, and RemoteHandle (``tradetui attach``) on them."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tradetui.commands.run import RunningSession
from tradetui.config import RiskConfig
from tradetui.control.client import AsyncControlClient
from tradetui.control.endpoint import ControlError
from tradetui.control.remote_handle import RemoteHandle
from tradetui.control.server import ControlServer
from tradetui.control.wire import snapshot_from_dict
from tradetui.control.wire_history import Scores, closed_trades_from_list, history_orders_from_list
from tradetui.core.events import Notice
from tradetui.engine.handle import EngineHandle
from tradetui.risk.sizing import SizingMethod
from tradetui.storage.repository import SqliteRepository

if TYPE_CHECKING:
    from tests.integration.control.conftest import EngineUntil, ServeHandle


@dataclass
class Traded:
    session: RunningSession
    server: ControlServer
    http: httpx.AsyncClient
    token_file: Path

    @property
    def handle(self) -> EngineHandle:
        return self.session.handle


@pytest.fixture
async def traded(tmp_path: Path, engine_until: EngineUntil, serve: ServeHandle) -> AsyncIterator[Traded]:
    session = await engine_until(tmp_path, lambda h: bool(h.closed_trades()), "closed no trade", name="h.db")
    try:
        async with serve(session.handle, tmp_path) as served:
            yield Traded(session, served.server, served.http, served.token_file)
    finally:
        session.journal.close()


@contextlib.asynccontextmanager
async def _attached(traded: Traded) -> AsyncIterator[RemoteHandle]:
    """A RemoteHandle on the served engine, refreshed once and polling (as ``attach`` runs it)."""
    handle = RemoteHandle(AsyncControlClient(traded.token_file), poll_interval_s=0.05)
    await handle.refresh()
    runner = asyncio.create_task(handle.run())
    try:
        yield handle
    finally:
        await handle.shutdown()
        async with asyncio.timeout(5):
            await runner


async def _config_history(database: Path) -> list[tuple[str, str]]:
    repo = await SqliteRepository.open(database)
    try:
        return [(row.config_text, row.note) for row in await repo.load_config_history()]
    finally:
        await repo.close()


def _same_scores(a: Scores, b: Scores) -> bool:
    """Equal grids, NaN equal to NaN."""
    if a.keys() != b.keys() or any(a[s].keys() != b[s].keys() for s in a):
        return False
    return all(
        len(a[s][m]) == len(b[s][m])
        and all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a[s][m], b[s][m], strict=True))
        for s in a
        for m in a[s]
    )


async def _wait_for(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.02)


# --- the endpoints -------------------------------------------------------------------------------

NEW_ENDPOINTS = [
    ("GET", "/risk"),
    ("POST", "/risk"),
    ("POST", "/config-history"),
    ("GET", "/history/trades"),
    ("GET", "/history/orders"),
    ("GET", "/history/backtests"),
    ("GET", "/history/backtests/1"),
    ("GET", "/scores"),
]


@pytest.mark.parametrize(("method", "path"), NEW_ENDPOINTS)
async def test_each_new_endpoint_needs_the_token(traded: Traded, method: str, path: str) -> None:
    limits = traded.handle.risk_settings()[1]
    body = {"risk": {"max_open_positions": 1}, "text": "[risk]\n", "note": "intruder"}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        async with httpx.AsyncClient(base_url=traded.server.url, headers=headers, trust_env=False) as bare:
            answer = await bare.request(method, path, json=body if method == "POST" else None)
        assert answer.status_code == 401, (method, path, headers)
        assert "token" in answer.json()["error"]
    assert traded.handle.risk_settings()[1] == limits
    assert await _config_history(traded.session.store.database) == []


async def test_risk_reads_as_config_fields_and_a_change_reaches_the_engine(traded: Traded) -> None:
    sizing, limits = traded.handle.risk_settings()
    sizing = replace(sizing, fraction_pct=12.5, min_order_krw=Decimal("12345.6"))  # not the defaults, so that
    limits = replace(limits, cooldown_minutes=17, max_exposure_pct=55.5)  # a reset to them would show
    traded.handle.set_risk(sizing, limits)
    answer = await traded.http.get("/risk")
    assert answer.status_code == 200
    assert answer.json() == RiskConfig.values(sizing, limits)
    assert isinstance(answer.json()["min_order_krw"], str)  # money as a string, never a float
    assert limits.max_open_positions != 1 and limits.daily_loss_krw is None

    changes = {"max_open_positions": 1, "daily_loss_krw": "50000", "sizing": "fixed_fraction"}
    answer = await traded.http.post("/risk", json={"risk": changes, "note": "tighter for the night"})
    assert answer.status_code == 200
    assert snapshot_from_dict(answer.json()) == traded.handle.snapshot()  # the new status, as other commands
    new_sizing, new_limits = traded.handle.risk_settings()
    assert traded.handle.engine.risk.limits is new_limits
    assert new_limits == replace(limits, max_open_positions=1, daily_loss_krw=Decimal("50000"))  # others kept
    assert new_sizing == replace(sizing, method=SizingMethod.FIXED_FRACTION)
    assert any("tighter for the night" in e.text for e in traded.handle.snapshot(max_events=20).events)
    assert (await traded.http.get("/risk")).json() == RiskConfig.values(new_sizing, new_limits)

    async with AsyncControlClient(traded.token_file) as client:
        await client.set_risk({"max_open_positions": 2})
        assert (await client.risk())["max_open_positions"] == 2
    assert traded.handle.risk_settings()[1].max_open_positions == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"risk": {"max_open_positions": 0}}, "max_open_positions"),
        ({"risk": {"min_order_krw": 10000.5}}, "min_order_krw"),  # floats are not money
        ({"risk": {"daily_loss_pct": "lots"}}, "daily_loss_pct"),
        ({"risk": {"sizing": "martingale"}}, "sizing"),
        ({"risk": {"max_open_positionz": 2}}, "max_open_positionz"),
        ({"risk": ["max_open_positions", 2]}, "'risk'"),
        ({}, "'risk'"),
        ({"risk": {"max_open_positions": 2}, "note": 5}, "'note'"),
    ],
)
async def test_a_bad_risk_change_is_400_naming_the_field(traded: Traded, body: dict[str, object], field: str) -> None:
    before = traded.handle.risk_settings()
    answer = await traded.http.post("/risk", json=body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert field in error and "\n" not in error
    assert traded.handle.risk_settings() == before
    async with AsyncControlClient(traded.token_file) as client:
        with pytest.raises(ControlError, match="max_open_positions") as info:
            await client.set_risk({"max_open_positions": 1000})
    assert info.value.status == 400
    assert traded.handle.risk_settings() == before


async def test_config_history_is_stored_in_the_engines_database(traded: Traded) -> None:
    text = '[risk]\nmax_open_positions = 2\nmin_order_krw = "10000"\n'
    answer = await traded.http.post("/config-history", json={"text": text, "note": "settings changed: ✓"})
    assert answer.status_code == 200 and answer.json() == {"stored": True}
    assert await _config_history(traded.session.store.database) == [(text, "settings changed: ✓")]
    async with AsyncControlClient(traded.token_file) as client:
        assert await client.save_config_change(text + "# again\n", "second") is True
    assert [note for _, note in await _config_history(traded.session.store.database)] == [
        "second",
        "settings changed: ✓",
    ]


async def test_config_history_refuses_bad_and_oversized_text(traded: Traded) -> None:
    for body in ({"note": "no text"}, {"text": "", "note": "empty"}, {"text": ["a"], "note": "list"}):
        answer = await traded.http.post("/config-history", json=body)
        assert answer.status_code == 400 and "'text'" in answer.json()["error"], body
    answer = await traded.http.post("/config-history", json={"text": "#" * (32 * 1024 + 1), "note": "big"})
    assert answer.status_code == 413 and "32 KiB" in answer.json()["error"]
    answer = await traded.http.post("/config-history", json={"text": "#" * (70 * 1024), "note": "bigger"})
    assert answer.status_code == 413 and "64 KiB" in answer.json()["error"]
    assert await _config_history(traded.session.store.database) == []


async def test_config_history_without_a_database_is_not_stored(traded: Traded, tmp_path: Path) -> None:
    bare = EngineHandle(traded.handle.engine, mode="DEMO", exchange="upbit")  # no save_config
    token_file = tmp_path / "bare.json"
    async with ControlServer(bare, token_file=token_file), AsyncControlClient(token_file) as client:
        assert await client.save_config_change("[risk]\n", "nowhere") is False


async def test_history_of_trades_and_orders(traded: Traded) -> None:
    trades = list(reversed(traded.handle.closed_trades()))  # the newest first, as stored and served
    orders = await traded.handle.orders(500)
    assert trades and len(orders) >= 2  # an entry and its exit at least
    assert await traded.handle.trade_history(500) == trades
    answer = await traded.http.get("/history/trades")
    assert answer.status_code == 200
    assert list(closed_trades_from_list(answer.json()["trades"])) == trades
    answer = await traded.http.get("/history/orders", params={"limit": "500"})
    assert list(history_orders_from_list(answer.json()["orders"])) == orders
    async with AsyncControlClient(traded.token_file) as client:
        assert await client.closed_trades(limit=1) == trades[:1]  # the newest is first
        assert await client.orders(limit=1) == orders[:1]  # the newest is first
        assert await client.orders() == orders
    for path in ("/history/trades", "/history/orders"):
        for limit in ("0", "5001", "ten"):
            answer = await traded.http.get(path, params={"limit": limit})
            assert answer.status_code == 400 and "limit" in answer.json()["error"], (path, limit)


async def test_scores_carry_nan_as_null(traded: Traded) -> None:
    grid = traded.handle.scores(1000)
    values = [v for by_market in grid.values() for row in by_market.values() for v in row]
    assert any(math.isnan(v) for v in values) and any(not math.isnan(v) for v in values)
    answer = await traded.http.get("/scores", params={"bars": "1000"})
    assert answer.status_code == 200
    assert "NaN" not in answer.text and "null" in answer.text
    assert answer.json()["bars"] == 1000
    async with AsyncControlClient(traded.token_file) as client:
        assert _same_scores(await client.scores(1000), grid)
        assert _same_scores(await client.scores(), traded.handle.scores())
    for bars in ("0", "1001"):
        assert (await traded.http.get("/scores", params={"bars": bars})).status_code == 400


# --- RemoteHandle on them ------------------------------------------------------------------------


async def test_remote_risk_settings_after_refresh_and_set_risk_reaches_the_engine(traded: Traded) -> None:
    handle = RemoteHandle(AsyncControlClient(traded.token_file), poll_interval_s=0.05)
    with pytest.raises(ControlError, match="not been fetched"):
        handle.risk_settings()
    await handle.refresh()
    runner = asyncio.create_task(handle.run())
    try:
        assert handle.risk_settings() == traded.handle.risk_settings()
        sizing, limits = handle.risk_settings()
        wanted = replace(limits, max_open_positions=1, daily_loss_krw=Decimal("75000"))
        handle.set_risk(replace(sizing, risk_pct=0.5), wanted, note="from the attached TUI")
        assert handle.risk_settings() == (replace(sizing, risk_pct=0.5), wanted)  # at once, before it is sent
        await _wait_for(lambda: traded.handle.engine.risk.limits == wanted)
        assert traded.handle.risk_settings()[0].risk_pct == 0.5
        assert any("from the attached TUI" in e.text for e in traded.handle.snapshot(max_events=20).events)
        await handle.refresh()
        assert handle.risk_settings() == traded.handle.risk_settings()
    finally:
        await handle.shutdown()
        async with asyncio.timeout(5):
            await runner


async def test_a_refused_remote_risk_change_falls_back_to_the_engines_values(traded: Traded) -> None:
    async with _attached(traded) as handle:
        sizing, limits = handle.risk_settings()
        handle.set_risk(sizing, replace(limits, max_open_positions=0))  # the engine's RiskConfig refuses it
        assert handle.risk_settings()[1].max_open_positions == 0
        await _wait_for(lambda: handle.risk_settings() == (sizing, limits))
        assert traded.handle.risk_settings() == (sizing, limits)


async def test_remote_history_scores_and_config_history(traded: Traded) -> None:
    async with _attached(traded) as handle:
        assert await handle.trade_history(500) == await traded.handle.trade_history(500) != []
        assert await handle.trade_history(1) == (await traded.handle.trade_history(500))[:1]
        assert await handle.orders(500) == await traded.handle.orders(500)
        assert await handle.orders(1) == (await traded.handle.orders(500))[:1]
        assert handle.scores(1000) == {}  # asked for now, fetched by the next poll
        await _wait_for(lambda: handle.scores(1000) != {})
        assert _same_scores(handle.scores(1000), traded.handle.scores(1000))
        assert await handle.save_config_change("[risk]\nmax_open_positions = 1\n", "attached change") is True
        assert await _config_history(traded.session.store.database) == [
            ("[risk]\nmax_open_positions = 1\n", "attached change")
        ]


async def test_remote_closed_trades_follow_the_stored_history(traded: Traded) -> None:
    async with _attached(traded) as handle:
        before = await handle.trade_history(5000)
        engine = traded.handle.engine
        later = replace(engine.portfolio.closed[-1], exit_ms=engine.portfolio.closed[-1].exit_ms + 1, exit_reason="new")
        engine.portfolio.closed.append(later)  # closed as the engine closes one: stored with its events
        engine.emit([Notice(engine.clock.now_ms(), "a round trip closed")])
        after = await handle.trade_history(5000)
        assert after == [later, *before]
        assert after == await traded.handle.trade_history(5000)


async def test_remote_history_when_the_engine_is_gone(traded: Traded) -> None:
    handle = RemoteHandle(AsyncControlClient(traded.token_file))
    await handle.refresh()
    await traded.server.stop()
    try:
        assert await handle.orders(10) == []
        assert await handle.trade_history(10) == []
        assert "closed trades" in (handle.last_error or "")
        assert await handle.backtest_runs(10) == [] and await handle.backtest_run(1) is None
        assert await handle.save_config_change("[risk]\n", "lost") is False
        assert "config history" in (handle.last_error or "")
        assert handle.risk_settings() == traded.handle.risk_settings()
    finally:
        await handle.shutdown()


def _has_risk_settings(handle: RemoteHandle) -> bool:
    try:
        handle.risk_settings()
    except ControlError:
        return False
    return True


RISK_EDITS: list[tuple[dict[str, object], str]] = [
    ({"max_open_positions": 0}, "max_open_positions: Input should be greater than or equal to 1"),
    ({"min_order_krw": "ten thousand"}, "min_order_krw"),
    ({"sizing": "martingale"}, "sizing: String should match pattern"),
    ({"fraction_pct": 150, "max_exposure_pct": -1}, "fraction_pct: Input should be less than or equal to 100"),
]


async def test_risk_edits_are_checked_alike_by_the_engines_handle_and_the_attached_one(traded: Traded) -> None:
    """The settings screen checks its risk fields through whichever handle it has: the answer and
    the message (what the screen shows) are the same in this process and attached."""
    local = traded.handle
    async with _attached(traded) as remote:
        await _wait_for(lambda: _has_risk_settings(remote))  # fetched by the poll
        assert remote.risk_fields() == local.risk_fields() == RiskConfig.values(*local.risk_settings())
        fields = local.risk_fields()
        for edit, says in RISK_EDITS:
            messages = []
            for handle in (local, remote):
                with pytest.raises(ValueError) as refused:
                    handle.check_risk({**fields, **edit})
                messages.append(str(refused.value))
            assert messages[0] == messages[1] and says in messages[0], messages
            assert not messages[0].startswith("config"), "the screen shows the problem, not the config's prefix"
        both = {**fields, "fraction_pct": 150, "max_exposure_pct": -1}
        with pytest.raises(ValueError, match=r"fraction_pct: .*; max_exposure_pct: "):
            local.check_risk(both)  # every bad field is named
        good = {**fields, "max_open_positions": 2, "daily_loss_krw": "150000"}
        change = local.check_risk(good)
        assert change == remote.check_risk(good)
        assert change.limits.max_open_positions == 2 and change.limits.daily_loss_krw == Decimal(150_000)
        assert change.fields["daily_loss_krw"] == "150000" and change.fields["max_open_positions"] == 2
        assert local.risk_settings()[1].max_open_positions != 2, "checking applies nothing"
