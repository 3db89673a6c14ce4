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

The checks live in sibling modules: :mod:`~tradetui.commands.doctor_local` (config, keys,
database), :mod:`~tradetui.commands.doctor_network` (REST, WebSocket, permissions) and
:mod:`~tradetui.commands.doctor_observations` (clock offset and rate limits, from the REST
answers), each returning :class:`~tradetui.commands.doctor_check.Check` rows; this module runs them
in order and is the command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path
from typing import Any, TextIO

import httpx

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

DEFAULT_TIMEOUT_S = 10.0


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
    access_key = None  # a live account's session database carries a tag of its key
    if config.mode is Mode.LIVE and not config.is_rehearsal:
        from tradetui.credentials import load_keys

        keys = load_keys(config.exchange)
        access_key = keys.access_key if keys is not None else None
    checks = asyncio.run(
        run_checks(
            config,
            database=database_path(config, data_dir, access_key=access_key),
            exchange=exchange,
            market=getattr(args, "doctor_market", None),
            timeout_s=timeout_s,
        )
    )
    for check in checks:
        stream.write(check.line() + "\n")
    stream.flush()
    return exit_code([first, *checks])
