"""`tradetui attach`: the TUI on an engine running in another process (usually headless).

    tradetui attach [--data-dir DIR] [--theme NAME]

Quitting detaches: the engine keeps running. The kill switch, pause/resume and strategy toggles
go to the remote engine through its control API.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from tradetui.control.client import AsyncControlClient
from tradetui.control.endpoint import ControlError, EngineNotRunning, token_file_path
from tradetui.control.remote_handle import RemoteHandle

EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Open the TUI on an engine started elsewhere (e.g. `tradetui --no-ui`) through its control API."
    )
    parser.add_argument("--theme", dest="attach_theme", metavar="NAME", help="UI theme")


def run(args: argparse.Namespace) -> int:
    from tradetui.config import data_dir
    from tradetui.logging_setup import LogRotation, configure_file_logging, levels_for

    directory = data_dir(args.data_dir)
    level, library_level = levels_for(args.verbose)
    configure_file_logging(
        directory / "attach.log",
        level=level,
        library_level=library_level,
        rotation=LogRotation.from_megabytes(args.log_max_mb, args.log_backups),
    )
    try:
        return asyncio.run(_attach(token_file_path(directory), args.attach_theme, directory))
    except EngineNotRunning as exc:
        print(f"error: {exc} (start one with `tradetui --no-ui`, or pass --data-dir)", file=sys.stderr)
        return EXIT_USAGE
    except ControlError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


async def _attach(token_file: Path, theme: str | None, directory: Path) -> int:
    from tradetui.backtest.service import SessionBacktests
    from tradetui.commands.runs import BacktestRunStore
    from tradetui.config import research_database_path
    from tradetui.ui.app import TradeTuiApp

    # a backtest run in the attached TUI is stored where the engine lists runs from
    runs = BacktestRunStore(research_database_path(None, directory))
    handle = RemoteHandle(AsyncControlClient(token_file), runs=runs)
    try:
        await handle.refresh()  # fails here, before the screen opens, when nothing answers
        # a RemoteHandle is an EngineControl, as the screens need; backtests run here, under the
        # default session's rules (the engine's config is not read over the control API)
        app = TradeTuiApp(handle, theme=theme, backtests=SessionBacktests())
        await app.run_async()
        return app.return_code or 0
    finally:
        await handle.shutdown()
