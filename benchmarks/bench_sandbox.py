"""Orders per second the sandbox exchange sustains with correct state.

    python benchmarks/bench_sandbox.py [--runs 3] [--orders 2000] [--clients 8] [--profile upbit]

A sandbox **server process** (this file with ``--serve``: ``SandboxState`` + the aiohttp app on
127.0.0.1, exchange rate limits switched off, since Upbit allows 12 orders/s per account and the
point here is the server's own capacity) holds ``--clients`` accounts with KRW and BTC. This process
runs ``--clients`` concurrent workers, each with its own httpx connection and account, signing
every request with our JWT code (query hash included) and placing a non-marketable limit order
(bid below / ask above the market, alternating) and cancelling it, until ``--orders`` orders were
placed in all. Orders/s = placed orders / wall time of the run (each also cancelled: 2 requests).

Checked afterwards, from the server's own state (dumped on SIGTERM): every order placed reached
the book once and ended ``cancel``; no order is left open; every account holds exactly the KRW and
BTC it started with and nothing stays locked (no fills, so conservation is exact). Target ≥ 500/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

START_KRW = Decimal("100000000")
START_BTC = Decimal("10")


def _keys(index: int) -> tuple[str, str]:
    return f"bench-access-{index:03d}", f"bench-secret-{index:03d}-" + "x" * 32


# --- server process -------------------------------------------------------------------------------


async def _serve(profile: str, clients: int) -> None:
    from tradetui.core.clock import LiveClock, ScaledClock
    from tradetui.sandbox.app import serve
    from tradetui.sandbox.config import SandboxConfig
    from tradetui.sandbox.state import SandboxState

    state = SandboxState(
        SandboxConfig(profile=profile, speed=1 / 60, history_minutes=60, rate_limits_enabled=False),
        clock=ScaledClock(60),
        wall_clock=LiveClock(),
    )
    for index in range(clients):
        access, secret = _keys(index)
        state.add_account(access, secret, {"KRW": START_KRW, "BTC": START_BTC})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    runner, port = await serve(state)
    print(json.dumps({"port": port}), flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    state.advance()
    orders = list(state.engine.orders.values())
    summary = {
        "orders": len(orders),
        "identifiers": len({o.identifier for o in orders}),
        "states": Counter(str(o.state) for o in orders),
        "accounts": {
            key: {cur: [str(h.balance), str(h.locked)] for cur, h in account.holdings.items()}
            for key, account in state.accounts.items()
        },
    }
    print(json.dumps(summary), flush=True)


# --- load generator -------------------------------------------------------------------------------


async def _run(port: int, args: argparse.Namespace) -> tuple[float, int, int]:
    """Concurrent workers, each one account: sign (real JWT with query hash) and place a resting
    limit order, then cancel it. Plain httpx connections: our ``ExchangeClient`` would (rightly)
    hold every account to the exchange's 12 orders/s, which measures the client, not the server."""
    import httpx

    from tradetui.exchanges.auth import make_token
    from tradetui.exchanges.profiles import profile_for

    profile = profile_for(args.profile)
    base_url = f"http://127.0.0.1:{port}"
    id_field = profile.client_id_field
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        book = (await http.get("/v1/orderbook", params={"markets": "KRW-BTC"})).json()[0]["orderbook_units"]
    step = Decimal(10_000)  # a multiple of every KRW-BTC tick at these prices
    low = (Decimal(str(book[-1]["bid_price"])) * Decimal("0.8")) // step * step
    high = (Decimal(str(book[-1]["ask_price"])) * Decimal("1.2")) // step * step
    left = args.orders
    placed = cancelled = 0

    async def worker(index: int) -> None:
        nonlocal left, placed, cancelled
        access, secret = _keys(index)
        n = 0
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            while left > 0:
                left -= 1
                n += 1
                side = "bid" if n % 2 else "ask"
                params = [
                    ("market", "KRW-BTC"),
                    ("side", side),
                    ("volume", "0.001"),
                    ("price", str(low if side == "bid" else high)),
                    ("ord_type", "limit"),
                    (id_field, f"b{index}-{n}-{time.monotonic_ns() % 10**9}"),
                ]
                token = make_token(profile, access, secret, params=params)
                answer = await http.post(
                    "/v1/orders",
                    content=json.dumps(dict(params)),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=utf-8"},
                )
                if answer.status_code != 201:
                    raise RuntimeError(f"place answered {answer.status_code}: {answer.text[:200]}")
                placed += 1
                body = answer.json()
                key = [("uuid", str(body.get("uuid") or body.get("order_id")))]
                token = make_token(profile, access, secret, params=key)
                answer = await http.delete("/v1/order", params=key, headers={"Authorization": f"Bearer {token}"})
                if answer.status_code != 200:
                    raise RuntimeError(f"cancel answered {answer.status_code}: {answer.text[:200]}")
                cancelled += 1

    started = time.perf_counter()
    async with asyncio.timeout(300):
        await asyncio.gather(*(worker(i) for i in range(args.clients)))
    return placed / (time.perf_counter() - started), placed, cancelled


def _check(summary: dict[str, Any], placed: int, clients: int) -> list[str]:
    problems = []
    if summary["orders"] != placed or summary["identifiers"] != placed:
        problems.append(
            f"orders on the server {summary['orders']} (unique ids {summary['identifiers']}) != placed {placed}"
        )
    if set(summary["states"]) - {"cancel"}:
        problems.append(f"order states {summary['states']} (all should be cancel)")
    for index in range(clients):
        holdings = summary["accounts"][_keys(index)[0]]
        for currency, start in (("KRW", START_KRW), ("BTC", START_BTC)):
            balance, locked = (Decimal(x) for x in holdings[currency])
            if balance != start or locked != 0:
                problems.append(f"account {index} {currency}: {balance} free + {locked} locked != {start}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--profile", choices=("upbit", "bithumb"), default="upbit")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (1 <= args.runs <= 20 and 1 <= args.orders <= 100_000 and 1 <= args.clients <= 64):
        parser.error("runs 1..20, orders 1..100000, clients 1..64")
    if args.serve:
        asyncio.run(_serve(args.profile, args.clients))
        return 0
    rates = []
    all_ok = True
    for run in range(args.runs):
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--profile", args.profile, "--clients", str(args.clients)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            port = json.loads(server.stdout.readline())["port"]
            rate, placed, cancelled = asyncio.run(_run(port, args))
            server.send_signal(signal.SIGTERM)
            summary = json.loads(server.stdout.readline())
            server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                server.wait(timeout=10)
            if server.stdout is not None:
                server.stdout.close()
        problems = _check(summary, placed, args.clients)
        all_ok = all_ok and not problems
        rates.append(rate)
        verdict = "state OK" if not problems else "STATE WRONG: " + "; ".join(problems[:3])
        print(
            f"run {run + 1}: {placed} placed + {cancelled} cancelled, {rate:.0f} orders/s, {verdict}", file=sys.stderr
        )
    print(
        f"\nbench_sandbox ({args.profile}): {args.clients} concurrent signed clients (one process, plain httpx) "
        f"vs one sandbox server process; {args.orders} limit orders placed and cancelled per run; "
        "exchange rate limits off"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, Python {sys.version.split()[0]}")
    print(f"{'metric':<40}{'median':>10}  [min – max] over {args.runs} runs")
    print(
        f"{'orders placed / s (each also cancelled)':<40}{statistics.median(rates):>10.0f}"
        f"  [{min(rates):.0f} – {max(rates):.0f}]"
    )
    print(f"{'requests / s (place + cancel)':<40}{2 * statistics.median(rates):>10.0f}")
    print(f"state checks (counts, states, KRW+BTC conservation, nothing locked): {'all OK' if all_ok else 'FAILED'}")
    print(f"target ≥ 500 orders/s: {'met' if statistics.median(rates) >= 500 else 'NOT met'}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
