"""Command line: the table of commands, argument parsing and dispatch.

Each command lives in its own module, ``tradetui/commands/<name>.py``, with the same shape:
``add_arguments(parser)`` adds its options to its subparser and ``run(args) -> int`` runs it.
:data:`COMMANDS` names them with their one-line help, so ``tradetui --help`` lists every command
without importing one, and a command line imports only the module of the command it names: start-up
is paid for what runs (``tradetui --version`` imports no numpy, pydantic or rich; ``tradetui
strategies`` no SQLAlchemy, pandas or aiohttp). With no command, ``tradetui`` runs a trading session
(:mod:`tradetui.commands.session`): the demo, or the config's paper or live session, in the TUI or
headless.

``--config``, ``--data-dir`` and ``-v`` are defined once (:func:`shared_options`) and taken before or
after the command name, always read back as ``args.config``, ``args.data_dir`` and ``args.verbose``.

Errors a trader can fix (config, CLI arguments, data files) print one line naming the problem
and the fix, and exit with status 2 — no traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, cast

from tradetui import __version__
from tradetui.errors import ConfigError, DataError, TradetuiError

EXIT_USAGE = 2


@dataclass(frozen=True, slots=True)
class Command:
    """One ``tradetui COMMAND``: what the table knows without importing the command's module."""

    name: str
    module: str
    """Its module: ``add_arguments(parser)`` and ``run(args) -> int``."""
    help: str
    """The line ``tradetui --help`` shows."""
    config: str | None = None
    """What ``--config`` means after the command name (its help text); None: the command reads no config."""
    data_dir: str | None = None
    """What ``--data-dir`` means after the command name; None: the command uses no data dir."""
    stderr_log: int | None = None
    """The level below which nothing is logged to stderr (``-v`` lowers it); None: the command sets
    up its own logging, or logs nothing."""


COMMANDS: tuple[Command, ...] = (
    Command(
        "backtest",
        "tradetui.commands.backtest",
        "run a strategy over stored or CSV candles and report; list and show stored runs",
        config='backtest config (mode = "backtest")',
        data_dir="where the database lives",
        stderr_log=logging.WARNING,
    ),
    Command(
        "data",
        "tradetui.commands.data",
        "import and check candle data",
        data_dir="where the database lives",
        stderr_log=logging.WARNING,
    ),
    Command("strategies", "tradetui.commands.strategies", "list the available strategies and their parameters"),
    Command(
        "sandbox",
        "tradetui.commands.sandbox",
        "run a local fake Upbit/Bithumb exchange (REST + WebSocket) on 127.0.0.1",
        stderr_log=logging.INFO,
    ),
    Command(
        "doctor",
        "tradetui.commands.doctor",
        "check config, keys and permissions, clock, connectivity, rate limits and the database",
        config="TOML config (default: the demo)",
        data_dir="where the database lives",
        stderr_log=logging.WARNING,
    ),
    Command(
        "ctl",
        "tradetui.commands.ctl",
        "steer a running engine: status, pause, resume, kill, reset, strategy on/off, metrics",
        data_dir="where the running engine keeps its data",
    ),
    Command(
        "attach",
        "tradetui.commands.attach",
        "the TUI on a running engine (quitting leaves it running)",
        data_dir="where the running engine keeps its data",
    ),
    Command("keys", "tradetui.commands.keys", "store, show (masked) or delete API keys in the OS keyring"),
)

SESSION = Command("", "tradetui.commands.session", "the trading session (no command)", stderr_log=logging.INFO)
"""What ``tradetui`` runs without a command; its options are the top-level parser's."""

_BY_NAME = {command.name: command for command in COMMANDS}


class CommandModule(Protocol):
    """The shape of every ``tradetui.commands.<name>`` module in :data:`COMMANDS` (the session's,
    :data:`SESSION`, has only ``run``: its options are the top-level parser's)."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"error: {message} (see `{self.prog} --help`)\n")


def positive_float(text: str) -> float:
    """An argparse ``type``: a number above 0, or the one-line usage error saying what is wrong."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def positive_int(text: str) -> int:
    """An argparse ``type``: a whole number above 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def shared_options(
    *, config: str | None = None, data_dir: str | None = None, after_command: bool = True
) -> argparse.ArgumentParser:
    """``--config``, ``--data-dir`` and ``-v``, for ``parents=[...]`` of a parser: the top-level
    one (``after_command=False``) and, after the command name, each command's and each of its
    actions' (``data import``, ``ctl status`` …), so the options go either side of the name.

    ``config``/``data_dir`` are the options' help texts; None leaves the option out (after the
    command: that command does not use it). After the command the defaults are
    ``argparse.SUPPRESS``: a subparser's default would otherwise overwrite the value given
    before the command name."""
    parent = argparse.ArgumentParser(add_help=False)
    if config is not None:
        parent.add_argument(
            "--config", metavar="FILE", default=argparse.SUPPRESS if after_command else None, help=config
        )
    if data_dir is not None:
        parent.add_argument(
            "--data-dir", metavar="DIR", default=argparse.SUPPRESS if after_command else None, help=data_dir
        )
    parent.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS if after_command else 0,
        help="debug logging; -vv also the libraries' debug lines",
    )
    return parent


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: every command listed, only the one ``argv`` names given its
    arguments (its module imported). Without ``argv``: every command's arguments, every command
    module imported (for tests and documentation)."""
    parser: argparse.ArgumentParser = _Parser(
        prog="tradetui",
        description="A trading bot for the KRW markets of Upbit and Bithumb. With no config it runs the offline demo.",
        parents=[
            shared_options(
                config="TOML config (see sample_configs/); default: the demo",
                data_dir="where the database lives (default: platform data dir)",
                after_command=False,
            )
        ],
    )
    parser.add_argument("--version", action="version", version=f"tradetui {__version__}")
    parser.add_argument("--no-ui", action="store_true", help="run headless: logs on stderr, stop with Ctrl-C")
    parser.add_argument("--live", action="store_true", help="allow real orders (needs a live config and keys)")
    parser.add_argument("--speed", type=positive_float, metavar="X", help="candles per second of the demo (default 1)")
    parser.add_argument("--max-bars", type=positive_int, metavar="N", help="stop after N candles (demo/replay)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text", help="headless log format")
    parser.add_argument(
        "--log-file",
        metavar="FILE",
        help="headless: also write the log to FILE (rotated; the TUI always logs to a file)",
    )
    parser.add_argument(
        "--log-max-mb", type=positive_float, default=10.0, metavar="MB", help="rotate a log file at this size (10)"
    )
    parser.add_argument("--log-backups", type=positive_int, default=5, metavar="N", help="rotated log files kept (5)")
    named = None if argv is None else command_named(parser, argv)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command_parser = sub.add_parser(
            command.name,
            help=command.help,
            parents=[shared_options(config=command.config, data_dir=command.data_dir)],
        )
        if argv is None or command.name == named:
            _load(command).add_arguments(command_parser)
    return parser


def command_named(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """The first token of ``argv`` that is neither an option of ``parser`` nor an option's value
    (whatever it names; argparse judges it), or None. Which options take a value, and how many,
    comes from ``parser``'s own actions, abbreviations (``--data`` for ``--data-dir``) included."""
    values_of: dict[str, int] = {}
    for action in parser._actions:
        count = action.nargs if isinstance(action.nargs, int) else 1  # "?", "*", "+" (none at the top level): one
        for option in action.option_strings:
            values_of[option] = count
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            return next(tokens, None)
        if not token.startswith("-") or token == "-":
            return token
        if token.startswith("--"):
            name, attached, _ = token.partition("=")
            matches = [option for option in values_of if option.startswith(name) and option.startswith("--")]
            exact = name if name in values_of else (matches[0] if len(matches) == 1 else None)
            skip = 0 if exact is None or attached else values_of[exact]
        else:  # -v, -vv, or a short option with its value attached (-xVALUE) or next
            skip = 0
            for k, letter in enumerate(token[1:], start=1):
                count = values_of.get(f"-{letter}", 0)
                if count:
                    skip = count if k == len(token) - 1 else count - 1
                    break
        for _ in range(skip):
            next(tokens, None)
    return None


def _load(command: Command) -> CommandModule:
    # the import statement's machinery, not importlib.import_module: only imports made through it
    # are listed by `python -X importtime`, which is how start-up is looked at
    __import__(command.module)
    return cast(CommandModule, sys.modules[command.module])


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: parse ``argv`` (default ``sys.argv[1:]``), run the command it names
    (one lookup in :data:`COMMANDS`; none: the session) and return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    command = _BY_NAME.get(args.command, SESSION)
    try:
        if command.stderr_log is not None:
            _log_to_stderr(args, command.stderr_log)
        code = _load(command).run(args)
        sys.stdout.flush()  # a reader that went away is noticed here, not in the interpreter's last flush
        return code
    except (ConfigError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TradetuiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`... | head`): nothing more to say, no traceback
        _silence_stdout()
        return 141  # what a shell reports for a writer stopped by SIGPIPE


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail on the closed pipe
    (the way the Python documentation recommends for SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _log_to_stderr(args: argparse.Namespace, quiet_level: int) -> None:
    from tradetui.logging_setup import LogRotation, configure_logging, levels_for

    level, library_level = levels_for(args.verbose, quiet_level=quiet_level)
    configure_logging(
        fmt=args.log_format,
        level=level,
        library_level=library_level,
        log_file=args.log_file,
        rotation=LogRotation.from_megabytes(args.log_max_mb, args.log_backups),
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
