"""`tradetui sandbox`: run the local fake exchange (REST + WebSocket) on 127.0.0.1.

    tradetui sandbox [--exchange upbit|bithumb] [--port 8765] [--data FILE | --synthetic] [--seed N]
                     [--speed X] [--faults SPEC] [--cash KRW] [--access-key K] [--secret-key S]
                     [--markets KRW-BTC,KRW-ETH] [--request-timeout S]

It prints one line on stdout with the REST and WebSocket URLs and the keys to use, logs every
request at debug level, and stops cleanly (exit 0) on Ctrl-C / SIGTERM.

The command line and the server are one module: the ``--request-timeout`` default is the HTTP
guard's (:mod:`tradetui.http_guard`, on aiohttp), so ``--help`` would load aiohttp either way.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import signal
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

from tradetui.core.clock import LiveClock, ScaledClock
from tradetui.credentials import SANDBOX_ACCESS_KEY, SANDBOX_SECRET_KEY
from tradetui.data.csv_import import parse_candle_file_name
from tradetui.errors import ConfigError
from tradetui.http_guard import DEFAULT_REQUEST_TIMEOUT_S
from tradetui.sandbox import DEFAULT_MARKETS, FaultSpec, MarketSpec, SandboxConfig, SandboxServer, SandboxState

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
DEFAULT_CASH_KRW = "10000000"
_CODE = re.compile(r"^[A-Z]{2,5}-[A-Z0-9]{1,15}$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "A local fake exchange speaking the Upbit or Bithumb API 2.0 wire protocol on 127.0.0.1, "
        f"for rehearsals. Demo keys: {SANDBOX_ACCESS_KEY} / {SANDBOX_SECRET_KEY}."
    )
    parser.add_argument(
        "--exchange", dest="sandbox_exchange", choices=("upbit", "bithumb"), default="upbit", help="wire profile"
    )
    parser.add_argument(
        "--port",
        dest="sandbox_port",
        type=int,
        default=DEFAULT_PORT,
        help=f"0 = any free port (default {DEFAULT_PORT})",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", dest="sandbox_data", metavar="FILE", help="replay this candle CSV(.gz) (one market)")
    source.add_argument(
        "--synthetic", dest="sandbox_synthetic", action="store_true", help="synthetic prices (the default)"
    )
    parser.add_argument("--seed", dest="sandbox_seed", type=int, default=0, metavar="N", help="synthetic data seed")
    parser.add_argument(
        "--speed", dest="sandbox_speed", type=float, default=1.0, metavar="X", help="candles per second (default 1)"
    )
    parser.add_argument(
        "--faults", dest="sandbox_faults", metavar="SPEC", help="e.g. http_429=0.05,ws_drop=30,seed=1 or 'all'"
    )
    parser.add_argument(
        "--cash", dest="sandbox_cash", default=DEFAULT_CASH_KRW, metavar="KRW", help="starting KRW of the account"
    )
    parser.add_argument("--access-key", dest="sandbox_access_key", default=SANDBOX_ACCESS_KEY, metavar="KEY")
    parser.add_argument("--secret-key", dest="sandbox_secret_key", default=SANDBOX_SECRET_KEY, metavar="KEY")
    parser.add_argument(
        "--markets",
        dest="sandbox_markets",
        metavar="CODES",
        help="comma-separated market codes (default KRW-BTC,KRW-ETH,KRW-XRP; with --data: the file's market)",
    )
    parser.add_argument(
        "--request-timeout",
        dest="sandbox_request_timeout",
        type=float,
        default=DEFAULT_REQUEST_TIMEOUT_S,
        metavar="S",
        help=f"seconds a client has to send a request's head, and its body (default {DEFAULT_REQUEST_TIMEOUT_S:g})",
    )


def _markets(args: argparse.Namespace) -> list[MarketSpec]:
    codes: list[str] = []
    if args.sandbox_markets:
        codes = [code.strip() for code in str(args.sandbox_markets).split(",") if code.strip()]
        bad = [code for code in codes if not _CODE.match(code)]
        if bad or not codes:
            raise ConfigError(f"--markets: {', '.join(bad) or 'nothing'} is not a list of codes like KRW-BTC,KRW-ETH")
    known = {spec.code: spec for spec in DEFAULT_MARKETS}
    if args.sandbox_data:
        path = Path(args.sandbox_data)
        if not path.is_file():
            raise ConfigError(f"--data: {path} does not exist")
        info = parse_candle_file_name(path.name)
        code = codes[0] if codes else (info.market if info and info.market else None)
        if code is None:
            raise ConfigError(f"--data: cannot tell the market from {path.name}; pass --markets KRW-BTC")
        base = known.get(code) or MarketSpec(code, code, code)
        return [MarketSpec(code, base.korean_name, base.english_name, seed=args.sandbox_seed, candles_csv=str(path))]
    specs = []
    for index, code in enumerate(codes or list(known)):
        base = known.get(code) or MarketSpec(code, code, code, start_price=10_000.0)
        specs.append(
            MarketSpec(
                code,
                base.korean_name,
                base.english_name,
                seed=args.sandbox_seed * 1000 + base.seed + index,
                start_price=base.start_price,
            )
        )
    return specs


def _build_state(args: argparse.Namespace) -> SandboxState:
    try:
        cash = Decimal(str(args.sandbox_cash))
    except InvalidOperation:
        raise ConfigError(f"--cash: {args.sandbox_cash!r} is not an amount of KRW") from None
    if not cash.is_finite() or cash < 0:
        raise ConfigError("--cash must be 0 or more KRW")
    if not args.sandbox_speed > 0:
        raise ConfigError("--speed must be greater than 0")
    if not 0 <= args.sandbox_port <= 65535:
        raise ConfigError("--port must be between 0 and 65535")
    if not 0 < args.sandbox_request_timeout <= 3600:
        raise ConfigError("--request-timeout must be between 0 and 3600 seconds, e.g. 10")
    faults = FaultSpec.parse(args.sandbox_faults)
    # market time runs --speed candles (minutes) per second; rate windows and token freshness
    # stay in real time, as clients measure them
    config = SandboxConfig(
        profile=args.sandbox_exchange,
        speed=1 / 60,
        faults=faults,
        request_timeout_s=args.sandbox_request_timeout,
    )
    try:
        state = SandboxState(
            config,
            clock=ScaledClock(60 * args.sandbox_speed),
            wall_clock=LiveClock(),
            markets=_markets(args),
            seed=args.sandbox_seed,
        )
    except (ValueError, OSError) as exc:
        raise ConfigError(f"sandbox: {exc}") from None
    state.add_account(args.sandbox_access_key, args.sandbox_secret_key, {"KRW": cash})
    return state


def _banner(server: SandboxServer, args: argparse.Namespace) -> str:
    prefix = f"TRADETUI_{str(args.sandbox_exchange).upper()}"
    return (
        f"sandbox {args.sandbox_exchange} ready: REST {server.rest_url} WS {server.ws_url} "
        f"private WS {server.ws_private_url} | {prefix}_ACCESS_KEY={args.sandbox_access_key} "
        f"{prefix}_SECRET_KEY={args.sandbox_secret_key} | Ctrl-C stops"
    )


async def _serve(args: argparse.Namespace) -> int:
    state = _build_state(args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        server = SandboxServer(state, "127.0.0.1", args.sandbox_port)
        try:
            await server.start()
        except OSError as exc:
            raise ConfigError(f"sandbox: cannot listen on 127.0.0.1:{args.sandbox_port} ({exc})") from None
        try:
            sys.stdout.write(_banner(server, args) + "\n")
            sys.stdout.flush()
            log.info(
                "sandbox %s serving on %s (faults: %s)", args.sandbox_exchange, server.rest_url, state.config.faults
            )
            await stop.wait()
            log.info("sandbox stopping")
        finally:
            async with asyncio.timeout(15):
                await server.stop()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signum)
    return 0


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; 0 on a clean stop. Bad arguments raise :class:`ConfigError`."""
    return asyncio.run(_serve(args))
