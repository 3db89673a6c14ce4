"""Trade message on the wire → order request written to a socket, paper mode, 1,000 msg/s over 50 markets.

    python benchmarks/bench_latency.py [--runs 3] [--seconds 5] [--rate 1000] [--markets 50]
                                       [--triggers 5] [--journal-dir DIR]

What runs where:
* a **feed process** (purpose-built, not the sandbox: the sandbox cannot pace 1,000 trades/s) serves a
  loopback WebSocket that, after our subscription, sends Upbit DEFAULT-format ``trade`` messages as
  binary frames at ``--rate``/s round-robin over ``--markets`` markets, each stamped with
  ``time.monotonic_ns()`` at send (in ``sequential_id``; CLOCK_MONOTONIC is shared by processes).
  The same process runs a TCP sink that reads and discards order requests.
* the **measured process** (this one) runs our real :class:`~tradetui.exchanges.ws.ExchangeStream`
  (websockets client, JSON decode, ``parse_stream_message`` → ``TradeTick``) and per trade what the
  paper path does with it: ``SimulatedVenue.on_trade`` (limit-crossing check against a resting
  paper order in every market). On a trade of one of ``--triggers`` trigger markets (a stand-in
  for a strategy decision) it reacts: ``OrderManager.limit`` + ``OrderManager.submit`` → the intent
  durably written to the SQLite order journal (``SqliteOrderJournal``: WAL, synchronous=FULL, one
  transaction per order) → a venue whose ``submit`` signs the order the way the REST transport does
  (``order_params`` + ``make_token`` with query_hash) and writes the HTTP/1.1 POST to the socket.

Measured: trigger latency = request written (after ``sendall``) − message sent; per-trade latency =
``on_trade`` done − message sent, for every message. Both include loopback and websockets framing.
Not included (said plainly): the engine's strategy/risk step — strategies decide on **closed bars**
only, so no trade message makes the live engine send an order; ``Engine.poll()`` is not run here;
and httpx's own request machinery (the bytes are written with a plain socket).
CPU = this process's CPU time / wall time over the measured window. Target: trigger p99 ≤ 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

WARMUP_S = 1.0


# --- feed process ---------------------------------------------------------------------------------


def _codes(markets: int) -> list[str]:
    return [f"KRW-C{index:02d}" for index in range(markets)]


def _feed_main(rate: int, markets: int, ports: Any, ready: Any) -> None:
    asyncio.run(_feed(rate, markets, ports, ready))


async def _feed(rate: int, markets: int, ports: Any, ready: Any) -> None:
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    codes = _codes(markets)

    async def sink(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(65536):
            pass
        writer.close()

    async def stream(conn: ServerConnection) -> None:
        await conn.recv()  # the subscription
        interval_ns = 1_000_000_000 // rate
        next_ns = time.monotonic_ns()
        seq = 0
        while True:
            now = time.monotonic_ns()
            if now < next_ns:
                await asyncio.sleep((next_ns - now) / 1e9)
                continue
            code = codes[seq % len(codes)]
            price = 10_000 + (seq % 7)
            message = {
                "type": "trade",
                "code": code,
                "timestamp": time.time_ns() // 1_000_000,
                "trade_timestamp": time.time_ns() // 1_000_000,
                "trade_price": price,
                "trade_volume": 0.01,
                "ask_bid": "BID" if seq % 2 else "ASK",
                "prev_closing_price": 10_000,
                "change": "EVEN",
                "change_price": 0,
                "trade_date": "2025-01-01",
                "trade_time": "00:00:00",
                "sequential_id": time.monotonic_ns(),
                "stream_type": "REALTIME",
            }
            try:
                await conn.send(json.dumps(message).encode())  # binary frame, as Upbit sends
            except ConnectionClosed:
                return
            seq += 1
            next_ns += interval_ns

    tcp = await asyncio.start_server(sink, "127.0.0.1", 0)
    async with serve(stream, "127.0.0.1", 0, compression=None) as ws:
        ws_port = next(iter(ws.sockets)).getsockname()[1]
        tcp_port = tcp.sockets[0].getsockname()[1]
        ports.put((ws_port, tcp_port))
        ready.set()
        await asyncio.Future()  # until terminated


# --- measured process -----------------------------------------------------------------------------


class SocketVenue:
    """``submit`` signs the order like the REST transport and writes the HTTP request to a socket."""

    def __init__(self, port: int) -> None:
        from tradetui.exchanges.profiles import UPBIT
        from tradetui.exchanges.rest import ExchangeClient

        self.profile = UPBIT.with_base_url(f"http://127.0.0.1:{port}")
        self.client = ExchangeClient(self.profile)
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.written_ns: dict[str, int] = {}

    def submit(self, order: Any) -> None:
        from tradetui.exchanges.auth import bearer, make_token

        params = self.client.order_params(order)
        token = make_token(self.profile, "bench-access-key", "bench-secret-key-" + "x" * 40, params=params)
        body = json.dumps(dict(params), separators=(",", ":")).encode()
        head = (
            f"POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n"
            f"Content-Type: application/json; charset=utf-8\r\nAuthorization: {bearer(token)}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.sock.sendall(head + body)
        self.written_ns[order.identifier] = time.monotonic_ns()

    def cancel(self, identifier: str) -> None:
        return None

    def close(self) -> None:
        self.sock.close()


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(args: argparse.Namespace, ws_port: int, tcp_port: int, journal_path: Path) -> dict[str, float]:
    from tradetui.core.clock import LiveClock
    from tradetui.core.market import TradeTick
    from tradetui.core.rules import UPBIT_RULES
    from tradetui.core.types import Side
    from tradetui.exchanges.profiles import UPBIT
    from tradetui.exchanges.ws import ExchangeStream, Subscription
    from tradetui.execution.order_manager import OrderManager
    from tradetui.storage.journal import SqliteOrderJournal
    from tradetui.venues.simulated import SimulatedVenue

    codes = _codes(args.markets)
    triggers = set(codes[: args.triggers])
    clock = LiveClock()
    paper = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal("1000000000"))
    resting = OrderManager(paper, _NullJournal(), clock, id_prefix="rest")
    for code in codes:  # a resting bid below the market in every market: on_trade has work to check
        resting.submit(resting.limit(code, Side.BID, Decimal("5000"), Decimal("2"), purpose="bench", strategy="bench"))
    paper.drain()
    venue = SocketVenue(tcp_port)
    journal = SqliteOrderJournal(journal_path, mode="paper", durability=args.durability)
    om = OrderManager(cast(Any, venue), journal, clock, id_prefix="bench")
    profile = UPBIT.with_base_url("http://127.0.0.1:1", f"ws://127.0.0.1:{ws_port}")
    stream = ExchangeStream(profile, [Subscription("trade", tuple(codes))], clock, max_reconnects=0)

    per_trade_us: list[float] = []
    trigger_us: list[float] = []
    started = time.monotonic()
    measure_from = started + WARMUP_S
    stop_at = measure_from + args.seconds
    cpu0 = wall0 = 0.0
    measuring = False
    items = stream.items()
    try:
        async for item in items:
            if not isinstance(item, TradeTick):
                continue
            paper.on_trade(item.market, item.price)
            done_ns = time.monotonic_ns()
            now = time.monotonic()
            if not measuring and now >= measure_from:
                measuring, cpu0, wall0 = True, time.process_time(), now
            if item.market in triggers:
                order = om.limit(
                    item.market, Side.BID, Decimal("9000"), Decimal("1"), purpose="bench", strategy="bench"
                )
                om.submit(order)
                if measuring:
                    trigger_us.append((venue.written_ns[order.identifier] - item.sequential_id) / 1000)
            if measuring:
                per_trade_us.append((done_ns - item.sequential_id) / 1000)
            if now >= stop_at:
                break
    finally:
        await cast(Any, items).aclose()
        cpu = time.process_time() - cpu0
        wall = time.monotonic() - wall0
        venue.close()
        journal.close()
    return {
        "messages": len(per_trade_us),
        "msg_per_s": len(per_trade_us) / wall,
        "trade_p50_us": _pct(per_trade_us, 0.50),
        "trade_p99_us": _pct(per_trade_us, 0.99),
        "orders": len(trigger_us),
        "order_p50_us": _pct(trigger_us, 0.50),
        "order_p99_us": _pct(trigger_us, 0.99),
        "order_max_us": max(trigger_us),
        "cpu_pct": 100 * cpu / wall,
    }


class _NullJournal:
    def record(self, order: Any) -> None:
        return None

    def record_fill(self, fill: Any) -> None:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--markets", type=int, default=50)
    parser.add_argument("--triggers", type=int, default=5, help="markets whose trades trigger an order")
    parser.add_argument("--journal-dir", help="where the SQLite journal lives (default: a temp dir)")
    parser.add_argument(
        "--durability",
        choices=("process", "power"),
        default="process",
        help="intent-log commits: process (paper default) or power (fsync per order, live default)",
    )
    args = parser.parse_args(argv)
    if not (1 <= args.runs <= 20 and 0 < args.seconds <= 120 and 1 <= args.triggers <= args.markets <= 500):
        parser.error("runs 1..20, seconds 0..120, 1 <= triggers <= markets <= 500")
    ctx = mp.get_context("spawn")
    ports: Any = ctx.Queue()
    ready = ctx.Event()
    feed = ctx.Process(target=_feed_main, args=(args.rate, args.markets, ports, ready), daemon=True)
    feed.start()
    results = []
    try:
        if not ready.wait(30):
            raise RuntimeError("the feed process did not start")
        ws_port, tcp_port = ports.get(timeout=5)
        with tempfile.TemporaryDirectory(dir=args.journal_dir) as tmp:
            for run in range(args.runs):
                result = asyncio.run(_measure(args, ws_port, tcp_port, Path(tmp) / f"journal-{run}.db"))
                results.append(result)
                print(
                    f"run {run + 1}: {result['messages']:.0f} msgs ({result['msg_per_s']:.0f}/s), "
                    f"orders {result['orders']:.0f}, order p50 {result['order_p50_us']:.0f} µs "
                    f"p99 {result['order_p99_us']:.0f} µs, cpu {result['cpu_pct']:.1f} %",
                    file=sys.stderr,
                )
    finally:
        feed.terminate()
        feed.join(10)
        if feed.is_alive():
            feed.kill()
            feed.join(5)
    _table(results, args)
    return 0


def _table(results: list[dict[str, float]], args: argparse.Namespace) -> None:
    def cell(key: str, scale: float = 1.0, digits: int = 2) -> str:
        values = [r[key] / scale for r in results]
        return f"{statistics.median(values):>10.{digits}f}  [{min(values):.{digits}f} – {max(values):.{digits}f}]"

    load = os.getloadavg()[0]
    print(
        f"\nbench_latency: {args.rate} msg/s over {args.markets} markets, {args.triggers} trigger markets, "
        f"{args.runs} runs × {args.seconds:g} s (medians, [min – max] across runs = run-to-run noise)"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f}, Python {sys.version.split()[0]}")
    kept = "fsync per order" if args.durability == "power" else "survives a kill of the process"
    print(f"intent log durability: {args.durability} ({kept})")
    print(f"{'metric':<48}{'median':>10}  [min – max]")
    rows = [
        ("messages received / s", "msg_per_s", 1.0, 0),
        ("per trade: sent → parsed + paper on_trade, p50 ms", "trade_p50_us", 1000.0, 3),
        ("per trade: sent → parsed + paper on_trade, p99 ms", "trade_p99_us", 1000.0, 3),
        ("orders triggered per run", "orders", 1.0, 0),
        ("trigger: sent → journal + request written, p50 ms", "order_p50_us", 1000.0, 3),
        ("trigger: sent → journal + request written, p99 ms", "order_p99_us", 1000.0, 3),
        ("trigger: max ms", "order_max_us", 1000.0, 3),
        ("CPU of the measured process, % of one core", "cpu_pct", 1.0, 1),
    ]
    for label, key, scale, digits in rows:
        print(f"{label:<48}{cell(key, scale, digits)}")
    p99_ms = statistics.median(r["order_p99_us"] for r in results) / 1000
    print(f"target trigger p99 ≤ 5 ms: {'met' if p99_ms <= 5 else 'NOT met'} ({p99_ms:.3f} ms)")
    print("not measured: strategy/risk (strategies decide on closed bars only), Engine.poll(), httpx internals")


if __name__ == "__main__":
    sys.exit(main())
