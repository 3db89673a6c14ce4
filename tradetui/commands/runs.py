"""Stored backtest runs: the store the TUI's backtest and history screens use (through the
handle), and ``tradetui backtest list`` / ``tradetui backtest show N``.

Runs live with the other research data (candles) in ``<data-dir>/tradetui.db``, apart from the
trading sessions' databases (see :func:`tradetui.config.research_database_path`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tradetui.core.runs import BacktestRun, BacktestRunSummary, EquityPoint
from tradetui.core.trades import ClosedTrade
from tradetui.errors import ConfigError

if TYPE_CHECKING:
    from tradetui.storage.repository import SqliteRepository

KST_OFFSET_S = 9 * 3600


class BacktestRunStore:
    """A :class:`tradetui.core.ports.RunStore` on a SQLite file (opened per call, so it costs
    nothing while the trader is not looking)."""

    def __init__(self, database: Path) -> None:
        self.database = database

    async def _open(self) -> SqliteRepository:
        from tradetui.storage import repository  # aiosqlite: only when runs are read or saved

        return await repository.SqliteRepository.open(self.database)

    async def save_backtest_run(
        self, summary: Mapping[str, Any], trades: Sequence[ClosedTrade], equity: Sequence[EquityPoint]
    ) -> int:
        repo = await self._open()
        try:
            return await repo.save_backtest_run(summary, trades, equity)
        finally:
            await repo.close()

    async def backtest_runs(self, limit: int) -> list[BacktestRunSummary]:
        """The newest ``limit`` runs, newest first."""
        if not self.database.exists():
            return []
        repo = await self._open()
        try:
            return await repo.list_backtest_runs(limit=limit)
        finally:
            await repo.close()

    async def backtest_run(self, run_id: int) -> BacktestRun | None:
        if not self.database.exists():
            return None
        repo = await self._open()
        try:
            return await repo.load_backtest_run(run_id)
        finally:
            await repo.close()


# --- tradetui backtest list | show ----------------------------------------------------------------


def _kst(ts_ms: int | None, *, date_only: bool = False) -> str:
    if ts_ms is None:
        return "—"
    fmt = "%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M"
    return time.strftime(fmt, time.gmtime(ts_ms // 1000 + KST_OFFSET_S))


def _utc(ts_ms: int | None) -> str | None:
    if ts_ms is None:
        return None
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts_ms // 1000)) + " UTC"


def summary_row(run: BacktestRunSummary) -> dict[str, Any]:
    """One run as ``backtest list --json`` prints it."""
    trades = run.metric("n_trades")
    return {
        "id": run.id,
        "created_kst": _kst(run.created_ms),
        "strategy": run.strategy,
        "markets": list(run.markets),
        "timeframe": run.timeframe,
        "start": _utc(run.start_ms),
        "end": _utc(run.end_ms),
        "return_pct": run.metrics.get("total_return_pct"),
        "max_drawdown_pct": run.metrics.get("max_drawdown_pct"),
        "trades": None if trades is None else int(trades),
    }


def _pct(value: float | None) -> Text:
    if value is None:
        return Text("—", style="dim")
    return Text(f"{value:+.2f} %", style="green" if value > 0 else "red" if value < 0 else "")


def _drawdown(run: BacktestRunSummary) -> str:
    value = run.metric("max_drawdown_pct")
    return "—" if value is None else f"-{abs(value):.2f} %"  # a fall, as the report shows it


def _trades(run: BacktestRunSummary) -> str:
    value = run.metric("n_trades")
    return "—" if value is None else f"{int(value):,}"


def _period(run: BacktestRunSummary) -> str:
    return f"{_kst(run.start_ms, date_only=True)} … {_kst(run.end_ms, date_only=True)}"


WIDE_COLUMNS = 110
"""From this width on the runs are a table; below it each run takes two lines."""


def runs_table(runs: Sequence[BacktestRunSummary]) -> Table:
    table = Table(title="Stored backtest runs (newest first)", title_justify="left", expand=False)
    for name, justify in (
        ("id", "right"),
        ("created (KST)", "left"),
        ("strategy", "left"),
        ("markets", "left"),
        ("tf", "left"),
        ("period (KST)", "left"),
        ("return", "right"),
        ("max drawdown", "right"),
        ("trades", "right"),
    ):
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for run in runs:
        table.add_row(
            str(run.id),
            _kst(run.created_ms),
            run.strategy,
            ", ".join(run.markets),
            run.timeframe,
            _period(run),
            _pct(run.metric("total_return_pct")),
            _drawdown(run),
            _trades(run),
        )
    return table


def runs_lines(runs: Sequence[BacktestRunSummary]) -> Text:
    """The runs for a narrow terminal or a pipe: two lines each, nothing cut."""
    text = Text("Stored backtest runs (newest first)\n", style="bold")
    for run in runs:
        text.append(f"#{run.id:<4} ", style="bold")
        text.append(f"{run.strategy}  {', '.join(run.markets)}  {run.timeframe}  created {_kst(run.created_ms)} KST\n")
        text.append(f"      {_period(run)}  return ")
        text.append_text(_pct(run.metric("total_return_pct")))
        text.append(f"  max drawdown {_drawdown(run)}  trades {_trades(run)}\n")
    return text


def _run_id(text: str | None) -> int:
    if text is None:
        raise ConfigError(
            "backtest show needs the id of a stored run, e.g. `tradetui backtest show 3` (ids: backtest list)"
        )
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(
            f"backtest show: {text!r} is not a run id; give a number from `tradetui backtest list`"
        ) from None
    if value <= 0:
        raise ConfigError(f"backtest show: run ids start at 1, not {value}; see `tradetui backtest list`")
    return value


def run_runs_command(args: argparse.Namespace, database: Path) -> int:
    """``backtest list`` or ``backtest show N`` on the runs stored in ``database``."""
    store = BacktestRunStore(database)
    if args.action == "list":
        if args.run_id is not None:
            raise ConfigError(f"backtest list takes no id (got {args.run_id!r}); to see one run: backtest show N")
        runs = asyncio.run(store.backtest_runs(args.limit))
        if args.json:
            json.dump({"runs": [summary_row(r) for r in runs]}, sys.stdout, ensure_ascii=False, indent=2)
            sys.stdout.write("\n")
        elif not runs:
            print(f"no stored backtest runs in {database}; `tradetui backtest --data FILE` runs and stores one")
        else:
            console = Console()
            console.print(runs_table(runs) if console.width >= WIDE_COLUMNS else runs_lines(runs))
        return 0
    run_id = _run_id(args.run_id)
    run = asyncio.run(store.backtest_run(run_id))
    if run is None:
        raise ConfigError(f"no stored backtest run #{run_id} in {database}; `tradetui backtest list` shows the ids")
    if args.json:
        from tradetui.control.wire_history import closed_trade_to_dict

        document = {
            "run": summary_row(run.summary) | {"params": dict(run.summary.params)},
            "metrics": dict(run.summary.metrics),
            "trades": [closed_trade_to_dict(t) for t in run.trades],
        }
        json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    from tradetui.backtest.stored import render_stored_run

    console = Console()
    try:
        report = render_stored_run(run, width=min(console.width, 140))
    except ValueError as exc:
        raise ConfigError(f"stored backtest run #{run_id} cannot be shown: {exc}") from None
    console.print(report)
    console.print(
        f"stored run #{run_id}: created {_kst(run.summary.created_ms)} KST; parameters "
        + (", ".join(f"{k}={v}" for k, v in sorted(run.summary.params.items())) or "(defaults)")
    )
    return 0
