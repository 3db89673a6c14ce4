"""`tradetui` with no command: a trading session (the demo, or the config's paper, replay or live
session) in the TUI or headless (``--no-ui``), with its control API for ``ctl`` and ``attach``.

Its options (``--no-ui``, ``--live``, ``--speed``, ``--max-bars``, the log options) are the
top-level parser's, defined in :mod:`tradetui.cli` so ``tradetui --help`` lists them without
importing this module; so this module has ``run`` and no ``add_arguments``. Everything heavy (the
engine, storage, the exchange clients, Textual) is imported inside, once it is known what runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tradetui.errors import ConfigError

if TYPE_CHECKING:
    from tradetui.engine.handle import EngineHandle
    from tradetui.session.backtests import BacktestService
    from tradetui.ui.app import TradeTuiApp

log = logging.getLogger("tradetui")


def run(args: argparse.Namespace) -> int:
    """Run the session until it stops; its exit status."""
    from tradetui.config import Mode, data_dir, database_path, demo_config, load_config, research_database_path

    config = load_config(args.config) if args.config else demo_config()
    rehearsal = config.exchange_api.is_local  # the sandbox on this machine: no real money
    if config.mode is Mode.LIVE and not args.live and not rehearsal:
        raise ConfigError(
            f'config {config.source_path} trades real money (mode = "live"): add --live to the command line to confirm'
        )
    if args.live and config.mode is not Mode.LIVE:
        raise ConfigError(f'--live was given but config {config.source_path or "demo"} is mode = "{config.mode}"')
    access_key = None  # a live account's records are kept apart by a tag of its key
    if config.mode is Mode.LIVE and not rehearsal:
        from tradetui.credentials import env_names, load_keys

        keys = load_keys(config.exchange)
        if keys is None:
            access, secret = env_names(config.exchange)
            raise ConfigError(
                f"live trading needs {config.exchange.value} API keys: run `tradetui keys set {config.exchange.value}` "
                f"or set {access} and {secret}"
            )
        access_key = keys.access_key
    from tradetui.headless.runner import run_headless

    database = database_path(config, args.data_dir, access_key=access_key)
    research = research_database_path(None, args.data_dir)
    log_file = data_dir(args.data_dir) / "tradetui.log"
    if not args.no_ui:
        from tradetui.logging_setup import LogRotation, configure_file_logging, levels_for

        level, library_level = levels_for(args.verbose)
        configure_file_logging(
            log_file,
            level=level,
            library_level=library_level,
            rotation=LogRotation.from_megabytes(args.log_max_mb, args.log_backups),
        )
    from tradetui.commands.state import warn_about_shared_database

    shared = warn_about_shared_database(research, database)

    async def run_session() -> int:
        if config.feed.source == "exchange":
            from tradetui.commands.live import build_exchange_session

            session = await build_exchange_session(config, database=database, research_database=research)
        else:
            from tradetui.commands.run import build_session

            session = build_session(
                config,
                database=database,
                research_database=research,
                speed=args.speed,
                max_bars=args.max_bars,
                now_s=int(time.time()),
            )
        if shared is not None:  # on the timeline too, where the TUI shows it
            from tradetui.core.events import Notice, Severity

            handle = session.handle
            handle.emit([Notice(handle.clock.now_ms(), shared, Severity.WARNING, source="storage")])
        loop = asyncio.get_running_loop()
        early: list[signal.Signals] = []
        if args.no_ui:  # a stop signal during start-up stops cleanly too (run_headless logs later ones)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, session.handle.request_stop)
        else:  # a hang-up while the interface loads (seconds on a busy machine) is noted, not fatal
            for sig in (signal.SIGHUP, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.add_signal_handler(sig, early.append, sig)
        from tradetui.control.server import start_control_server

        control = await start_control_server(
            session.handle, data_dir=data_dir(args.data_dir), request_timeout_s=config.control.request_timeout_s
        )
        from tradetui.commands.alerts import build_alerts

        alerts = build_alerts(config, session.handle)
        alert_task = asyncio.create_task(alerts.run(), name="alerts") if alerts is not None else None
        try:
            if args.no_ui:
                return await run_headless(session.handle)
            from tradetui.backtest.service import SessionBacktests

            return await run_interface(
                session.handle,
                theme=config.ui.theme,
                keys=config.ui.keys,
                log_file=log_file,
                backtests=SessionBacktests(session.spec),  # the TUI's backtests run under this session's rules
                signalled=early,
            )
        finally:
            if alerts is not None and alert_task is not None:
                await alerts.close()
                alert_task.cancel()
                await asyncio.gather(alert_task, return_exceptions=True)
            if control is not None:
                await control.stop()
            session.journal.close()

    return asyncio.run(run_session())


async def run_interface(
    handle: EngineHandle,
    *,
    log_file: Path,
    theme: str | None = None,
    keys: Mapping[str, str] | None = None,
    app_type: type[TradeTuiApp] | None = None,
    headless: bool = False,
    backtests: BacktestService | None = None,
    signalled: Sequence[signal.Signals] = (),
) -> int:
    """The TUI on a running session until it closes. However it closes, the engine is stopped:
    an engine the interface did not stop (the app failed) is stopped the way SIGINT stops a
    headless one (orders cancelled, positions and stops stored, "state stored" logged).

    ``signalled``: hang-ups and SIGTERMs that came while the session started (the caller's
    handlers noted them): the interface is not opened, the engine is stopped the same way."""
    loop = asyncio.get_running_loop()
    signals: list[signal.Signals] = []
    received: list[str] = []
    app: TradeTuiApp | None = None

    def on_signal(sig: signal.Signals) -> None:
        # the terminal went away (an SSH session dropped: SIGHUP) or the process is asked to
        # stop (SIGTERM): close the interface; the engine is stopped below, cleanly
        log.warning("received %s: closing the interface and stopping the engine", sig.name)
        received.append(sig.name)
        if app is not None:
            app.exit(return_code=128 + int(sig))

    if not headless:  # before the interface's imports, which take seconds on a busy machine
        for sig in (signal.SIGHUP, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, on_signal, sig)
                signals.append(sig)
    for sig in signalled:
        on_signal(sig)
    from tradetui.ui.app import TradeTuiApp

    app = (app_type or TradeTuiApp)(handle, theme=theme, keys=keys, backtests=backtests)
    try:
        if not received:
            await app.run_async(headless=headless)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        if not handle.is_shut_down:
            why = f"on {received[0]}" if received else "unexpectedly"
            log.error("the interface closed %s (exit code %s); stopping the engine cleanly", why, app.return_code)
            with contextlib.suppress(OSError):  # the terminal may be gone
                print(
                    f"tradetui: the interface closed {why} (details in {log_file}); stopping the engine: "
                    "open orders are cancelled and the state is stored",
                    file=sys.stderr,
                )
            await handle.shutdown()
    if received and app.return_code is None:  # stopped before the interface opened
        return 128 + int(signal.Signals[received[0]])
    return app.return_code or 0
