"""Hostile and broken HTTP input to the control API (issue 8): the corpus in
``tests/fixtures/hostile_http`` against every route; a 4xx JSON answer with a reason, never a
500, nothing logged at ERROR, and the engine untouched."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
import pytest
from hostile_http import Body, assert_no_error_logged, bodies, expand, queries, raw_requests, send_raw, short

from tradetui.core.events import EngineState

if TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.control.conftest import Served  # the fixture's type

QUERIES = queries()


def _post_routes(served: Served) -> list[str]:
    """Every POST route of the running server, with a real strategy name in the templates."""
    name = served.handle.snapshot().strategies[0].name
    paths = [path.replace("{name}", name) for method, path in served.server.routes() if method == "POST"]
    assert len(paths) >= 9, paths
    return paths


def _assert_refused(answer: httpx.Response, what: str) -> str:
    assert 400 <= answer.status_code < 500, (what, answer.status_code, answer.text[:300])
    assert answer.headers["Content-Type"].startswith("application/json"), (what, answer.headers)
    reason = answer.json()["error"]
    assert isinstance(reason, str) and reason.strip(), what
    assert len(reason) < 500 and "\n" not in reason, (what, reason[:600])  # one line, no echo of the input
    return reason


def _assert_untouched(served: Served, before: Any) -> None:
    snap = served.handle.snapshot()
    assert snap.state is EngineState.RUNNING
    assert [(p.market, p.volume) for p in snap.positions] == before
    assert snap.strategies[0].enabled


@pytest.mark.parametrize("body", bodies())
async def test_every_post_route_refuses_every_hostile_body(
    served: Served, body: Body, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    before = [(p.market, p.volume) for p in served.handle.snapshot().positions]
    for path in _post_routes(served):
        answer = await served.http.post(path, content=body.data, headers=body.request_headers())
        _assert_refused(answer, f"POST {path} with {body.id} ({body.why})")
    _assert_untouched(served, before)
    assert_no_error_logged(caplog)


async def test_flatten_parses_its_body_like_the_other_commands(served: Served) -> None:
    for bad in (b"[1]", b"{nope", b'"x"'):
        answer = await served.http.post("/flatten", content=bad, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, bad
    answer = await served.http.post("/flatten", json={"now": True})
    assert answer.status_code == 400 and "now" in answer.json()["error"]  # an unknown field is named
    assert (await served.http.post("/flatten", json={})).status_code == 200
    assert (await served.http.post("/flatten")).status_code == 200


@pytest.mark.parametrize("value", QUERIES["numbers"], ids=short)
async def test_numeric_query_parameters_refuse_hostile_values(
    served: Served, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    for template in QUERIES["control_numeric"]:
        target = template.replace("{}", expand(value))
        answer = await served.http.get(target)
        reason = _assert_refused(answer, f"GET {short(target)}")
        assert target.split("?")[1].split("=")[0] in reason, (target, reason)  # names the parameter
    assert_no_error_logged(caplog)


async def test_hostile_path_segments_are_refused(served: Served, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for method, template in QUERIES["control_paths"]:
        target = expand(template)
        if method == "POST":
            answer = await served.http.post(target, json={"enabled": True})
        else:
            answer = await served.http.get(target)
        _assert_refused(answer, f"{method} {short(target)}")
    assert_no_error_logged(caplog)


@pytest.mark.parametrize("case", raw_requests())
async def test_broken_framing_and_headers_are_refused(
    served: Served, case: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    data = (
        case.read_bytes()
        .replace(b"{PATH}", b"/kill")
        .replace(b"{AUTH}", f"Bearer {served.server.token}".encode())
        .replace(b"{TOKEN}", served.server.token.encode())
    )
    answer = await send_raw(served.server.port, data)
    assert 400 <= answer.status < 500, (case.name, answer.status, answer.body[:300])
    assert answer.body.strip(), case.name
    if answer.is_json:
        assert answer.json()["error"], case.name
    assert served.handle.snapshot().state is EngineState.RUNNING
    assert_no_error_logged(caplog)


async def test_a_lone_surrogate_reason_never_reaches_the_event_log(served: Served) -> None:
    answer = await served.http.post(
        "/pause", content=b'{"reason": "lunch \\udc80"}', headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400 and "surrogate" in answer.json()["error"]
    assert all("\udc80" not in e.text for e in served.handle.snapshot(max_events=2000).events)


async def test_an_integer_query_takes_plain_ascii_digits_only(served: Served) -> None:
    assert (await served.http.get("/status", params={"events": "7"})).status_code == 200
    assert (await served.http.get("/events", params={"after": "-1", "limit": "3"})).status_code == 200
    for text in ("٣", "１２", "1_0", " 7", "+7"):
        answer = await served.http.get(f"/status?events={quote(text)}")
        assert answer.status_code == 400, text
