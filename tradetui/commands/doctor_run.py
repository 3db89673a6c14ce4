"""`tradetui doctor`: every check (:mod:`tradetui.commands.doctor`) in order, on the config and
data dir of the command line; one line each."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path
from typing import TextIO

import httpx

from tradetui.commands.doctor import DEFAULT_TIMEOUT_S
from tradetui.commands.doctor_check import Check, Status, exit_code
from tradetui.commands.doctor_local import check_config, check_database, check_keys
from tradetui.commands.doctor_network import PROBES, check_permissions, check_rest, check_websocket
from tradetui.commands.doctor_observations import Observations, rate_check
from tradetui.config import AppConfig, Mode, database_path
from tradetui.core.clock import Clock, LiveClock
from tradetui.core.market import Exchange
from tradetui.errors import ConfigError
from tradetui.exchanges.profiles import profile_for
from tradetui.exchanges.rest import ExchangeClient


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


def run_doctor(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Print one line per check on ``out`` (default stdout); 0 when nothing failed, 1 otherwise."""
    stream = out or sys.stdout
    first, config = check_config(args.config)
    stream.write(first.line() + "\n")
    if config is None:
        return 1
    exchange = Exchange(args.doctor_exchange) if args.doctor_exchange else None
    timeout_s = float(args.doctor_timeout)
    if not timeout_s > 0:
        raise ConfigError("--timeout must be greater than 0")
    access_key = None  # a live account's session database carries a tag of its key
    if config.mode is Mode.LIVE and not config.is_rehearsal:
        from tradetui.credentials import load_keys

        keys = load_keys(config.exchange)
        access_key = keys.access_key if keys is not None else None
    checks = asyncio.run(
        run_checks(
            config,
            database=database_path(config, args.data_dir, access_key=access_key),
            exchange=exchange,
            market=args.doctor_market,
            timeout_s=timeout_s,
        )
    )
    for check in checks:
        stream.write(check.line() + "\n")
    stream.flush()
    return exit_code([first, *checks])
