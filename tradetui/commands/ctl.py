"""`tradetui ctl`: steer a running engine (TUI or headless) through its local control API.

    tradetui ctl [--data-dir DIR] [--json] status | metrics | pause | resume | reduce-only
                 | kill [--flatten] | reset | flatten | strategy NAME on|off

After ``kill`` the engine stays HALTED until ``reset`` (``resume`` does not lift the kill switch).

The engine is found through the token file in the data dir (``control.json``). Exit status: 0
done; 2 when no engine is running or the request names something wrong (unknown strategy);
1 when the engine refused (``resume`` while HALTED, ``reset`` when not) or failed otherwise.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tradetui.cli import shared_options
from tradetui.control.client import ControlClient
from tradetui.control.endpoint import ControlError, EngineNotRunning, token_file_path
from tradetui.control.wire import snapshot_to_dict
from tradetui.core.events import EngineState
from tradetui.core.notation import krw, price, volume
from tradetui.engine.read_model import EngineSnapshot

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Talk to a running engine (TUI or headless) through its local control API."
    parser.add_argument("--json", dest="ctl_json", action="store_true", help="print JSON on stdout")
    parser.set_defaults(ctl_reason=None, ctl_flatten=False)  # what the actions without them read
    # the options also work after the action (`ctl status --json`); SUPPRESS keeps the earlier value
    late = argparse.ArgumentParser(add_help=False, parents=[shared_options(data_dir=argparse.SUPPRESS)])
    late.add_argument("--json", dest="ctl_json", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    actions = parser.add_subparsers(dest="ctl_command", metavar="ACTION", required=True)
    actions.add_parser("status", parents=[late], help="state, equity, PnL, positions, orders, strategies")
    actions.add_parser("metrics", parents=[late], help="the Prometheus metrics text")
    for name, text in (
        ("pause", "no new entries (exits and stops still work)"),
        ("resume", "allow entries again after pause or reduce-only (not after kill: see reset)"),
        ("reduce-only", "only orders that shrink positions"),
    ):
        action = actions.add_parser(name, parents=[late], help=text)
        action.add_argument("--reason", dest="ctl_reason", metavar="TEXT", help="recorded with the state change")
    kill = actions.add_parser("kill", parents=[late], help="kill switch: halt and cancel every open order")
    kill.add_argument("--flatten", dest="ctl_flatten", action="store_true", help="also sell every position at market")
    actions.add_parser(
        "reset", parents=[late], help="lift the kill switch: HALTED -> RUNNING, saying what it re-enables"
    )
    actions.add_parser("flatten", parents=[late], help="sell every position at market; keep running")
    strategy = actions.add_parser("strategy", parents=[late], help="enable or disable a strategy")
    strategy.add_argument("ctl_strategy", metavar="NAME")
    strategy.add_argument("ctl_switch", metavar="on|off", choices=("on", "off"))


def run(args: argparse.Namespace) -> int:
    from tradetui.config import data_dir

    directory = data_dir(args.data_dir)
    try:
        with ControlClient(token_file_path(directory)) as client:
            return _act(client, args, sys.stdout, args.ctl_json)
    except EngineNotRunning as exc:
        print(f"error: {exc} (start one with `tradetui` or `tradetui --no-ui`, or pass --data-dir)", file=sys.stderr)
        return EXIT_USAGE
    except ControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE if exc.status in (400, 404) else EXIT_FAILED


def _act(client: ControlClient, args: argparse.Namespace, out: TextIO, as_json: bool) -> int:
    command: str = args.ctl_command
    if command == "metrics":
        out.write(client.metrics())
        return EXIT_OK
    if command == "status":
        snap = client.status()
        if as_json:
            _print_json(snapshot_to_dict(snap), out)
        else:
            _print_status(snap, out)
        return EXIT_OK
    reason: str | None = args.ctl_reason
    send: dict[str, Callable[[], EngineSnapshot]] = {
        "pause": lambda: client.pause(reason),
        "resume": lambda: client.resume(reason),
        "reduce-only": lambda: client.reduce_only(reason),
        "kill": lambda: client.kill(flatten=args.ctl_flatten),
        "reset": client.reset,
        "flatten": client.flatten,
        "strategy": lambda: client.set_strategy_enabled(args.ctl_strategy, args.ctl_switch == "on"),
    }
    snap = send[command]()
    if as_json:
        _print_json(snapshot_to_dict(snap), out)
        return EXIT_OK
    line = f"engine {snap.state.value}" + (f": {snap.risk.reason}" if snap.risk.reason else "")
    if command == "strategy":
        view = next((s for s in snap.strategies if s.name == args.ctl_strategy), None)
        if view is not None:
            line = f"strategy {view.name} {'enabled' if view.enabled else 'disabled'}; {line}"
    if command in ("kill", "flatten"):
        line += f" ({len(snap.orders)} open order(s), {len(snap.positions)} position(s))"
    print(line, file=out)
    return EXIT_OK


def _print_json(data: dict[str, Any], out: TextIO) -> None:
    json.dump(data, out, indent=2)
    out.write("\n")


def _fits(renderable: Table, width: int) -> bool:
    return Console(width=10_000, file=io.StringIO()).measure(renderable).maximum <= width


def _stop(value: float | None) -> str:
    return price(Decimal(repr(value)).quantize(Decimal(1))) if value is not None else "–"


def _print_status(snap: EngineSnapshot, out: TextIO, *, width: int | None = None) -> None:
    """The status for people, ``width`` columns wide (the terminal's, or 80 into a pipe): tables
    when they fit, otherwise one block per position or order, so no number is ever cut short."""
    console = Console(file=out, highlight=False, width=width)
    columns = console.width
    risk = snap.risk
    state = f"[bold]{snap.state.value}[/bold]" + (f" ({escape(risk.reason)})" if risk.reason else "")
    console.print(f"{snap.mode} on {snap.exchange}: {state}")
    if snap.state is EngineState.HALTED:
        console.print("the kill switch is on: `tradetui ctl reset` re-arms entries (resume does not)")
    limit = f" of {krw(-risk.daily_loss_limit_krw)} limit" if risk.daily_loss_limit_krw is not None else ""
    day = krw(risk.day_pnl, signed=True, unit=False)
    realized = krw(snap.realized_pnl, signed=True, unit=False)
    console.print(
        f"equity {krw(snap.equity)} · cash {krw(snap.cash, unit=False)} · day PnL {day}{limit}"
        f" · realized {realized} · fees {krw(snap.fees_paid, unit=False)}"
    )
    console.print(
        f"{len(snap.positions)}/{risk.max_positions} positions · {len(snap.orders)} open orders · "
        f"{snap.trades_closed} trades closed · {snap.bars_processed} bars"
    )
    if snap.positions:
        table = Table("market", "volume", "avg", "last", "PnL KRW", "PnL %", "stop", title="Positions")
        for p in snap.positions:
            table.add_row(
                p.market,
                volume(p.volume),
                price(p.avg_price),
                price(p.last_price) if p.last_price is not None else "–",
                krw(p.pnl_krw, signed=True, unit=False),
                f"{p.pnl_pct:+.2f}",
                _stop(p.stop),
            )
        if _fits(table, columns):
            console.print(table)
        else:
            console.print("[bold]Positions[/bold]")
            for p in snap.positions:
                last = f" · last {price(p.last_price)}" if p.last_price is not None else ""
                target = f" · target {_stop(p.target)}" if p.target is not None else ""
                console.print(
                    f"  {p.market} ({escape(p.strategy)}): {volume(p.volume)} @ {price(p.avg_price)}{last}\n"
                    f"    PnL {krw(p.pnl_krw, signed=True)} ({p.pnl_pct:+.2f} %) · stop {_stop(p.stop)}{target}"
                )
    if snap.orders:
        table = Table(
            "market", "side", "type", "price", "volume", "filled %", "state", "purpose", "id", title="Open orders"
        )
        for o in snap.orders:
            table.add_row(
                o.market,
                o.side,
                o.ord_type,
                price(o.price) if o.price is not None else "–",
                volume(o.volume) if o.volume is not None else "–",
                f"{o.filled_pct:.0f}",
                o.state,
                o.purpose,
                o.identifier,
            )
        if _fits(table, columns):
            console.print(table)
        else:
            console.print("[bold]Open orders[/bold]")
            for o in snap.orders:
                amount = volume(o.volume) if o.volume is not None else "–"
                at = f" @ {price(o.price)}" if o.price is not None else ""
                console.print(
                    f"  {o.market} {o.side} {o.ord_type} {amount}{at} · {o.filled_pct:.0f} % filled · {o.state}"
                    f" · {o.purpose}\n    {o.identifier}"
                )
    for s in snap.strategies:
        console.print(f"strategy {s.name}: {'on' if s.enabled else 'off'} · {', '.join(s.markets) or 'no markets'}")
