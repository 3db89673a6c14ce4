"""Command line: argument parsing and dispatch; with no command, a trading session
(:mod:`tradetui.commands.session`).

Errors a trader can fix (config, CLI arguments, data files) print one line naming the problem
and the fix, and exit with status 2 — no traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from tradetui import __version__
from tradetui.errors import ConfigError, DataError, TradetuiError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"error: {message} (see `{self.prog} --help`)\n")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tradetui",
        description="A trading bot for the KRW markets of Upbit and Bithumb. With no config it runs the offline demo.",
    )
    parser.add_argument("--version", action="version", version=f"tradetui {__version__}")
    parser.add_argument("--config", metavar="FILE", help="TOML config (see sample_configs/); default: the demo")
    parser.add_argument("--no-ui", action="store_true", help="run headless: logs on stderr, stop with Ctrl-C")
    parser.add_argument("--live", action="store_true", help="allow real orders (needs a live config and keys)")
    parser.add_argument("--speed", type=_positive_float, metavar="X", help="candles per second of the demo (default 1)")
    parser.add_argument("--max-bars", type=_positive_int, metavar="N", help="stop after N candles (demo/replay)")
    parser.add_argument("--data-dir", metavar="DIR", help="where the database lives (default: platform data dir)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text", help="headless log format")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="debug logging; -vv also the libraries' debug lines"
    )
    parser.add_argument(
        "--log-file",
        metavar="FILE",
        help="headless: also write the log to FILE (rotated; the TUI always logs to a file)",
    )
    parser.add_argument(
        "--log-max-mb", type=_positive_float, default=10.0, metavar="MB", help="rotate a log file at this size (10)"
    )
    parser.add_argument("--log-backups", type=_positive_int, default=5, metavar="N", help="rotated log files kept (5)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    bt = sub.add_parser(
        "backtest",
        help="run a strategy over stored or CSV candles and report; list and show stored runs",
        description=(
            "Run a strategy over candles and print its report; the run is stored. The candles come from "
            "--data FILE, or, without --data, from the candle store (what `data import`/`data fetch` wrote) "
            "for --market and --timeframe. `backtest list` lists the stored runs, `backtest show N` prints "
            "run N's report again."
        ),
    )
    bt.add_argument(
        "action",
        nargs="?",
        choices=("list", "show"),
        help="list the stored runs, or show one run's report (leave out to run a backtest)",
    )
    bt.add_argument("run_id", nargs="?", metavar="N", help="the stored run to show: `backtest show N`")
    bt.add_argument("--config", dest="bt_config", metavar="FILE", help='backtest config (mode = "backtest")')
    bt.add_argument(
        "--data", action="append", metavar="FILE", help="candle CSV(.gz) or Upbit JSON; repeat for a portfolio"
    )
    bt.add_argument(
        "--market",
        dest="bt_market",
        action="append",
        metavar="CODE",
        help="without --data: a market in the candle store, e.g. KRW-BTC; repeat for a portfolio "
        "(default: the config's [feed] markets)",
    )
    bt.add_argument(
        "--timeframe",
        dest="bt_timeframe",
        metavar="TF",
        help="without --data: the stored candles' timeframe (default: the config's, else 1m or the finest stored)",
    )
    bt.add_argument(
        "--repair",
        action="store_true",
        help="sort rows that are out of time order and drop exact duplicate rows (says how many) instead of refusing",
    )
    bt.add_argument("--strategy", metavar="NAME", help="strategy name (default: breakout, or the config's)")
    bt.add_argument("--param", action="append", metavar="KEY=VALUE", help="strategy parameter, e.g. lookback=30")
    bt.add_argument("--from", dest="start", metavar="DATE", help="first moment (UTC), e.g. 2025-09-01")
    bt.add_argument("--to", dest="end", metavar="DATE", help="end (UTC, exclusive)")
    bt.add_argument("--cash", metavar="KRW", help="starting cash (default 10000000)")
    bt.add_argument("--fee", metavar="RATE", help="fee rate overriding the dated exchange fee, e.g. 0.0005")
    bt.add_argument("--slippage-bps", type=float, metavar="BPS", help="market-order slippage (default 5)")
    bt.add_argument(
        "--exchange", choices=("upbit", "bithumb"), help="whose rules apply and whose stored candles (default upbit)"
    )
    bt.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    bt.add_argument("--export", metavar="DIR", help="write trades.csv, equity.csv and report.json to DIR")
    bt.add_argument("--no-store", action="store_true", help="do not store the run in the database")
    bt.add_argument("--data-dir", dest="bt_data_dir", metavar="DIR", help="where the database lives")
    bt.add_argument(
        "--limit", dest="bt_limit", type=_positive_int, default=50, metavar="N", help="runs `backtest list` shows"
    )

    data = sub.add_parser("data", help="import and check candle data")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    imp = data_sub.add_parser("import", help="import a candle CSV(.gz) or Upbit candle JSON into the database")
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
    imp.add_argument("--data-dir", dest="data_data_dir", metavar="DIR")
    fetch = data_sub.add_parser("fetch", help="download candles from the exchange into the database (resumable)")
    fetch.add_argument("--exchange", choices=("upbit", "bithumb"), default="upbit")
    fetch.add_argument("--market", required=True, help="e.g. KRW-BTC")
    fetch.add_argument("--timeframe", default="1m", help="1m, 3m, 5m, 10m, 15m, 30m, 60m, 240m, 1d")
    fetch.add_argument("--from", dest="start", required=True, metavar="DATE", help="first moment (UTC)")
    fetch.add_argument("--to", dest="end", metavar="DATE", help="end (UTC, exclusive; default now)")
    fetch.add_argument("--base-url", metavar="URL", help="another REST base, e.g. the sandbox http://127.0.0.1:PORT")
    fetch.add_argument("--data-dir", dest="data_data_dir", metavar="DIR")
    chk = data_sub.add_parser("check", help="report gaps, spikes and OHLC problems of a file or stored series")
    chk.add_argument("file", nargs="?", metavar="FILE")
    chk.add_argument("--exchange", choices=("upbit", "bithumb"), default="upbit")
    chk.add_argument("--market", help="stored series to check (with --timeframe)")
    chk.add_argument("--timeframe")
    chk.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    chk.add_argument("--data-dir", dest="data_data_dir", metavar="DIR")
    sub.add_parser("strategies", help="list the available strategies and their parameters")

    from tradetui.commands.doctor import add_doctor_parser
    from tradetui.commands.sandbox import add_sandbox_parser

    add_sandbox_parser(sub)
    add_doctor_parser(sub)
    from tradetui.commands.attach import add_attach_parser
    from tradetui.commands.ctl import add_ctl_parser

    add_ctl_parser(sub)
    add_attach_parser(sub)

    keys = sub.add_parser("keys", help="store, show (masked) or delete API keys in the OS keyring")
    keys_sub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    for action, text in (
        ("set", "store keys (prompted, never echoed)"),
        ("show", "show the keys masked"),
        ("delete", "remove the stored keys"),
    ):
        act = keys_sub.add_parser(action, help=text)
        act.add_argument("exchange", choices=("upbit", "bithumb"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _dispatch(parser, args)
    except (ConfigError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TradetuiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from tradetui.logging_setup import LogRotation, configure_logging, levels_for

    def log_to_stderr(quiet_level: int = logging.INFO) -> None:
        level, library_level = levels_for(args.verbose, quiet_level=quiet_level)
        configure_logging(
            fmt=args.log_format,
            level=level,
            library_level=library_level,
            log_file=args.log_file,
            rotation=LogRotation.from_megabytes(args.log_max_mb, args.log_backups),
        )

    if args.command == "backtest":
        from tradetui.commands.backtest import run_backtest_command

        log_to_stderr(logging.WARNING)
        return run_backtest_command(args)
    if args.command == "data":
        from tradetui.commands.data import run_data_command

        log_to_stderr(logging.WARNING)
        return run_data_command(args)
    if args.command == "sandbox":
        from tradetui.commands.sandbox import run_sandbox_command

        log_to_stderr()
        return run_sandbox_command(args)
    if args.command == "doctor":
        from tradetui.commands.doctor import run_doctor_command

        log_to_stderr(logging.WARNING)
        return run_doctor_command(args)
    if args.command == "keys":
        from tradetui.commands.keys import run_keys_command

        return run_keys_command(args)
    if args.command == "ctl":
        from tradetui.commands.ctl import run_ctl_command

        return run_ctl_command(args)
    if args.command == "attach":
        from tradetui.commands.attach import run_attach_command

        return run_attach_command(args)
    if args.command == "strategies":
        from tradetui.commands.listing import print_strategies

        return print_strategies()
    from tradetui.commands.session import run as run_session

    log_to_stderr()
    return run_session(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
