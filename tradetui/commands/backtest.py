"""`tradetui backtest`: candles (files, or the candle store) in, report out, run stored;
`backtest list` / `backtest show N` read the stored runs.

This module is the command line; the run is :mod:`tradetui.commands.backtest_run`, the stored runs
:mod:`tradetui.commands.runs`, each imported once it is known which is wanted, so
``tradetui backtest --help`` costs no numpy, pandas or SQLAlchemy.
"""

from __future__ import annotations

import argparse

from tradetui.cli import positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run a strategy over candles and print its report; the run is stored. The candles come from "
        "--data FILE, or, without --data, from the candle store (what `data import`/`data fetch` wrote) "
        "for --market and --timeframe. `backtest list` lists the stored runs, `backtest show N` prints "
        "run N's report again."
    )
    parser.add_argument(
        "action",
        nargs="?",
        choices=("list", "show"),
        help="list the stored runs, or show one run's report (leave out to run a backtest)",
    )
    parser.add_argument("run_id", nargs="?", metavar="N", help="the stored run to show: `backtest show N`")
    parser.add_argument(
        "--data", action="append", metavar="FILE", help="candle CSV(.gz) or Upbit JSON; repeat for a portfolio"
    )
    parser.add_argument(
        "--market",
        action="append",
        metavar="CODE",
        help="without --data: a market in the candle store, e.g. KRW-BTC; repeat for a portfolio "
        "(default: the config's [feed] markets)",
    )
    parser.add_argument(
        "--timeframe",
        metavar="TF",
        help="without --data: the stored candles' timeframe (default: the config's, else 1m or the finest stored)",
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="sort rows that are out of time order and drop exact duplicate rows (says how many) instead of refusing",
    )
    parser.add_argument("--strategy", metavar="NAME", help="strategy name (default: breakout, or the config's)")
    parser.add_argument("--param", action="append", metavar="KEY=VALUE", help="strategy parameter, e.g. lookback=30")
    parser.add_argument("--from", dest="start", metavar="DATE", help="first moment (UTC), e.g. 2025-09-01")
    parser.add_argument("--to", dest="end", metavar="DATE", help="end (UTC, exclusive)")
    parser.add_argument("--cash", metavar="KRW", help="starting cash (default 10000000)")
    parser.add_argument("--fee", metavar="RATE", help="fee rate overriding the dated exchange fee, e.g. 0.0005")
    parser.add_argument("--slippage-bps", type=float, metavar="BPS", help="market-order slippage (default 5)")
    parser.add_argument(
        "--exchange", choices=("upbit", "bithumb"), help="whose rules apply and whose stored candles (default upbit)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    parser.add_argument("--export", metavar="DIR", help="write trades.csv, equity.csv and report.json to DIR")
    parser.add_argument("--no-store", action="store_true", help="do not store the run in the database")
    parser.add_argument("--limit", type=positive_int, default=50, metavar="N", help="runs `backtest list` shows")


def run(args: argparse.Namespace) -> int:
    if args.action is None:
        from tradetui.commands.backtest_run import run_backtest_command

        return run_backtest_command(args)
    from tradetui.commands.runs import run_runs_command
    from tradetui.config import load_config, research_database_path

    config = load_config(args.config) if args.config else None
    return run_runs_command(args, research_database_path(config, args.data_dir))
