"""`tradetui data import|fetch|check`: fill the candle store (backtests without --data read it)
and check candles for gaps, spikes and OHLC problems.

This module is the command line; the work is :mod:`tradetui.commands.data_candles`, imported
when an action runs (pandas, SQLAlchemy and the exchange client are not needed for ``--help``).
"""

from __future__ import annotations

import argparse

from tradetui.cli import shared_options

_DATA_DIR = "where the database lives"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    after = [shared_options(data_dir=_DATA_DIR)]  # `data import F --data-dir D` as well as `data --data-dir D import F`
    imp = actions.add_parser(
        "import", parents=after, help="import a candle CSV(.gz) or Upbit candle JSON into the database"
    )
    imp.add_argument("file", metavar="FILE")
    imp.add_argument(
        "--exchange", choices=("upbit", "bithumb"), help="whose candles these are (default: the file name's, or upbit)"
    )
    imp.add_argument(
        "--market", help="market code when the file name does not tell, or to store a non-KRW file as a KRW market"
    )
    imp.add_argument(
        "--repair",
        action="store_true",
        help="sort rows that are out of time order and drop exact duplicate rows (says how many) instead of refusing",
    )
    imp.add_argument("--timeframe", help="1m, 5m, 60m, 1d … when the file name does not tell")
    fetch = actions.add_parser(
        "fetch", parents=after, help="download candles from the exchange into the database (resumable)"
    )
    fetch.add_argument("--exchange", choices=("upbit", "bithumb"), default="upbit")
    fetch.add_argument("--market", required=True, help="e.g. KRW-BTC")
    fetch.add_argument("--timeframe", default="1m", help="1m, 3m, 5m, 10m, 15m, 30m, 60m, 240m, 1d")
    fetch.add_argument("--from", dest="start", required=True, metavar="DATE", help="first moment (UTC)")
    fetch.add_argument("--to", dest="end", metavar="DATE", help="end (UTC, exclusive; default now)")
    fetch.add_argument("--base-url", metavar="URL", help="another REST base, e.g. the sandbox http://127.0.0.1:PORT")
    chk = actions.add_parser(
        "check", parents=after, help="report gaps, spikes and OHLC problems of a file or stored series"
    )
    chk.add_argument("file", nargs="?", metavar="FILE")
    chk.add_argument("--exchange", choices=("upbit", "bithumb"), default="upbit")
    chk.add_argument("--market", help="stored series to check (with --timeframe)")
    chk.add_argument("--timeframe")
    chk.add_argument("--json", action="store_true", help="print the report as JSON on stdout")


def run(args: argparse.Namespace) -> int:
    from tradetui.commands import data_candles

    action = {"import": data_candles.import_file, "fetch": data_candles.fetch, "check": data_candles.check}
    return action[args.data_command](args)
