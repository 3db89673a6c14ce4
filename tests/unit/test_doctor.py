"""`tradetui doctor` pieces: clock offset from Date headers, permission mapping, rate budget
reading, database inspection and the command's exit status (no network: httpx.MockTransport)."""

from __future__ import annotations

import argparse
import io
import json
import os
import sqlite3
from collections.abc import Callable
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest

from tradetui.cli import build_parser
from tradetui.commands.doctor import run
from tradetui.commands.doctor_check import Check, Status, exit_code
from tradetui.commands.doctor_local import check_config, check_database, check_keys
from tradetui.commands.doctor_network import check_permissions, check_rest
from tradetui.commands.doctor_observations import (
    Budget,
    DateSample,
    Observations,
    estimate_skew,
    parse_http_date,
    rate_check,
    skew_check,
)
from tradetui.config import demo_config, parse_config
from tradetui.core.clock import LiveClock
from tradetui.core.market import Exchange
from tradetui.exchanges.profiles import BITHUMB, UPBIT, ExchangeProfile
from tradetui.exchanges.rest import ExchangeClient
from tradetui.storage.repository import SqliteRepository
from tradetui.storage.schema import SCHEMA_VERSION

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ACCESS = "access-key-for-doctor-tests"
SECRET = "secret-key-for-doctor-tests-" + "x" * 40

Handler = Callable[[httpx.Request], httpx.Response]


def fixture(exchange: str, name: str) -> Any:
    return json.loads((FIXTURES / exchange / f"{name}.json").read_text())


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for exchange in ("UPBIT", "BITHUMB"):
        for kind in ("ACCESS", "SECRET"):
            monkeypatch.delenv(f"TRADETUI_{exchange}_{kind}_KEY", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


def exchange_answers(exchange: str, *, offset_s: float = 0.0, chance_error: str | None = None) -> Handler:
    """A fake exchange: fixtures for every endpoint, Date shifted by ``offset_s``, Remaining-Req."""

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        headers = {"Date": formatdate(LiveClock().now_ms() / 1000 + offset_s, usegmt=True)}
        if exchange == "upbit":
            group = "default" if path.startswith(("/v1/accounts", "/v1/orders")) else path.split("/")[2]
            headers["Remaining-Req"] = f"group={group}; min=600; sec=8"
        name = {"/v1/market/all": "market_all", "/v1/ticker": "ticker", "/v1/accounts": "accounts"}.get(path)
        if path == "/v1/orders/chance":
            if chance_error is not None:
                body = {"error": {"name": chance_error, "message": "not allowed"}}
                return httpx.Response(401, json=body, headers=headers)
            name = "chance"
        if name is None:
            return httpx.Response(404, json={"error": {"name": "404", "message": "no"}}, headers=headers)
        return httpx.Response(200, json=fixture(exchange, name), headers=headers)

    return handle


def client_for(profile: ExchangeProfile, handler: Handler, *, keys: bool = True) -> ExchangeClient:
    return ExchangeClient(
        profile,
        access_key=ACCESS if keys else None,
        secret_key=SECRET if keys else None,
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        max_get_attempts=1,
    )


# --- the transport shows the last answer's headers -------------------------------------------------


async def test_client_exposes_the_last_answer_headers_also_on_errors() -> None:
    answers = iter([httpx.Response(200, json=[], headers={"Date": "Tue, 04 Nov 2025 01:02:03 GMT"})])

    def handle(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(404, json={"error": {"name": "x", "message": "y"}}, headers={"X-N": "2"}))

    async with ExchangeClient(UPBIT, http=httpx.AsyncClient(transport=httpx.MockTransport(handle))) as client:
        assert client.last_response_headers is None
        await client.ticker(["KRW-BTC"])
        assert client.last_response_headers is not None
        assert parse_http_date(client.last_response_headers.get("date")) == 1_762_218_123
        with pytest.raises(Exception):  # noqa: B017 (any VenueError: we only look at the headers)
            await client.ticker(["KRW-BTC"])
        assert client.last_response_headers["x-n"] == "2"


# --- clock offset --------------------------------------------------------------------------------


def test_parse_http_date_rejects_garbage() -> None:
    assert parse_http_date(None) is None
    assert parse_http_date("yesterday") is None
    assert parse_http_date("Thu, 01 Jan 1970 00:00:10 GMT") == 10


@pytest.mark.parametrize("true_offset_s", [0.0, 0.37, -2.6, 7.25])
def test_skew_bounds_contain_the_true_offset_and_narrow_with_spread_samples(true_offset_s: float) -> None:
    samples = []
    for index in range(5):  # 200 ms apart, 30 ms round trips, server stamps mid-flight
        sent = 1_700_000_000_000 + index * 200 + 123
        stamped_s = (sent + 15) / 1000 + true_offset_s
        samples.append(DateSample(sent, sent + 30, int(stamped_s // 1)))
    skew = estimate_skew(samples)
    assert skew is not None
    assert abs(skew.offset_s - true_offset_s) <= skew.error_s + 1e-9
    assert skew.error_s <= 0.25


def test_skew_of_nothing_is_unknown() -> None:
    assert estimate_skew([]) is None
    assert skew_check(None, UPBIT).status is Status.WARN


def test_skew_thresholds_and_the_bithumb_hint() -> None:
    from tradetui.commands.doctor_observations import Skew

    assert skew_check(Skew(0.9, 0.1), UPBIT).status is Status.OK
    assert skew_check(Skew(-1.5, 0.1), UPBIT).status is Status.WARN
    failing = skew_check(Skew(6.0, 0.1), BITHUMB)
    assert failing.status is Status.FAIL
    assert "expired_jwt" in failing.fix and "behind" in failing.detail


@pytest.mark.parametrize(("offset_s", "status"), [(0.0, Status.OK), (3.0, Status.WARN), (-10.0, Status.FAIL)])
async def test_check_rest_reads_the_offset_from_date_headers(
    offset_s: float, status: Status, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tradetui.commands.doctor_network.PROBE_SPACING_S", 0.0)
    obs = Observations()
    async with client_for(UPBIT, exchange_answers("upbit", offset_s=offset_s), keys=False) as client:
        checks = await check_rest(client, "KRW-BTC", LiveClock(), obs, probes=3)
    by_name = {c.name: c for c in checks}
    assert by_name["REST"].status is Status.OK
    assert "3 calls" in by_name["REST"].detail
    assert by_name["clock"].status is status, by_name["clock"].line()
    assert len(obs.dates) == 3


async def test_unreachable_exchange_fails_rest() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with client_for(UPBIT, refuse, keys=False) as client:
        checks = await check_rest(client, "KRW-BTC", LiveClock(), Observations())
    assert [c.status for c in checks] == [Status.FAIL]
    assert "NetworkError" in checks[0].detail


# --- permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("exchange", ["upbit", "bithumb"])
async def test_permissions_ok_when_accounts_and_chance_are_readable(exchange: str) -> None:
    profile = UPBIT if exchange == "upbit" else BITHUMB
    async with client_for(profile, exchange_answers(exchange)) as client:
        check = await check_permissions(client, "KRW-BTC", LiveClock(), Observations())
    assert check.status is Status.OK, check.line()
    assert "trade permission" in check.detail


async def test_out_of_scope_on_chance_means_no_trade_permission() -> None:
    async with client_for(UPBIT, exchange_answers("upbit", chance_error="out_of_scope")) as client:
        check = await check_permissions(client, "KRW-BTC", LiveClock(), Observations())
    assert check.status is Status.FAIL
    assert check.fix == "key lacks the trade permission: enable it on the exchange"
    assert "accounts readable" in check.detail


async def test_a_wrong_key_gets_the_keys_hint() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"name": "invalid_access_key", "message": "bad key"}})

    async with client_for(UPBIT, handle) as client:
        check = await check_permissions(client, "KRW-BTC", LiveClock(), Observations())
    assert check.status is Status.FAIL
    assert "tradetui keys set upbit" in check.fix


# --- rate budget ---------------------------------------------------------------------------------


def test_rate_check_reports_headroom_and_spots_a_shared_budget() -> None:
    obs = Observations(budgets=[Budget("ticker", 8, 10), Budget("ticker", 7, 10)], calls={"ticker": 3})
    assert rate_check(obs).status is Status.OK
    assert "ticker 7/10" in rate_check(obs).detail
    shared = Observations(budgets=[Budget("default", 10, 30)], calls={"default": 2})
    check = rate_check(shared)
    assert check.status is Status.WARN and "18 calls not ours" in check.detail
    assert rate_check(Observations()).status is Status.WARN
    assert rate_check(Observations(blocked=["ticker"])).status is Status.FAIL
    throttled = Observations(budgets=[Budget("order", 0, 12)], calls={"order": 12}, throttled=["order"])
    assert rate_check(throttled).status is Status.WARN


async def test_rest_calls_record_the_budget_headers() -> None:
    obs = Observations()
    async with client_for(UPBIT, exchange_answers("upbit"), keys=False) as client:
        await check_rest(client, "KRW-BTC", LiveClock(), obs, probes=1)
    assert {b.group for b in obs.budgets} == {"market", "ticker"}
    assert all(b.remaining == 8 and b.limit == 10 for b in obs.budgets)


# --- config and keys -----------------------------------------------------------------------------


def test_bad_config_fails_with_the_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('mode = "live"\nexchnage = "upbit"\n')
    check, config = check_config(str(bad))
    assert config is None and check.status is Status.FAIL
    assert "exchnage" in check.detail


def test_keys_from_env_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADETUI_UPBIT_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("TRADETUI_UPBIT_SECRET_KEY", SECRET)
    check, keys = check_keys(demo_config(), Exchange.UPBIT)
    assert keys is not None and check.status is Status.OK
    assert "from env" in check.detail and ACCESS not in check.line() and SECRET not in check.line()


def test_keys_missing_or_half_set(monkeypatch: pytest.MonkeyPatch) -> None:
    check, keys = check_keys(demo_config(), Exchange.UPBIT)
    assert keys is None and check.status is Status.WARN
    live = parse_config({"mode": "live", "feed": {"source": "exchange", "markets": ["KRW-BTC"]}})
    assert check_keys(live, Exchange.UPBIT)[0].status is Status.FAIL
    sandbox = parse_config(
        {"mode": "live", "feed": {"source": "exchange"}, "exchange_api": {"rest_url": "http://127.0.0.1:9"}}
    )
    check, keys = check_keys(sandbox, Exchange.UPBIT)
    assert keys is not None and "sandbox default" in check.detail
    monkeypatch.setenv("TRADETUI_UPBIT_ACCESS_KEY", ACCESS)
    assert check_keys(demo_config(), Exchange.UPBIT)[0].status is Status.FAIL


# --- database ------------------------------------------------------------------------------------


async def test_database_checks_on_a_real_file(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    assert [c.status for c in check_database(path)] == [Status.OK]
    assert not path.exists()  # the doctor never creates it
    repo = await SqliteRepository.open(path)
    await repo.close()
    checks = check_database(path)
    assert [c.status for c in checks] == [Status.OK] * 3, [c.line() for c in checks]
    assert f"schema version {SCHEMA_VERSION}" in checks[1].detail and checks[2].detail == "WAL"
    os.chmod(path, 0o644)
    assert check_database(path)[0].status is Status.WARN
    os.chmod(path, 0o600)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_meta SET version = 99 WHERE id = 1")
    conn.commit()
    conn.close()
    assert check_database(path)[1].status is Status.FAIL


def test_database_that_is_not_sqlite_fails(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database" * 100)
    os.chmod(path, 0o600)
    checks = check_database(path)
    assert checks[-1].status is Status.FAIL and exit_code(checks) == 1


# --- the command ---------------------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    return build_parser(["doctor", *argv]).parse_args(["doctor", *argv])


def test_demo_skips_the_network_and_passes(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run(_args("--data-dir", str(tmp_path)), out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("✓ config")
    assert any(line.startswith("– REST") and "--exchange" in line for line in lines)
    assert any(line.startswith("! keys") for line in lines)


def test_invalid_config_exits_1(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run(_args("--config", str(tmp_path / "missing.toml")), out=out) == 1
    assert out.getvalue().startswith("✗ config")


def test_check_line_format() -> None:
    assert Check("clock", Status.WARN, "off", "fix it").line() == "! clock        off — fix it"
    assert exit_code([Check("a", Status.WARN, ""), Check("b", Status.SKIP, "")]) == 0
