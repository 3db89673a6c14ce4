"""`data fetch` against the sandbox exchange on 127.0.0.1: many pages of 1m candles into a temp
database, equal to the sandbox's own candles (gaps included, no duplicates); an interrupted fetch
resumes asking only for the missing part; Upbit (UTC ``to``) and Bithumb (naive KST ``to``).
Also the CLI end to end in a subprocess against a `tradetui sandbox` subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tradetui.core.clock import LiveClock, SimClock
from tradetui.core.market import Exchange, Timeframe
from tradetui.data.fetch import fetch_candles
from tradetui.exchanges.profiles import profile_for
from tradetui.exchanges.rest import MAX_CANDLES, ExchangeClient
from tradetui.sandbox.app import serve
from tradetui.sandbox.candles import MINUTE_MS
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.market import MarketSpec
from tradetui.sandbox.state import SandboxState
from tradetui.storage.repository import SqliteRepository

ORIGIN_MS = 1_760_000_040_000 - 1_760_000_040_000 % MINUTE_MS
MARKET = "KRW-BTC"
START_MS = ORIGIN_MS - 1100 * MINUTE_MS
END_MS = ORIGIN_MS - 60 * MINUTE_MS
KST = timezone(timedelta(hours=9))

Row = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]


class Interrupted(Exception):
    """The connection 'dies' (raised from the transport, so the client does not retry it)."""


@dataclass
class Recorder(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox; records each candle request's ``to`` and can die after N of them."""

    fail_after: int | None = None
    to_params: list[str] = field(default_factory=list)
    inner: httpx.AsyncHTTPTransport = field(default_factory=httpx.AsyncHTTPTransport)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.fail_after is not None and len(self.to_params) >= self.fail_after:
            raise Interrupted(f"connection lost after {self.fail_after} pages")
        self.to_params.append(request.url.params.get("to", ""))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _sandbox(profile: str) -> SandboxState:
    # a frozen market clock: the candles are the seeded history, with no-trade minutes as gaps
    spec = MarketSpec(MARKET, "비트코인", "Bitcoin", seed=11, start_price=50_000_000.0, quiet_probability=0.15)
    return SandboxState(
        SandboxConfig(profile=profile, speed=1 / 60, history_minutes=1500),
        clock=SimClock(ORIGIN_MS),
        wall_clock=LiveClock(),
        markets=[spec],
    )


def _expected(state: SandboxState, start_ms: int, end_ms: int) -> list[Row]:
    candles = state.markets[MARKET].candles.newest_first(MINUTE_MS, before_ms=end_ms, count=100_000)
    return sorted(
        (c.start_ms // 1000, c.open, c.high, c.low, c.close, c.volume) for c in candles if c.start_ms >= start_ms
    )


def _pages_needed(starts: list[int], start_ms: int, end_ms: int) -> int:
    """How many requests walking back from ``end_ms`` 200 candles at a time takes to pass ``start_ms``."""
    to_ms, pages = end_ms, 0
    while True:
        pages += 1
        page = [s for s in starts if s < to_ms][-MAX_CANDLES:]
        if not page or page[0] <= start_ms or len(page) < MAX_CANDLES:
            return pages
        to_ms = page[0]


def _to_ms(text: str, profile: str) -> int:
    if profile == "upbit":
        assert text.endswith("Z"), text
        return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() * 1000)
    assert "Z" not in text and "+" not in text, text  # Bithumb: naive KST
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=KST).timestamp() * 1000)


@contextlib.asynccontextmanager
async def _client(profile: str, port: int, recorder: Recorder) -> AsyncIterator[ExchangeClient]:
    async with httpx.AsyncClient(transport=recorder) as http:
        yield ExchangeClient(
            profile_for(Exchange(profile)).with_base_url(f"http://127.0.0.1:{port}"), http=http, max_get_attempts=1
        )


async def _stored(repo: SqliteRepository, profile: str) -> list[Row]:
    rows = await repo.load_candles(profile, MARKET, Timeframe.M1)
    return [(int(ts), Decimal(o), Decimal(h), Decimal(lo), Decimal(c), Decimal(v)) for ts, o, h, lo, c, v in rows]


async def _fetch(client: ExchangeClient, repo: SqliteRepository) -> int:
    result = await fetch_candles(client, repo, market=MARKET, timeframe=Timeframe.M1, start_ms=START_MS, end_ms=END_MS)
    return result.stored


@pytest.mark.parametrize("profile", ["upbit", "bithumb"])
async def test_interrupted_fetch_resumes_with_only_the_missing_pages(profile: str, tmp_path: Path) -> None:
    state = _sandbox(profile)
    expected = _expected(state, START_MS, END_MS)
    starts = [row[0] * 1000 for row in expected]
    minutes = (END_MS - START_MS) // MINUTE_MS
    assert 2 * MAX_CANDLES < len(expected) < minutes  # several pages, and gaps
    runner, port = await serve(state)
    repo = await SqliteRepository.open(tmp_path / "candles.db")
    try:
        broken = Recorder(fail_after=2)
        async with _client(profile, port, broken) as client:
            with pytest.raises(Interrupted):
                await _fetch(client, repo)
        first = await _stored(repo, profile)
        assert first == expected[-2 * MAX_CANDLES :]  # the two newest pages, stored as they came
        assert _to_ms(broken.to_params[0], profile) == END_MS
        oldest_ms = first[0][0] * 1000

        resumed = Recorder()
        async with _client(profile, port, resumed) as client:
            stored = await _fetch(client, repo)
        assert stored == len(expected) - len(first)
        to_ms = [_to_ms(text, profile) for text in resumed.to_params]
        assert to_ms[0] == oldest_ms  # resumes just before what it has: nothing fetched twice
        assert all(t <= oldest_ms for t in to_ms)
        assert len(to_ms) == _pages_needed(starts, START_MS, oldest_ms)
        assert len(to_ms) < _pages_needed(starts, START_MS, END_MS)  # fewer than starting over

        final = await _stored(repo, profile)
        assert final == expected  # same candles, same gaps, no duplicates
        assert len({row[0] for row in final}) == len(final)

        again = Recorder()
        async with _client(profile, port, again) as client:
            assert await _fetch(client, repo) == 0
        assert len(again.to_params) <= 2  # at most a look at each end (a gap there), nothing stored
        assert await _stored(repo, profile) == expected
    finally:
        await repo.close()
        await runner.cleanup()


async def test_cancelled_fetch_keeps_its_pages_and_resumes(tmp_path: Path) -> None:
    state = _sandbox("upbit")
    expected = _expected(state, START_MS, END_MS)
    runner, port = await serve(state)
    repo = await SqliteRepository.open(tmp_path / "candles.db")
    try:
        pages = asyncio.Event()
        seen: list[int] = []

        def progress(count: int) -> None:
            seen.append(count)
            if len(seen) == 2:
                pages.set()

        recorder = Recorder()
        async with _client("upbit", port, recorder) as client:
            task = asyncio.create_task(
                fetch_candles(
                    client,
                    repo,
                    market=MARKET,
                    timeframe=Timeframe.M1,
                    start_ms=START_MS,
                    end_ms=END_MS,
                    progress=progress,
                )
            )
            await asyncio.wait_for(pages.wait(), 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        partial = await _stored(repo, "upbit")
        assert 2 * MAX_CANDLES <= len(partial) < len(expected)
        assert partial == expected[-len(partial) :]
        async with _client("upbit", port, Recorder()) as client:
            assert await _fetch(client, repo) == len(expected) - len(partial)
        assert await _stored(repo, "upbit") == expected
    finally:
        await repo.close()
        await runner.cleanup()


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_data_fetch_command_against_a_sandbox_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADETUI_")}
    started_ms = int(time.time() * 1000)
    server = subprocess.Popen(
        [sys.executable, "-m", "tradetui", "sandbox", "--port", "0", "--exchange", "bithumb", "--markets", MARKET],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        match = re.search(r"REST (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        # well inside the sandbox's seeded history (1440 minutes before it started)
        end_ms = started_ms - started_ms % MINUTE_MS - 120 * MINUTE_MS
        start_ms = end_ms - 900 * MINUTE_MS
        argv = [sys.executable, "-m", "tradetui", "data", "fetch", "--exchange", "bithumb", "--market", MARKET]
        argv += ["--from", _iso(start_ms), "--to", _iso(end_ms), "--base-url", match.group(1)]
        argv += ["--data-dir", str(tmp_path)]
        first = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        second = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
        if server.stdout is not None:
            server.stdout.close()
    assert first.returncode == 0, first.stderr
    assert "fetched 900 1m candles of KRW-BTC from bithumb; 900 stored" in first.stdout, first.stdout
    assert second.returncode == 0, second.stderr
    assert "fetched 0 1m candles" in second.stdout and "900 stored" in second.stdout, second.stdout

    async def stored() -> list[int]:
        repo = await SqliteRepository.open(tmp_path / "tradetui.db")
        try:
            return [int(r[0]) for r in await repo.load_candles("bithumb", MARKET, Timeframe.M1)]
        finally:
            await repo.close()

    assert asyncio.run(stored()) == list(range(start_ms // 1000, end_ms // 1000, 60))
