"""A backtest run as it is stored and read back: the record of a finished run (shared by the
CLI and the TUI), its metrics from their JSON, and the report of a stored run."""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import numpy as np

from tradetui.backtest.metrics import BacktestMetrics, drawdown_pct
from tradetui.backtest.runner import BacktestResult
from tradetui.core.runs import BacktestRun, EquityPoint
from tradetui.core.trades import ClosedTrade

if TYPE_CHECKING:
    from rich.console import Group

MAX_STORED_POINTS = 20_000
"""The stored equity curve is for plots: at most this many points (and the last one)."""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What storing a run takes (``RunStore.save_backtest_run(record.summary, record.trades, record.equity)``)."""

    summary: Mapping[str, Any]
    trades: tuple[ClosedTrade, ...]
    equity: tuple[EquityPoint, ...]


def timeframe_of(bar_seconds: int) -> str:
    return "1d" if bar_seconds >= 86_400 else f"{max(bar_seconds // 60, 1)}m"


def run_record(
    result: BacktestResult,
    metrics: BacktestMetrics,
    *,
    params: Mapping[str, Any],
    created_ms: int,
    config_text: str = "",
) -> RunRecord:
    """The stored form of a finished run: summary, closed trades and a thinned equity curve."""
    dd = drawdown_pct(result.equity, float(result.spec.cash_krw))
    n = len(result.equity)
    step = max(1, -(-n // MAX_STORED_POINTS))
    keep = list(range(0, n, step))
    if n and keep[-1] != n - 1:
        keep.append(n - 1)  # the run's end is always on the curve
    points = tuple((int(result.ts_s[k]), float(result.equity[k]), float(dd[k])) for k in keep)
    summary = {
        "created_ms": created_ms,
        "strategy": result.strategies[0],
        "markets": list(result.markets),
        "timeframe": timeframe_of(result.bar_seconds),
        "start_ms": int(result.ts_s[0]) * 1000 if len(result.ts_s) else None,
        "end_ms": int(result.ts_s[-1]) * 1000 if len(result.ts_s) else None,
        "params": dict(params),
        "metrics": metrics.to_dict(),
        "config_text": config_text,
    }
    return RunRecord(summary, tuple(result.trades), points)


# --- metrics from their JSON ---------------------------------------------------------------------


def _kinds(annotation: Any) -> tuple[set[type], bool]:
    """The value types a field annotation allows, and whether None is one of them."""
    hint: Any = annotation
    origin = typing.get_origin(hint)
    members = typing.get_args(hint) if origin in (typing.Union, types.UnionType) else (hint,)
    allowed = {m for m in members if isinstance(m, type) and m is not type(None)}
    return allowed, type(None) in members


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, str):
        return float(value)  # "inf", "-inf" and decimal strings
    return float(value)


def _field_value(name: str, annotation: Any, value: Any) -> Any:
    allowed, optional = _kinds(annotation)
    if value is None:
        if optional:
            return None
        raise ValueError(f"{name} is null")
    if dict in allowed or typing.get_origin(annotation) is dict:
        if name == "monthly_returns_pct":
            return {(int(key[:4]), int(key[5:7])): float(pct) for key, pct in dict(value).items()}
        return dict(value)
    if Decimal in allowed:
        try:
            result = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{name}: {value!r} is not a decimal") from None
        return result
    if int in allowed and float not in allowed:
        return int(value)
    number = _number(value)
    if math.isnan(number):
        raise ValueError(f"{name} is NaN")
    return number


def _missing(annotation: Any) -> Any:
    allowed, optional = _kinds(annotation)
    if optional:
        return None
    if dict in allowed or typing.get_origin(annotation) is dict:
        return {}
    if Decimal in allowed:
        return Decimal(0)
    if int in allowed and float not in allowed:
        return 0
    return 0.0


def metrics_from_dict(data: Mapping[str, Any]) -> BacktestMetrics:
    """:class:`BacktestMetrics` back from ``to_dict()`` (as stored with a run). A field the
    stored run does not have (it predates the field) is None, or 0 where None is not allowed."""
    hints = typing.get_type_hints(BacktestMetrics)
    values: dict[str, Any] = {}
    for field in fields(BacktestMetrics):
        annotation = hints[field.name]
        if field.name in data:
            try:
                values[field.name] = _field_value(field.name, annotation, data[field.name])
            except (TypeError, ValueError) as exc:
                raise ValueError(f"stored metrics: bad {field.name!r}: {exc}") from None
        else:
            values[field.name] = _missing(annotation)
    return BacktestMetrics(**values)


def render_stored_run(run: BacktestRun, *, width: int = 120) -> Group:
    """The report of a stored run: what the CLI printed after running it (from the stored,
    possibly thinned, equity curve)."""
    from tradetui.backtest.report import render_report  # plotext and rich: not for storing a run

    summary = run.summary
    metrics = metrics_from_dict(summary.metrics)
    ts_s = np.array([p[0] for p in run.equity], dtype=np.int64)
    equity = np.array([p[1] for p in run.equity], dtype=np.float64)
    return render_report(
        metrics,
        title=f"Backtest run #{summary.id}: {summary.strategy}",
        trades=run.trades,
        ts_s=ts_s,
        equity=equity,
        width=width,
        strategy=summary.strategy,
        markets=summary.markets,
    )
