"""Shared by the resilience tests and ``benchmarks/bench_crash.py``: the sandbox set-up, the
engine's config, and the audit of our journal against the sandbox's books.

The audit's bar is "never duplicate, never lose": every sandbox order carries a distinct
identifier known to our journal exactly once, every fill the sandbox made is in our journal
exactly once and adds up to the order's executed volume, funds and fee, and nothing in the
journal is left unresolved.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tradetui.core.clock import LiveClock, ScaledClock
from tradetui.sandbox import FaultSpec, MarketSpec, SandboxConfig, SandboxState
from tradetui.sandbox.accounts import Account

ACCESS_KEY = "sandbox-access"
SECRET_KEY = "sandbox-secret"
CASH_KRW = "10000000"
MARKETS = (
    MarketSpec("KRW-BTC", "비트코인", "Bitcoin", seed=1, start_price=50_000_000.0),
    MarketSpec("KRW-ETH", "이더리움", "Ethereum", seed=2, start_price=4_000_000.0),
    MarketSpec("KRW-XRP", "리플", "XRP", seed=3, start_price=800.0),
    MarketSpec("KRW-SOL", "솔라나", "Solana", seed=4, start_price=200_000.0),
    MarketSpec("KRW-DOGE", "도지코인", "Dogecoin", seed=5, start_price=300.0),
    MarketSpec("KRW-ADA", "에이다", "Cardano", seed=6, start_price=1_000.0),
    MarketSpec("KRW-LINK", "체인링크", "Chainlink", seed=7, start_price=20_000.0),
    MarketSpec("KRW-DOT", "폴카닷", "Polkadot", seed=8, start_price=9_000.0),
)
OPEN_STATES = {"intent", "unknown", "wait", "watch"}


def sandbox_state(
    profile: str, faults: str = "", *, markets: tuple[MarketSpec, ...] = MARKETS, speed: float = 1200
) -> SandboxState:
    """A sandbox whose market time runs ``speed`` times real time (1200: a 1m candle every 50 ms)."""
    return SandboxState(
        SandboxConfig(profile=profile, speed=1 / 60, history_minutes=120, faults=FaultSpec.parse(faults)),
        clock=ScaledClock(speed),
        wall_clock=LiveClock(),
        markets=markets,
    )


def engine_config(profile: str, port: int, markets: list[str], *, poll_interval_s: float = 0.2) -> dict[str, Any]:
    """A live config that trades aggressively: tiny breakout lookbacks, tight stops and targets."""
    return {
        "mode": "live",
        "exchange": profile,
        "exchange_api": {
            "rest_url": f"http://127.0.0.1:{port}",
            "ws_url": f"ws://127.0.0.1:{port}",
            "poll_interval_s": poll_interval_s,
        },
        "feed": {"source": "exchange", "markets": markets, "timeframe": "1m"},
        "strategies": [
            {
                "name": "breakout",
                "params": {
                    "lookback": 2,
                    "volume_lookback": 2,
                    "volume_mult": 0.0,
                    "stop_pct": 0.1,
                    "take_profit_pct": 0.15,
                    "trailing_pct": 0.05,
                },
            }
        ],
        "risk": {
            "max_consecutive_losses": 1_000_000,
            "daily_loss_pct": 100.0,
            "cooldown_minutes": 0,
            "max_open_positions": len(markets),
            "max_weight_pct": 10,
            "max_exposure_pct": 95,
        },
    }


def toml_text(config: dict[str, Any]) -> str:
    """``engine_config`` as a TOML file (only the shapes it uses)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    lines: list[str] = []
    for key, v in config.items():
        if not isinstance(v, (dict, list)):
            lines.append(f"{key} = {value(v)}")
    for key, v in config.items():
        if isinstance(v, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {value(x)}" for k, x in v.items()]
    for entry in config["strategies"]:
        lines.append("[[strategies]]")
        lines.append(f'name = "{entry["name"]}"')
        lines.append("[strategies.params]")
        lines += [f"{k} = {value(x)}" for k, x in entry["params"].items()]
    return "\n".join(lines) + "\n"


@dataclass
class Audit:
    exchange_orders: int = 0
    journal_orders: int = 0
    fills: int = 0
    duplicates: list[str] = field(default_factory=list)
    """Identifiers used by more than one exchange order, or exchange orders sent twice for one intent."""
    orphans: list[str] = field(default_factory=list)
    """Exchange orders our journal does not know, or journal orders left unresolved / open unknown to us."""
    lost_fills: list[str] = field(default_factory=list)
    """Exchange fills missing from the journal, or journal fills that do not add up to the exchange's."""
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.orphans or self.lost_fills or self.problems)

    def describe(self) -> str:
        parts = [f"{len(self.duplicates)} duplicates", f"{len(self.orphans)} orphans", f"{len(self.lost_fills)} lost"]
        details = [*self.duplicates, *self.orphans, *self.lost_fills, *self.problems][:15]
        return ", ".join(parts) + (": " + "; ".join(details) if details else "")


def find_journal(data_dir: Path) -> Path:
    """The live journal under ``data_dir``, wherever the engine keeps it (``tradetui.db`` at the top,
    or a per-profile file below): the one SQLite file with live rows in an ``orders`` table."""
    candidates: list[Path] = []
    for path in sorted(data_dir.rglob("*.db")):
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error:
            continue
        try:
            has_live = conn.execute("SELECT 1 FROM orders WHERE mode = 'live' LIMIT 1").fetchone() is not None
        except sqlite3.Error:  # not a database, or one without an orders table
            has_live = False
        finally:
            conn.close()
        if has_live:
            candidates.append(path)
    if len(candidates) != 1:
        found = [str(p.relative_to(data_dir)) for p in sorted(data_dir.rglob("*.db"))]
        raise AssertionError(f"one journal with live orders expected under {data_dir}: {candidates} (files: {found})")
    return candidates[0]


def _journal(path: Path) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        orders = {r["identifier"]: dict(r) for r in conn.execute("SELECT * FROM orders WHERE mode = 'live'")}
        fills = [dict(r) for r in conn.execute("SELECT * FROM trades")]
    finally:
        conn.close()
    return orders, fills


def open_journal_orders(path: Path) -> list[tuple[str, str]]:
    """(identifier, state) of the live orders the journal still holds open."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        marks = ", ".join("?" * len(OPEN_STATES))
        rows = conn.execute(
            f"SELECT identifier, state FROM orders WHERE mode = 'live' AND state IN ({marks})", sorted(OPEN_STATES)
        )
        return [(str(i), str(st)) for i, st in rows]
    finally:
        conn.close()


def journal_positions(path: Path) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        conn.row_factory = sqlite3.Row
        return {r["market"]: dict(r) for r in conn.execute("SELECT * FROM positions")}
    finally:
        conn.close()


def audit(state: SandboxState, account: Account, database: Path) -> Audit:
    """Our journal at ``database`` against the sandbox's orders and fills of ``account``."""
    result = Audit()
    orders, fills = _journal(database)
    result.journal_orders = len(orders)
    result.fills = len(fills)
    on_exchange = [o for o in state.engine.orders.values() if o.access_key == account.access_key]
    result.exchange_orders = len(on_exchange)
    counts = Counter(o.identifier for o in on_exchange)
    result.duplicates += [f"identifier {i} on {n} exchange orders" for i, n in counts.items() if n > 1 or i is None]
    journal_fills: dict[str, list[dict[str, Any]]] = {}
    for row in fills:
        journal_fills.setdefault(row["identifier"], []).append(row)
    seen_trades = Counter((row["identifier"], row["trade_id"]) for row in fills)
    result.duplicates += [f"fill {k} stored {n} times" for k, n in seen_trades.items() if n > 1]
    exchange_ids = set()
    for order in on_exchange:
        ident = order.identifier or ""
        exchange_ids.add(ident)
        mine = orders.get(ident)
        if mine is None:
            result.orphans.append(f"exchange order {order.id} ({ident}) unknown to the journal")
            continue
        if mine["state"] in OPEN_STATES and order.state not in ("wait", "watch"):
            result.orphans.append(f"{ident}: journal says {mine['state']}, exchange {order.state}")
        if order.state in ("wait", "watch"):
            result.orphans.append(f"{ident}: still open on the exchange after the clean stop")
        got = journal_fills.get(ident, [])
        want = {f.trade_id for f in order.fills}
        have = {str(r["trade_id"]) for r in got}
        if want != have:
            result.lost_fills.append(f"{ident}: exchange fills {sorted(want)} vs journal {sorted(have)}")
            continue
        volume = sum((Decimal(r["volume"]) for r in got), Decimal(0))
        funds = sum((Decimal(r["price"]) * Decimal(r["volume"]) for r in got), Decimal(0))
        fee = sum((Decimal(r["fee"]) for r in got), Decimal(0))
        if (volume, funds, fee) != (order.executed_volume, order.executed_funds, order.paid_fee):
            result.lost_fills.append(
                f"{ident}: journal {volume}/{funds}/{fee} vs exchange "
                f"{order.executed_volume}/{order.executed_funds}/{order.paid_fee}"
            )
    for ident, row in orders.items():
        if row["state"] in OPEN_STATES and ident not in exchange_ids:
            result.orphans.append(f"journal order {ident} left {row['state']}")
        elif ident not in exchange_ids and row["state"] != "rejected":
            result.orphans.append(f"journal order {ident} is {row['state']} but the exchange never saw it")
        elif row["state"] in ("intent", "unknown"):
            result.orphans.append(f"journal order {ident} left {row['state']}")
    stray = set(journal_fills) - exchange_ids
    result.lost_fills += [f"journal fills of {i}, an order the exchange does not have" for i in sorted(stray)]
    return result


def coin_totals(account: Account) -> dict[str, Decimal]:
    return {
        f"KRW-{c}": h.balance + h.locked for c, h in account.holdings.items() if c != "KRW" and (h.balance or h.locked)
    }


def krw_total(account: Account) -> Decimal:
    held = account.holding("KRW")
    return held.balance + held.locked
