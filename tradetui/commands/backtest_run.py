"""One `tradetui backtest` run: candles (files, or the candle store) in, report or JSON out, the
run stored unless ``--no-store``.

What only some runs need is imported where it is used: the report renderer (plotext, rich) for
the printed report, the run store (SQLAlchemy) to store, the progress bar for long runs on a
terminal. ``tradetui backtest --json --no-store`` loads none of them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tradetui.backtest.export import export_run, open_position_to_dict
from tradetui.backtest.metrics import BacktestMetrics, drawdown_pct
from tradetui.backtest.runner import BacktestResult, run_backtest
from tradetui.candles.resample import resample
from tradetui.candles.series import BarSeries
from tradetui.config import MAX_KRW, AppConfig, demo_config, load_config, research_database_path
from tradetui.core.clock import parse_utc
from tradetui.core.market import Exchange
from tradetui.data.candle_file import load_candle_file
from tradetui.errors import ConfigError, DataError
from tradetui.risk.preflight import check_entries
from tradetui.risk.sizing import SizingMethod
from tradetui.session.spec import SessionSpec, build_strategy

_PROGRESS_MIN_BARS = 200_000


def _decimal_arg(text: str, what: str, *, fraction: bool = False) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ConfigError(f"{what} {text!r} is not a number") from None
    if not value.is_finite() or value < 0 or (fraction and value >= 1) or value > MAX_KRW:
        hint = "a fraction such as 0.0005 for 0.05 %" if fraction else f"a positive amount of at most {MAX_KRW:,f} KRW"
        raise ConfigError(f"{what} {text[:40]!r} is out of range; give {hint}")
    return value


def _parse_params(items: Sequence[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {item!r} is not KEY=VALUE, e.g. --param lookback=30")
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
        except (RecursionError, ValueError) as exc:  # nesting, or an integer of more than 4300 digits
            why = "is nested too deeply" if isinstance(exc, RecursionError) else "holds a number of over 4300 digits"
            raise ConfigError(f"--param {key.strip()!r} {why}; give a plain value, e.g. --param lookback=30") from None
    return params


def _time_arg(text: str | None, what: str) -> int | None:
    if text is None:
        return None
    try:
        return parse_utc(text) // 1000
    except ValueError:
        raise ConfigError(f"{what} {text!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None


def _resolve(path: str, config: AppConfig | None) -> Path:
    p = Path(path).expanduser()
    if not p.is_absolute() and config is not None and config.source_path and not p.exists():
        candidate = Path(config.source_path).parent / p
        if candidate.exists():
            return candidate
    return p


def load_series(args: argparse.Namespace, config: AppConfig | None) -> list[BarSeries]:
    files = list(args.data or (config.backtest.data if config is not None else ()))
    start_s = _time_arg(args.start or (config.backtest.start if config else None), "--from")
    end_s = _time_arg(args.end or (config.backtest.end if config else None), "--to")
    if start_s is not None and end_s is not None and end_s <= start_s:
        raise ConfigError("--to must be after --from")
    if not files:
        return _stored_series(args, config, start_s, end_s)
    series = []
    for f in files:
        candles = load_candle_file(_resolve(f, config), repair=args.repair)
        if candles.repaired:
            print(f"warning: {candles.path.name}: --repair {candles.repaired}", file=sys.stderr)
        if candles.foreign_market:
            print(
                f"warning: {candles.foreign_market}; tested as if its prices were KRW "
                "(with Upbit/Bithumb tick sizes, minimum order and fees)",
                file=sys.stderr,
            )
        s = candles.series
        w = s.window(start_s, end_s)
        if len(w) == 0:
            raise DataError(
                f"{f}: no candles between --from and --to (the file covers "
                f"{_iso(int(s.ts_s[0]))} … {_iso(int(s.ts_s[-1]))})"
            )
        series.append(w)
    frames = {s.timeframe for s in series}
    if len(frames) > 1:
        raise DataError(f"the files have different timeframes ({', '.join(sorted(frames))}); a portfolio needs one")
    markets = [s.market for s in series]
    if len(set(markets)) != len(markets):
        raise DataError(f"two files hold the same market ({', '.join(markets)}); give one file per market")
    return series


def _stored_series(
    args: argparse.Namespace, config: AppConfig | None, start_s: int | None, end_s: int | None
) -> list[BarSeries]:
    """Without candle files: the candle store of ``--exchange`` for ``--market``/``--timeframe``
    (or the config's [feed] markets and timeframe)."""
    from tradetui.core.market import Market, Timeframe
    from tradetui.data.candle_store import load_stored_series

    if args.market:
        try:
            markets = [Market(m.strip()).code for m in args.market]
        except ValueError as exc:
            raise ConfigError(f"--market: {exc}") from None
    elif config is not None:
        markets = list(config.feed.markets)
    else:
        raise ConfigError(
            "no candles to test on: give --data FILE (a ts,open,high,low,close,volume CSV), or --market CODE "
            "of candles in the store (`tradetui data import`/`data fetch` fill it)"
        )
    timeframe: Timeframe | None = None
    if args.timeframe:
        try:
            timeframe = Timeframe.parse(args.timeframe)
        except ValueError as exc:
            raise ConfigError(f"--timeframe: {exc}") from None
    elif config is not None:
        timeframe = config.feed.timeframe
    exchange = args.exchange or (config.exchange.value if config is not None else "upbit")
    database = research_database_path(config, args.data_dir)
    return asyncio.run(
        load_stored_series(
            database, exchange=exchange, markets=markets, timeframe=timeframe, start_s=start_s, end_s=end_s
        )
    )


def _iso(ts_s: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts_s)) + " UTC"


def backtest_spec(args: argparse.Namespace, config: AppConfig | None) -> SessionSpec:
    """The session a backtest runs: the config's (the demo's without one), as paper and live
    trading build it, with the command line's --exchange, --fee, --cash and --slippage-bps."""
    base = config or demo_config()
    cash = _decimal_arg(args.cash, "--cash") if args.cash else None
    if cash is not None and cash <= 0:
        raise ConfigError("--cash must be more than 0 KRW")
    fee = _decimal_arg(args.fee, "--fee", fraction=True) if args.fee else None
    slippage = args.slippage_bps
    if slippage is not None and not 0 <= slippage <= 1000:  # NaN fails this too
        raise ConfigError(f"--slippage-bps {slippage:g} is out of range; give 0 to 1000 basis points (5 = 0.05 %)")
    return SessionSpec.from_config(
        base,
        exchange=Exchange(args.exchange) if args.exchange else None,
        fee_override=fee,
        cash_krw=cash,
        slippage_bps=slippage,
    )


def run_backtest_command(args: argparse.Namespace) -> int:
    """Run the backtest the command line asks for and print its report (or JSON); 0."""
    config = load_config(args.config) if args.config else None
    if args.run_id is not None:
        raise ConfigError(f"unexpected {args.run_id!r}: `tradetui backtest list`, `backtest show N`, or options only")
    spec = backtest_spec(args, config)  # every argument checked before any candles are read
    params = _parse_params(args.param)
    series = load_series(args, config)
    if args.strategy:
        strategy = build_strategy(args.strategy, params)
    elif config is not None and config.strategies:
        entry = config.strategies[0]
        strategy = build_strategy(entry.name, {**entry.params, **params})
    else:
        strategy = build_strategy("breakout", params)
    data_tf = series[0].timeframe
    chosen = "timeframe" in params or (
        config is not None and bool(config.strategies) and "timeframe" in config.strategies[0].params
    )
    if strategy.timeframe is not data_tf:
        if chosen and strategy.timeframe.seconds > data_tf.seconds:
            series = [resample(s, strategy.timeframe) for s in series]
        elif chosen:
            raise ConfigError(
                f"strategy timeframe {strategy.timeframe} is finer than the {data_tf} candles; "
                f"use {data_tf} or a coarser timeframe"
            )
        else:
            strategy = build_strategy(strategy.name, {**strategy.params.model_dump(), "timeframe": data_tf.value})
    files = list(args.data or (config.backtest.data if config else ()))
    stored = [f"{s.market} (candle store)" for s in series]
    names = [Path(f).name for f in files] if len(files) == len(series) else stored
    _check_can_trade(names, series, strategy, spec)
    result = _run_with_progress(series, strategy, spec, quiet=args.json)
    metrics = result.metrics()
    run_id = None
    if not args.no_store:
        database = research_database_path(config, args.data_dir)
        run_id = asyncio.run(_store(database, result, metrics, strategy.params.model_dump(mode="json"), config))
    info = _run_info(result, metrics, run_id)
    if args.export:
        export_run(
            args.export,
            metrics=metrics,
            trades=result.trades,
            ts_s=result.ts_s,
            equity=result.equity,
            drawdown=drawdown_pct(result.equity, float(spec.cash_krw)),
            run_info=info,
            open_positions=result.open_positions,
        )
    if args.json:
        held = [open_position_to_dict(p) for p in result.open_positions]
        json.dump(
            {"run": info, "metrics": metrics.to_dict(), "open_positions": held},
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0
    from rich.console import Console

    from tradetui.backtest.report import render_report

    console = Console()
    console.print(
        render_report(
            metrics,
            title=f"Backtest: {strategy.name}",
            trades=result.trades,
            ts_s=result.ts_s,
            equity=result.equity,
            width=min(console.width, 140),
            strategy=strategy.name,
            markets=result.markets,
            open_positions=result.open_positions,
        )
    )
    console.print(
        f"{result.bars:,} bars in {result.elapsed_s:.2f} s ({result.bars_per_second:,.0f} bars/s)"
        + (f"; stored as run #{run_id}" if run_id is not None else "")
        + (f"; exported to {args.export}" if args.export else "")
    )
    return 0


def _check_can_trade(names: list[str], series: list[BarSeries], strategy: Any, spec: SessionSpec) -> None:
    """Refuse (or warn about) a run in which no entry could ever be placed, before it starts."""
    needed = strategy.warmup_bars
    if spec.sizing.method is SizingMethod.ATR:
        needed = max(needed, spec.atr_period + 1)
    needed += 1  # the order decided at a bar's close fills at the next bar's open
    short = [
        f"{name}: has {len(s):,} candle(s) of {s.timeframe}; {strategy.name} needs at least {needed:,} "
        f"to trade ({needed - 1:,} before it can decide, one to fill the order); give a longer file or a wider "
        "--from/--to"
        for name, s in zip(names, series, strict=True)
        if len(s) < needed
    ]
    if short and len(short) == len(series):
        raise DataError(short[0])
    for text in short:
        print(f"warning: {text}", file=sys.stderr)
    check = check_entries(
        cash_krw=spec.cash_krw,
        sizing=spec.sizing,
        limits=spec.limits,
        rules=spec.rule_book.at(min(int(s.ts_s[0]) for s in series)),
        exit_plans={strategy.name: strategy.exit_plan()},
        more_cash="--cash, or [account] cash_krw",
    )
    if check.errors:
        raise ConfigError(check.errors[0])
    for text in check.warnings:
        print(f"warning: {text}", file=sys.stderr)


def _run_with_progress(series: list[BarSeries], strategy: Any, spec: SessionSpec, *, quiet: bool) -> BacktestResult:
    total = sum(len(s) for s in series)
    if quiet or total < _PROGRESS_MIN_BARS or not sys.stderr.isatty():
        return run_backtest(series, [strategy], spec)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    with Progress(
        TextColumn("backtest"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f} %"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("run", total=1.0)
        return run_backtest(series, [strategy], spec, progress=lambda f: bar.update(task, completed=f))


def _run_info(result: BacktestResult, metrics: BacktestMetrics, run_id: int | None) -> dict[str, Any]:
    spec = result.spec
    return {
        "id": run_id,
        "strategy": result.strategies[0],
        "markets": result.markets,
        "bars": result.bars,
        "start": _iso(int(result.ts_s[0])),
        "end": _iso(int(result.ts_s[-1])),
        "exchange": spec.exchange.value,
        "cash_krw": str(spec.cash_krw),
        "fee_rate": str(spec.rule_book.at(int(result.ts_s[0])).taker_fee),  # the taker fee charged at the start
        "slippage_bps": spec.slippage_bps,
        "elapsed_s": round(result.elapsed_s, 3),
    }


async def _store(
    database: Path, result: BacktestResult, metrics: BacktestMetrics, params: dict[str, Any], config: AppConfig | None
) -> int:
    from tradetui.backtest.stored import run_record
    from tradetui.commands.runs import BacktestRunStore

    config_text = Path(config.source_path).read_text(encoding="utf-8") if config and config.source_path else ""
    record = run_record(result, metrics, params=params, created_ms=int(time.time() * 1000), config_text=config_text)
    return await BacktestRunStore(database).save_backtest_run(record.summary, record.trades, record.equity)
