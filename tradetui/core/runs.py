"""Stored backtest runs as the front ends read them: a summary per run, and the whole run
(summary, closed trades, equity curve) for its report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tradetui.core.trades import ClosedTrade

EquityPoint = tuple[int, float, float]
"""``(ts_s, equity, drawdown)`` of a backtest's equity curve."""


@dataclass(frozen=True, slots=True)
class BacktestRunSummary:
    id: int
    created_ms: int
    strategy: str
    markets: tuple[str, ...]
    timeframe: str
    start_ms: int | None
    end_ms: int | None
    params: Mapping[str, Any]
    metrics: Mapping[str, Any]
    """The report's metrics as JSON (``BacktestMetrics.to_dict``)."""
    config_text: str

    def metric(self, name: str) -> float | None:
        """A numeric metric (``total_return_pct``, ``max_drawdown_pct``, ``n_trades`` …), None when absent."""
        value = self.metrics.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        try:
            return float(value)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class BacktestRun:
    summary: BacktestRunSummary
    trades: tuple[ClosedTrade, ...]
    equity: tuple[EquityPoint, ...]
