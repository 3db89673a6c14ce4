"""`tradetui doctor`: check that everything a paper or live session needs is in place.

    tradetui doctor [--config FILE] [--exchange upbit|bithumb] [--market KRW-BTC] [--data-dir DIR]

One line per check, ``✓`` (fine), ``!`` (works, but look at it), ``✗`` (will not work) or ``–``
(skipped), each problem with the fix. The exit status is 1 when any check failed, else 0.

* **config**: the file parses and validates (or the built-in demo is used);
* **keys**: present (shown masked) and where they came from (environment, keyring, sandbox default);
* **permissions**: a private call works (``/v1/accounts``) and ``/v1/orders/chance`` is readable,
  which needs the key's order permission (``out_of_scope`` → enable it on the exchange);
* **clock**: the offset to the exchange's ``Date`` response header, bounded from several answers
  (Bithumb's JWT carries a timestamp and stale ones are refused; warn above 1 s, fail above 5 s);
* **REST** / **WebSocket**: round trips and latency; a WebSocket connect and its first message;
* **rate limits**: the headroom the exchange reports (``Remaining-Req``, ``x-ratelimit-*``), and
  whether someone else is spending the same budget;
* **database**: it opens, its schema version, file mode 0600 and WAL journaling. The file is only
  read: nothing is created or upgraded here.

Without keys the public checks still run. Configs that do not use an exchange (the offline demo,
backtests) skip the network checks unless ``--exchange`` asks for them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import email.utils
import os
import sqlite3
import stat
import statistics
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO, TypeVar, cast

import httpx

from tradetui.commands.live import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from tradetui.config import AppConfig, Mode, database_path, demo_config, load_config
from tradetui.core.clock import Clock, LiveClock
from tradetui.core.events import FeedStateChanged
from tradetui.core.market import Exchange
from tradetui.credentials import ApiKeys, env_names, load_keys, mask
from tradetui.errors import AuthError, ConfigError, RateLimited, VenueError
from tradetui.exchanges.errors import (
    InvalidAccessKey,
    InvalidSignature,
    IpBlocked,
    IpNotAllowed,
    NonceReused,
    PermissionDenied,
    TokenExpired,
)
from tradetui.exchanges.profiles import ExchangeProfile, profile_for
from tradetui.exchanges.ratelimit import endpoint_group, parse_remaining_req, parse_x_ratelimit
from tradetui.exchanges.rest import ExchangeClient
from tradetui.exchanges.ws import ExchangeStream, StreamItem, Subscription
from tradetui.storage.schema import SCHEMA_VERSION
from tradetui.storage.sqlite_file import FILE_MODE
from tradetui.storage.tables import ALL_ROWS, SchemaMetaRow, table_of

T = TypeVar("T")

SKEW_WARN_S = 1.0
SKEW_FAIL_S = 5.0
LATENCY_WARN_MS = 500.0
PROBES = 5
"""Public round trips timed (and Date headers read) for latency and clock offset."""
PROBE_SPACING_S = 0.2
"""Spacing of the probes: spread over a second, their Date headers bound the offset to ~0.2 s."""
DEFAULT_TIMEOUT_S = 10.0


class Status(StrEnum):
    OK = "✓"
    WARN = "!"
    FAIL = "✗"
    SKIP = "–"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.value} {self.name:<12} {self.detail}"
        return f"{text} — {self.fix}" if self.fix else text


def exit_code(checks: Sequence[Check]) -> int:
    """1 when any check failed, else 0 (warnings and skips pass)."""
    return 1 if any(check.status is Status.FAIL for check in checks) else 0


# --- config and keys -------------------------------------------------------------------------------


def check_config(path: str | None) -> tuple[Check, AppConfig | None]:
    if path is None:
        config = demo_config()
        return Check("config", Status.OK, "none given: the built-in offline demo"), config
    try:
        config = load_config(path)
    except ConfigError as exc:
        return Check("config", Status.FAIL, str(exc), "fix the file; sample_configs/ has working examples"), None
    where = f", {config.exchange_api.rest_url} (local sandbox)" if config.exchange_api.is_local else ""
    return Check("config", Status.OK, f"{path}: mode {config.mode.value}, {config.exchange.value}{where}"), config


def check_keys(config: AppConfig, exchange: Exchange) -> tuple[Check, ApiKeys | None]:
    """Keys as a session would pick them: env, keyring, or the sandbox's demo pair for a loopback URL."""
    access_name, secret_name = env_names(exchange)
    how = f"run `tradetui keys set {exchange.value}` or set {access_name} and {secret_name}"
    try:
        keys = load_keys(exchange)
    except ConfigError as exc:
        return Check("keys", Status.FAIL, str(exc), how), None
    if keys is None and config.exchange_api.is_local:
        keys = ApiKeys(exchange, SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY, "sandbox default")
    if keys is None:
        status = Status.FAIL if config.mode is Mode.LIVE else Status.WARN
        return Check("keys", status, f"no {exchange.value} API keys: only the public checks run", how), None
    detail = f"{exchange.value} access key {mask(keys.access_key)}, secret ****, from {keys.source}"
    return Check("keys", Status.OK, detail), keys


# --- what the REST answers tell -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DateSample:
    """One answer's ``Date`` header (whole seconds) and the local wall-clock times around the call."""

    sent_ms: int
    received_ms: int
    server_s: int


def parse_http_date(value: str | None) -> int | None:
    """``Date: Tue, 04 Nov 2025 01:02:03 GMT`` → epoch seconds; None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp())


@dataclass(frozen=True, slots=True)
class Skew:
    offset_s: float
    """Server clock minus ours (positive: ours is behind)."""
    error_s: float
    """Half the width of the interval the answers allow."""


def estimate_skew(samples: Sequence[DateSample]) -> Skew | None:
    """Bound server-minus-local time from ``Date`` headers.

    The server stamped an answer at some ``s`` in ``[D, D + 1)`` (the header has whole seconds),
    and ``s`` happened between sending and receiving, so the offset lies in
    ``[D - received, D + 1 - sent)``. Intersecting those intervals over answers spread across a
    second narrows the bound well below the header's resolution.
    """
    if not samples:
        return None
    low = max(s.server_s - s.received_ms / 1000 for s in samples)
    high = min(s.server_s + 1 - s.sent_ms / 1000 for s in samples)
    if low > high:  # the answers disagree (a clock stepped meanwhile): fall back to the mean midpoint
        mids = [s.server_s + 0.5 - (s.sent_ms + s.received_ms) / 2000 for s in samples]
        spread = max(mids) - min(mids)
        return Skew(statistics.fmean(mids), 0.5 + spread / 2)
    return Skew((low + high) / 2, (high - low) / 2)


def skew_check(skew: Skew | None, profile: ExchangeProfile) -> Check:
    if skew is None:
        return Check("clock", Status.WARN, "the exchange sent no Date header; offset unknown")
    behind = "behind" if skew.offset_s > 0 else "ahead of"
    detail = f"offset {skew.offset_s:+.2f} s (±{skew.error_s:.2f} s) to the exchange's Date header"
    if abs(skew.offset_s) <= SKEW_WARN_S:
        return Check("clock", Status.OK, detail)
    stale = (
        "Bithumb refuses JWTs whose timestamp is stale (expired_jwt)"
        if profile.exchange is Exchange.BITHUMB
        else "timestamps and candle boundaries will be off"
    )
    status = Status.FAIL if abs(skew.offset_s) > SKEW_FAIL_S else Status.WARN
    return Check(
        "clock",
        status,
        f"{detail}: this machine is {abs(skew.offset_s):.1f} s {behind} the exchange",
        f"{stale}; sync the clock (e.g. `timedatectl set-ntp true` or chrony)",
    )


@dataclass(frozen=True, slots=True)
class Budget:
    group: str
    remaining: int
    limit: int | None


def budget_of(headers: httpx.Headers | None, profile: ExchangeProfile, method: str, path: str) -> Budget | None:
    """The rate budget an answer reports: Upbit ``Remaining-Req`` or Bithumb ``x-ratelimit-*``."""
    if headers is None:
        return None
    upbit = parse_remaining_req(headers.get("remaining-req"))
    if upbit is not None:
        limit = profile.limit_for(upbit.group)
        return Budget(upbit.group, upbit.sec, limit.calls if limit else None)
    bucket = parse_x_ratelimit(headers)
    if bucket is None:
        return None
    group = endpoint_group(method, path)
    limit = profile.limit_for(group)
    capacity = bucket.burst_capacity if bucket.burst_capacity is not None else limit.calls if limit else None
    return Budget(group, bucket.remaining, capacity)


@dataclass(slots=True)
class Observations:
    """What the REST calls of a doctor run saw: rate budgets, Date samples and refusals."""

    budgets: list[Budget] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    dates: list[DateSample] = field(default_factory=list)
    round_trips_ms: list[float] = field(default_factory=list)
    throttled: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


async def _observe(
    obs: Observations,
    client: ExchangeClient,
    clock: Clock,
    method: str,
    path: str,
    call: Callable[[], Awaitable[T]],
    *,
    timed: bool = False,
) -> T:
    """Run one client call, recording the answer's headers (also on errors) and its timing."""
    group = endpoint_group(method, path)
    obs.calls[group] = obs.calls.get(group, 0) + 1
    client.transport.last_response_headers = None
    sent_ms, started = clock.now_ms(), time.perf_counter()
    try:
        return await call()
    except IpBlocked:
        obs.blocked.append(group)
        raise
    except RateLimited:
        obs.throttled.append(group)
        raise
    finally:
        elapsed_ms = (time.perf_counter() - started) * 1000
        received_ms = clock.now_ms()
        headers = client.last_response_headers
        found = budget_of(headers, client.profile, method, path)
        if found is not None:
            obs.budgets.append(found)
        server_s = parse_http_date(headers.get("date")) if headers is not None else None
        if timed and headers is not None:
            obs.round_trips_ms.append(elapsed_ms)
            if server_s is not None:
                obs.dates.append(DateSample(sent_ms, received_ms, server_s))


def rate_check(obs: Observations) -> Check:
    if obs.blocked:
        return Check(
            "rate limits",
            Status.FAIL,
            f"blocked by the exchange (HTTP 418) on {', '.join(sorted(set(obs.blocked)))}",
            "stop every client on this IP/account until the block ends; never retry through 429s",
        )
    if not obs.budgets:
        return Check(
            "rate limits",
            Status.WARN,
            "the exchange reported no rate budget (no Remaining-Req / x-ratelimit-* headers)",
            "calls are paced by the documented limits only",
        )
    lowest: dict[str, Budget] = {}
    for budget in obs.budgets:
        if budget.group not in lowest or budget.remaining < lowest[budget.group].remaining:
            lowest[budget.group] = budget
    parts = []
    shared = []
    for group, budget in sorted(lowest.items()):
        parts.append(f"{group} {budget.remaining}/{budget.limit if budget.limit is not None else '?'}")
        ours = obs.calls.get(group, 0)
        if budget.limit is not None and budget.remaining < budget.limit - ours:
            shared.append(f"{group} ({budget.limit - ours - budget.remaining} calls not ours)")
    detail = "lowest left per window: " + ", ".join(parts)
    if obs.throttled:
        return Check(
            "rate limits",
            Status.WARN,
            f"{detail}; answered 429 on {', '.join(sorted(set(obs.throttled)))}",
            "another client on this IP/account is using the budget; run one bot per account",
        )
    if shared:
        return Check(
            "rate limits",
            Status.WARN,
            f"{detail}; others are spending it: {', '.join(shared)}",
            "another client on this IP/account shares the budget; leave it headroom",
        )
    return Check("rate limits", Status.OK, detail)


# --- REST, WebSocket and permissions --------------------------------------------------------------


async def check_rest(
    client: ExchangeClient, market: str, clock: Clock, obs: Observations, *, probes: int = PROBES
) -> list[Check]:
    """Connectivity (market list), latency and clock offset (``probes`` ticker calls)."""
    try:
        markets = await _observe(obs, client, clock, "GET", "/v1/market/all", lambda: client.markets(details=False))
    except VenueError as exc:
        return [
            Check(
                "REST",
                Status.FAIL,
                f"{client.transport.base_url}: {type(exc).__name__}: {exc}",
                "check the network / rest_url (is the sandbox running?)",
            )
        ]
    codes = {info.market for info in markets}
    checks = []
    for index in range(probes):
        if index:
            await asyncio.sleep(PROBE_SPACING_S)
        try:
            await _observe(obs, client, clock, "GET", "/v1/ticker", lambda: client.ticker([market]), timed=True)
        except VenueError as exc:
            fix = f"pick a listed market with --market (the exchange lists {len(codes)})" if market not in codes else ""
            checks.append(Check("REST", Status.FAIL, f"ticker {market}: {type(exc).__name__}: {exc}", fix))
            break
    if obs.round_trips_ms:
        rtt = sorted(obs.round_trips_ms)
        latency = f"round trip median {statistics.median(rtt):.1f} ms, max {rtt[-1]:.1f} ms ({len(rtt)} calls)"
        detail = f"{client.transport.base_url}: {len(codes)} markets; {latency}"
        slow = statistics.median(rtt) > LATENCY_WARN_MS
        checks.insert(
            0,
            Check(
                "REST",
                Status.WARN if slow else Status.OK,
                detail,
                "a slow link: orders react late; check the network or host location" if slow else "",
            ),
        )
    checks.append(skew_check(estimate_skew(obs.dates), client.profile))
    return checks


async def check_websocket(profile: ExchangeProfile, market: str, clock: Clock, timeout_s: float) -> Check:
    """Connect to the public stream, subscribe to ``market``'s ticker and wait for the first message."""
    stream = ExchangeStream(
        profile, [Subscription("ticker", (market,))], clock, max_reconnects=0, open_timeout_s=timeout_s
    )
    started = time.perf_counter()
    connected_ms: float | None = None
    try:
        async with asyncio.timeout(timeout_s):
            async with contextlib.aclosing(cast(AsyncGenerator[StreamItem, None], stream.items())) as items:
                async for item in items:
                    if isinstance(item, FeedStateChanged):
                        if item.state == "connected":
                            connected_ms = (time.perf_counter() - started) * 1000
                            continue
                        if item.state == "disconnected":
                            return Check(
                                "WebSocket",
                                Status.FAIL,
                                f"{stream.endpoint}: {item.detail or 'closed'}",
                                "check the network / ws_url (is the sandbox running?)",
                            )
                        continue
                    first_ms = (time.perf_counter() - started) * 1000
                    return Check(
                        "WebSocket",
                        Status.OK,
                        f"{stream.endpoint}: connected in {connected_ms or 0:.1f} ms, "
                        f"first {market} message after {first_ms:.1f} ms",
                    )
    except TimeoutError:
        pass
    what = "no connection" if connected_ms is None else f"connected in {connected_ms:.1f} ms but no message"
    return Check(
        "WebSocket",
        Status.FAIL,
        f"{stream.endpoint}: {what} within {timeout_s:.0f} s",
        "check the network / ws_url, and that the market trades",
    )


def _currencies(count: int) -> str:
    return f"{count} currency" if count == 1 else f"{count} currencies"


def _auth_fix(exc: AuthError, exchange: Exchange) -> str:
    if isinstance(exc, PermissionDenied):
        return "the key lacks this permission: enable it on the exchange's API key page"
    if isinstance(exc, (InvalidAccessKey, InvalidSignature)):
        return f"the keys are wrong or revoked: re-enter them with `tradetui keys set {exchange.value}`"
    if isinstance(exc, IpNotAllowed):
        return "this machine's IP is not allowed for the key: add it on the exchange's API key page"
    if isinstance(exc, TokenExpired):
        return "the token's timestamp was refused: sync the clock"
    if isinstance(exc, NonceReused):
        return "a nonce was reused: another client with the same keys? retry once"
    return "check the key on the exchange's API key page"


async def check_permissions(client: ExchangeClient, market: str, clock: Clock, obs: Observations) -> Check:
    exchange = client.profile.exchange
    try:
        balances = await _observe(obs, client, clock, "GET", "/v1/accounts", client.accounts)
    except AuthError as exc:
        return Check("permissions", Status.FAIL, f"/v1/accounts refused: {exc}", _auth_fix(exc, exchange))
    except VenueError as exc:
        return Check("permissions", Status.FAIL, f"/v1/accounts failed: {type(exc).__name__}: {exc}")
    try:
        await _observe(obs, client, clock, "GET", "/v1/orders/chance", lambda: client.order_chance(market))
    except PermissionDenied:
        return Check(
            "permissions",
            Status.FAIL,
            f"accounts readable ({_currencies(len(balances))}), but /v1/orders/chance answered out_of_scope",
            "key lacks the trade permission: enable it on the exchange",
        )
    except AuthError as exc:
        return Check("permissions", Status.FAIL, f"/v1/orders/chance refused: {exc}", _auth_fix(exc, exchange))
    except VenueError as exc:
        return Check("permissions", Status.FAIL, f"/v1/orders/chance {market} failed: {type(exc).__name__}: {exc}")
    return Check(
        "permissions",
        Status.OK,
        f"private calls work: accounts ({_currencies(len(balances))}) and orders/chance {market} (trade permission)",
    )


# --- database -------------------------------------------------------------------------------------


def check_database(path: Path) -> list[Check]:
    """Read-only look at the SQLite file: mode, WAL, schema version. Never creates or upgrades it."""
    if not path.exists():
        parent = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
        if parent is None or not os.access(parent, os.W_OK | os.X_OK):
            return [
                Check(
                    "database",
                    Status.FAIL,
                    f"{path} does not exist and {parent or path.parent} is not writable",
                    "pick a writable place with --data-dir or [storage] database",
                )
            ]
        return [Check("database", Status.OK, f"{path} not created yet; the first run creates it (0600, WAL)")]
    if not path.is_file():
        return [Check("database", Status.FAIL, f"{path} is not a regular file", "point [storage] database at a file")]
    checks = []
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        checks.append(
            Check(
                "db file",
                Status.WARN,
                f"{path} has mode {mode:04o}: others can read your orders and balances",
                f"chmod {FILE_MODE:o} {path} (tradetui also tightens it when it opens the file)",
            )
        )
    else:
        checks.append(Check("db file", Status.OK, f"{path} mode {mode:04o}"))
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=2.0)
    except sqlite3.Error as exc:
        return [*checks, Check("database", Status.FAIL, f"cannot open {path}: {exc}", "check its permissions")]
    try:
        (journal,) = conn.execute("PRAGMA journal_mode").fetchone()
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        meta = table_of(SchemaMetaRow).name
        version: int | None = None
        if meta in tables:
            row = conn.execute(f'SELECT version FROM "{meta}" WHERE id = 1').fetchone()
            version = int(row[0]) if row is not None else None
    except sqlite3.Error as exc:
        return [
            *checks,
            Check("database", Status.FAIL, f"{path} is unreadable: {exc}", "restore a backup or move it aside"),
        ]
    finally:
        conn.close()
    ours = tables & {table_of(row).name for row in ALL_ROWS}
    if version is None and ours:
        checks.append(
            Check(
                "database",
                Status.FAIL,
                f"{path} has tradetui tables but no schema version",
                "move it aside; tradetui refuses to guess its version",
            )
        )
    elif version is None:
        checks.append(Check("database", Status.OK, f"{path} is empty; the first run creates schema {SCHEMA_VERSION}"))
    elif version > SCHEMA_VERSION:
        checks.append(
            Check(
                "database",
                Status.FAIL,
                f"schema version {version} is newer than this tradetui ({SCHEMA_VERSION})",
                "upgrade tradetui",
            )
        )
    elif version < SCHEMA_VERSION:
        checks.append(
            Check(
                "database",
                Status.WARN,
                f"schema version {version}; the next run upgrades it to {SCHEMA_VERSION}",
                f"back up {path} first",
            )
        )
    else:
        checks.append(Check("database", Status.OK, f"opens; schema version {version} (current)"))
    if str(journal).lower() == "wal":
        checks.append(Check("db journal", Status.OK, "WAL"))
    else:
        checks.append(
            Check(
                "db journal",
                Status.WARN,
                f"journal mode {journal}, not WAL",
                "tradetui switches it to WAL when it opens the file; no action needed unless this persists",
            )
        )
    return checks


# --- the whole run -------------------------------------------------------------------------------


def _uses_exchange(config: AppConfig) -> bool:
    return config.feed.source == "exchange" or config.mode in (Mode.PAPER, Mode.LIVE) or config.exchange_api.is_local


def _market_for(config: AppConfig, override: str | None) -> str:
    if override:
        return override
    if config.feed.source == "exchange" and config.feed.markets:
        return config.feed.markets[0]
    return "KRW-BTC"


async def run_checks(
    config: AppConfig,
    *,
    database: Path,
    exchange: Exchange | None = None,
    market: str | None = None,
    clock: Clock | None = None,
    http: httpx.AsyncClient | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    check_ws: bool = True,
    probes: int = PROBES,
) -> list[Check]:
    """Every check after the config one, in order. ``http``: inject a transport (tests)."""
    wall: Clock = clock or LiveClock()
    chosen = exchange or config.exchange
    key_check, keys = check_keys(config, chosen)
    checks = [key_check]
    if exchange is None and not _uses_exchange(config):
        skipped = "skipped: this config does not use an exchange"
        fix = "pass --exchange upbit (or bithumb) to check it anyway"
        checks += [Check(name, Status.SKIP, skipped, fix) for name in ("REST", "WebSocket", "permissions")]
        return checks + check_database(database)
    api = config.exchange_api
    profile = profile_for(chosen)
    if api.rest_url:
        profile = profile.with_base_url(api.rest_url, api.ws_url)
    code = _market_for(config, market)
    obs = Observations()
    timeout = httpx.Timeout(timeout_s)
    async with ExchangeClient(
        profile,
        access_key=keys.access_key if keys else None,
        secret_key=keys.secret_key if keys else None,
        http=http,
        timeout=timeout,
        max_get_attempts=1,
    ) as client:
        ws_task = asyncio.create_task(check_websocket(profile, code, wall, timeout_s)) if check_ws else None
        try:
            rest = await check_rest(client, code, wall, obs, probes=probes)
            reached = not any(c.name == "REST" and c.status is Status.FAIL for c in rest)
            if keys is None:
                permissions = Check(
                    "permissions", Status.SKIP, "no keys: private calls not tried", "add keys to check them"
                )
            elif not reached:
                permissions = Check("permissions", Status.SKIP, "the exchange is unreachable")
            else:
                permissions = await check_permissions(client, code, wall, obs)
            ws = await ws_task if ws_task is not None else Check("WebSocket", Status.SKIP, "not checked")
        finally:
            if ws_task is not None and not ws_task.done():
                ws_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ws_task
    checks += [*rest, ws, permissions, rate_check(obs)]
    return checks + check_database(database)


# --- command line ---------------------------------------------------------------------------------


def add_doctor_parser(subparsers: argparse._SubParsersAction[Any]) -> argparse.ArgumentParser:
    """Add ``doctor`` to the CLI's subparsers; returns it."""
    doctor: argparse.ArgumentParser = subparsers.add_parser(
        "doctor",
        help="check config, keys and permissions, clock, connectivity, rate limits and the database",
        description=(
            "One line per check: ✓ fine, ! look at it, ✗ will not work, – skipped. Exit status 1 when any check failed."
        ),
    )
    doctor.add_argument("--config", dest="doctor_config", metavar="FILE", help="TOML config (default: the demo)")
    doctor.add_argument(
        "--exchange",
        dest="doctor_exchange",
        choices=("upbit", "bithumb"),
        help="check this exchange (default: the config's; needed for configs that use none)",
    )
    doctor.add_argument(
        "--market", dest="doctor_market", metavar="CODE", help="market to probe (default: the config's first)"
    )
    doctor.add_argument("--data-dir", dest="doctor_data_dir", metavar="DIR", help="where the database lives")
    doctor.add_argument(
        "--timeout", dest="doctor_timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S", help="per network check"
    )
    return doctor


def run_doctor_command(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Print one line per check; 0 when nothing failed, 1 otherwise."""
    stream = out or sys.stdout
    config_path = getattr(args, "doctor_config", None) or getattr(args, "config", None)
    data_dir = getattr(args, "doctor_data_dir", None) or getattr(args, "data_dir", None)
    first, config = check_config(config_path)
    stream.write(first.line() + "\n")
    if config is None:
        return 1
    exchange = Exchange(args.doctor_exchange) if getattr(args, "doctor_exchange", None) else None
    timeout_s = float(getattr(args, "doctor_timeout", DEFAULT_TIMEOUT_S))
    if not timeout_s > 0:
        raise ConfigError("--timeout must be greater than 0")
    checks = asyncio.run(
        run_checks(
            config,
            database=database_path(config, data_dir),
            exchange=exchange,
            market=getattr(args, "doctor_market", None),
            timeout_s=timeout_s,
        )
    )
    for check in checks:
        stream.write(check.line() + "\n")
    stream.flush()
    return exit_code([first, *checks])
