"""The engine's numbers in the Prometheus text exposition format (version 0.0.4).

Money is in KRW (``_krw``); cumulative counts end in ``_total``. The engine state is one gauge
per state, 1 for the current one (the usual enum-as-labels pattern).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal

from tradetui import __version__
from tradetui.core.events import EngineState
from tradetui.engine.read_model import EngineSnapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Sample = tuple[Mapping[str, str], float | int | Decimal]


def _value(value: float | int | Decimal) -> str:
    number = float(value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    if number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return repr(number)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _family(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        rendered = ",".join(f'{key}="{_label(val)}"' for key, val in labels.items())
        lines.append(f"{name}{{{rendered}}} {_value(value)}" if rendered else f"{name} {_value(value)}")
    return lines


def render_metrics(snap: EngineSnapshot, *, events_by_severity: Mapping[str, int]) -> str:
    """``events_by_severity``: events the engine emitted since the control API started."""
    none: Mapping[str, str] = {}
    risk = snap.risk
    families: list[tuple[str, str, str, list[Sample]]] = [
        (
            "tradetui_info",
            "gauge",
            "Constant 1, labelled with the mode, exchange and version.",
            [({"mode": snap.mode, "exchange": snap.exchange, "version": __version__}, 1)],
        ),
        (
            "tradetui_equity_krw",
            "gauge",
            "Equity: cash plus positions at their last price, in KRW.",
            [(none, snap.equity)],
        ),
        ("tradetui_cash_krw", "gauge", "Free cash in KRW.", [(none, snap.cash)]),
        (
            "tradetui_day_pnl_krw",
            "gauge",
            "Profit or loss since the trading day began (09:00 KST), in KRW.",
            [(none, risk.day_pnl)],
        ),
        (
            "tradetui_realized_pnl_krw",
            "gauge",
            "Realized profit or loss of the session, in KRW.",
            [(none, snap.realized_pnl)],
        ),
        (
            "tradetui_daily_loss_used_ratio",
            "gauge",
            "Share of the daily loss limit used (0 to 1).",
            [(none, risk.daily_loss_used_pct / 100)],
        ),
        ("tradetui_exposure_krw", "gauge", "Value of the open positions, in KRW.", [(none, risk.exposure_krw)]),
        ("tradetui_positions", "gauge", "Open positions.", [(none, len(snap.positions))]),
        ("tradetui_open_orders", "gauge", "Open orders.", [(none, len(snap.orders))]),
        (
            "tradetui_engine_state",
            "gauge",
            "1 for the engine's current state, 0 for the others.",
            [({"state": s.value}, int(s is snap.state)) for s in EngineState],
        ),
        (
            "tradetui_strategy_enabled",
            "gauge",
            "1 when the strategy may open positions.",
            [({"strategy": s.name}, int(s.enabled)) for s in snap.strategies],
        ),
        ("tradetui_consecutive_losses", "gauge", "Losing trades in a row.", [(none, risk.consecutive_losses)]),
        ("tradetui_trades_closed_total", "counter", "Round-trip trades closed.", [(none, snap.trades_closed)]),
        ("tradetui_fees_paid_krw_total", "counter", "Fees paid, in KRW.", [(none, snap.fees_paid)]),
        (
            "tradetui_bars_processed_total",
            "counter",
            "Closed bars the engine has processed.",
            [(none, snap.bars_processed)],
        ),
        (
            "tradetui_events_total",
            "counter",
            "Engine events since the control API started, by severity.",
            [({"severity": name}, count) for name, count in sorted(events_by_severity.items())],
        ),
    ]
    lines: list[str] = []
    for name, kind, help_text, samples in families:
        lines += _family(name, kind, help_text, samples)
    return "\n".join(lines) + "\n"
