"""The tradetui app: the engine runs as a background worker; the screens read its model and
send its commands through the ``EngineControl`` — nothing here talks to an exchange or a
database."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path

from textual.actions import ActionParseResult
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette, Hit, Hits, Provider
from textual.dom import DOMNode, NoScreen
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import NoActiveWorker, Worker, WorkerState, get_current_worker

from tradetui.engine.handle import EngineControl
from tradetui.session.backtests import BacktestService
from tradetui.ui.containment import failures, teardown_races
from tradetui.ui.refusal import refusals
from tradetui.ui.screens.dashboard import Dashboard
from tradetui.ui.screens.help_screen import HelpScreen
from tradetui.ui.screens.kill_dialog import ConfirmQuit, KillDialog, ResetDialog
from tradetui.ui.themes import load_themes

log = logging.getLogger(__name__)


class MarketCommands(Provider):
    """Command palette: jump to a market."""

    async def search(self, query: str) -> Hits:
        app = self.app
        assert isinstance(app, TradeTuiApp)
        matcher = self.matcher(query)
        for market in app.handle.market_codes():
            score = matcher.match(f"market {market}")
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(f"market {market}"),
                    partial(app.select_market, market),
                    help="show this market on the dashboard",
                )


GC_THRESHOLDS = (10_000, 20, 20)
"""gc.set_threshold while the app runs (CPython's default: 700, 10, 10)."""


class TradeTuiApp(App[int]):
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere find it too
    TITLE = "tradetui"
    COMMANDS = App.COMMANDS | {MarketCommands}
    BINDINGS = [
        Binding("k", "kill", "Kill switch", id="kill"),
        Binding("p", "toggle_pause", "Pause/resume", id="pause"),
        Binding("t", "toggle_strategy", "Toggle strategy", id="toggle_strategy"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("slash", "search_market", "Market", id="search"),
        Binding("right_square_bracket", "timeframe(1)", "Timeframe +", id="timeframe_up"),
        Binding("left_square_bracket", "timeframe(-1)", "Timeframe -", show=False, id="timeframe_down"),
        Binding("s", "open('strategies')", "Strategies", id="screen_strategies"),
        Binding("b", "open('backtest')", "Backtest", id="screen_backtest"),
        Binding("e", "open('settings')", "Settings", id="screen_settings"),
        Binding("l", "open('logs')", "Logs", id="screen_logs"),
        Binding("h", "open('history')", "History", id="screen_history"),
        Binding("q", "quit_app", "Quit", id="quit"),
        # ctrl+c asks like q (a second ctrl+c answers yes); ctrl+q is the quit that never asks
        Binding("ctrl+c", "quit_app", "Quit", show=False, priority=True, id="quit_ctrl_c"),
        Binding("ctrl+q", "force_quit", "Quit at once", show=False, priority=True, id="force_quit"),
    ]

    def __init__(
        self,
        handle: EngineControl,
        *,
        theme: str | None = None,
        themes_dir: Path | None = None,
        start_engine: bool = True,
        keys: Mapping[str, str] | None = None,
        backtests: BacktestService | None = None,
    ) -> None:
        super().__init__()
        self.handle = handle
        self.backtests = backtests
        """Runs backtests under the running session's rules, money and strategies (the backtest
        screen) and renders stored runs' reports (history); given by the composition root."""
        self._start_engine = start_engine
        self._theme_name = theme
        self._themes_dir = themes_dir
        self._keys = dict(keys or {})
        self._gc_thresholds: tuple[int, int, int] | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        for theme in load_themes(self._themes_dir):
            self.register_theme(theme)
        if self._theme_name:
            self.theme = self._theme_name
        elif "tradetui-dark" in self.available_themes:
            self.theme = "tradetui-dark"
        if self._keys:
            known = {b.id for b in self.BINDINGS if isinstance(b, Binding) and b.id}
            unknown = sorted(set(self._keys) - known)
            if unknown:
                self.notify(
                    f"[ui.keys] unknown binding id(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}",
                    severity="warning",
                    timeout=10,
                )
            self.set_keymap({k: v for k, v in self._keys.items() if k in known})
        self.push_screen(Dashboard(self.handle))
        if self._start_engine:
            self.run_worker(self.handle.run(), group="engine", exit_on_error=False, name="engine")
        self.call_after_refresh(self._settle_collector)

    def _settle_collector(self) -> None:
        """Keep the cycle collector's pauses out of the trader's way (the whole process's
        setting, so the app's, not a screen's).

        The heap built at start-up (imports, market history, the widgets: ~200k objects) is
        long-lived; left to the collector, each full pass over it stalls the UI for 0.2 s.
        Frozen, it is skipped by every collection until the app closes. What stays is the render
        caches and the engine's state (~85k objects under a 100-market feed): a full pass over
        them is ~40 ms, every ~3 s at the default thresholds. With GC_THRESHOLDS the young
        generation absorbs the UI's short-lived objects, and full passes come every few minutes
        instead (same size, memory still reclaimed)."""
        gc.freeze()
        self._gc_thresholds = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)

    def on_unmount(self) -> None:
        gc.unfreeze()
        if self._gc_thresholds is not None:
            gc.set_threshold(*self._gc_thresholds)

    @property
    def dashboard(self) -> Dashboard | None:
        for screen in self.screen_stack:
            if isinstance(screen, Dashboard):
                return screen
        return None

    async def _stop_engine(self) -> None:
        await self.handle.shutdown()

    # --- containment: nothing the interface does may take the engine down -----------------------

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Every key, palette command and click runs its action here: one that fails is logged
        and shown as a notification; the app and the engine keep running. A failure inside one of
        Textual's own widgets (seen: page-down in the command palette before its list is filled)
        is logged as a warning only: nothing of ours went wrong and nothing on screen changed."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as exc:
            name = action if isinstance(action, str) else action[1]
            if default_namespace is not None and type(default_namespace).__module__.startswith("textual."):
                teardown_races.report(f"{type(default_namespace).__name__} action {name}", exc)
                return True
            summary = failures.report(f"action {name}", exc)
            self.notify(f"{name} failed: {summary} (details in the log file)", severity="error", timeout=8)
            return True

    def _handle_exception(self, error: Exception) -> None:
        """Textual's last stop for an exception that escaped every guard: it ends the app.

        An error of a widget, screen or background job that is not the app itself is logged and
        survived: typed fast, keys tear screens down while their widgets still mount or their
        jobs still run (seen in Textual's Select and command palette), and such a widget is gone
        or going anyway. An error of the app's own loop ends the app; the log file keeps the
        traceback, and the caller (cli) stops the engine the way SIGINT does."""
        source = _failing_node(self)
        if source is not None and source is not self:
            if _is_torn_down(self, source):  # nothing on screen is affected
                teardown_races.report(type(source).__name__, error)
                return
            summary = failures.report(type(source).__name__, error)
            self.notify(f"a pane failed: {summary} (details in the log file)", severity="error", timeout=8)
            return
        log.critical("the interface failed and is closing; the engine is stopped cleanly", exc_info=error)
        super()._handle_exception(error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = worker.error if isinstance(worker.error, Exception) else RuntimeError(str(worker.error))
        if worker.name == "engine":
            summary = failures.report("engine", error)
            self.notify(f"the engine stopped: {summary}; see the log file", severity="error", timeout=30)
        else:
            summary = failures.report(f"background job {worker.name or worker.group}", error)
            self.notify(f"{worker.name or worker.group} failed: {summary}", severity="error", timeout=8)

    # --- actions -------------------------------------------------------------------------------

    def action_kill(self) -> None:
        snap = self.handle.snapshot()

        def chosen(choice: str | None) -> None:
            if choice is None:
                self.notify("kill switch not used", timeout=2)
                return
            with refusals(self, "kill switch"):
                self.handle.kill(flatten=choice == "flatten")
                self.notify(
                    "HALTED: orders cancelled" + (", positions flattened" if choice == "flatten" else ""),
                    severity="error",
                    timeout=6,
                )

        self.push_screen(KillDialog(len(snap.positions), len(snap.orders)), chosen)

    def action_toggle_pause(self) -> None:
        from tradetui.core.events import EngineState

        state = self.handle.snapshot().state
        with refusals(self, "pause/resume"):
            if state is EngineState.RUNNING:
                self.handle.pause()
                self.notify("paused: no new entries (exits still work)")
            elif state is EngineState.PAUSED:
                self.handle.resume()
                self.notify("resumed")
            elif state is EngineState.HALTED:  # resume never lifts the kill switch: an explicit reset does
                self.push_screen(ResetDialog(self.handle.reset_description()), self._reset_answered)
            else:
                self.notify(f"engine is {state.value}; pause/resume does not apply", severity="warning")

    def _reset_answered(self, yes: bool | None) -> None:
        if not yes:
            self.notify("kill switch left on: the engine stays HALTED", timeout=3)
            return
        with refusals(self, "reset"):
            text = self.handle.reset()
            self.notify(text or "the engine was not halted: nothing to reset", timeout=8)

    def action_toggle_strategy(self, name: str | None = None) -> None:
        strategies = self.handle.snapshot().strategies
        if not strategies:
            return
        target = next((s for s in strategies if s.name == name), strategies[0])
        with refusals(self, f"toggling {target.name}"):
            self.handle.set_strategy_enabled(target.name, not target.enabled)
            self.notify(f"strategy {target.name} {'disabled' if target.enabled else 'enabled'}")

    def action_timeframe(self, step: int) -> None:
        board = self.dashboard
        if board is not None:
            tf = board.cycle_timeframe(step)
            self.notify(f"chart timeframe {tf.value}", timeout=1.5)

    async def action_open(self, name: str) -> None:
        """Open a screen on top of the dashboard (esc comes back).

        Screens are closed and opened to the end before the next key is handled: a screen torn
        down while its widgets still mount fails inside Textual (seen: `b` then `s` typed fast)."""
        from tradetui.ui.screens.backtest import BacktestScreen
        from tradetui.ui.screens.history import HistoryScreen
        from tradetui.ui.screens.logs import LogsScreen
        from tradetui.ui.screens.settings import SettingsScreen
        from tradetui.ui.screens.strategies import StrategiesScreen

        if type(self.screen).__name__.lower().startswith(name):
            return
        while len(self.screen_stack) > 2 and not isinstance(self.screen, Dashboard):
            await self.pop_screen()
        screen: Screen[None] | None = None
        with refusals(self, f"opening {name}"):  # e.g. attached, the risk settings not fetched yet
            if name == "strategies":
                screen = StrategiesScreen(self.handle)
            elif name == "backtest":
                screen = BacktestScreen(self.handle, backtests=self.backtests)
            elif name == "settings":
                screen = SettingsScreen(self.handle)
            elif name == "logs":
                screen = LogsScreen(self.handle)
            else:
                screen = HistoryScreen(self.handle, backtests=self.backtests)
        if screen is not None:
            await self.push_screen(screen)

    def action_search_market(self) -> None:
        self.action_command_palette()

    def action_command_palette(self) -> None:
        """Open the command palette once, however fast the key repeats (Textual's own check
        misses a palette that is still mounting). No fixed id: a palette just closed may still
        be leaving the DOM when the next one opens."""
        if self.use_command_palette and not any(isinstance(s, CommandPalette) for s in self.screen_stack):
            self.push_screen(CommandPalette())

    def select_market(self, market: str) -> None:
        board = self.dashboard
        if board is not None:
            board.selected = market
            board.refresh_views()

    def action_help(self) -> None:
        keys: dict[tuple[str, str], list[tuple[int, str]]] = {}  # the live bindings: remapped keys show as they are
        place = {b.id: k for k, b in enumerate(self.BINDINGS) if isinstance(b, Binding) and b.id}
        for active in self.active_bindings.values():
            binding = active.binding
            if binding.description and active.node is self:  # the app's keys, not a table's cursor
                shown = (place.get(binding.id or "", len(place)), self.get_key_display(binding))
                keys.setdefault((binding.action, binding.description), []).append(shown)
        order = {b.action: k for k, b in enumerate(self.BINDINGS) if isinstance(b, Binding)}
        ranked = sorted(keys.items(), key=lambda item: order.get(item[0][0], len(order)))
        rows = [
            (", ".join(dict.fromkeys(key for _, key in sorted(shown))), description)
            for (_, description), shown in ranked
        ]
        rows.append(("esc", "close a dialog, go back"))
        self.push_screen(HelpScreen(rows))

    async def action_quit_app(self) -> None:
        if isinstance(self.screen, ConfirmQuit):  # ctrl+c pressed again while asked: that is a yes
            self.screen.dismiss(True)
            return
        snap = self.handle.snapshot()
        if (snap.positions or snap.orders) and not self.handle.is_remote:  # detaching stops nothing

            async def answered(yes: bool | None) -> None:
                if yes:
                    await self._stop_engine()
                    self.exit(0)

            self.push_screen(ConfirmQuit(len(snap.positions), len(snap.orders)), answered)
            return
        await self._stop_engine()
        self.exit(0)

    async def action_force_quit(self) -> None:
        await self._stop_engine()
        self.exit(0)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Kill switch", "Halt the engine: cancel orders, optionally flatten", self.action_kill)
        yield SystemCommand("Pause / resume entries", "No new entries while paused", self.action_toggle_pause)
        for s in self.handle.snapshot().strategies:
            yield SystemCommand(
                f"Toggle strategy {s.name}", "enable or disable it", partial(self.action_toggle_strategy, s.name)
            )
        yield SystemCommand("Chart timeframe up", "coarser candles", partial(self.action_timeframe, 1))
        yield SystemCommand("Chart timeframe down", "finer candles", partial(self.action_timeframe, -1))
        for name, text in (
            ("strategies", "enable/disable, parameters, score heatmap"),
            ("backtest", "run a backtest and read its report"),
            ("settings", "edit risk limits and strategy parameters"),
            ("logs", "every event, filtered"),
            ("history", "orders and trades"),
        ):
            yield SystemCommand(f"Open {name}", text, partial(self.action_open, name))
        yield SystemCommand("Help", "every key", self.action_help)


def _failing_node(app: App[int]) -> MessagePump | None:
    """The widget, screen or job owner whose code raised, as Textual tracks it (None: unknown)."""
    try:
        worker = get_current_worker()
    except NoActiveWorker:
        worker = None
    if worker is not None and isinstance(worker.node, MessagePump):
        return worker.node
    try:  # Textual's own record of the message pump running now (not public API: checked by tests)
        from textual._context import active_message_pump

        return active_message_pump.get(None)
    except ImportError:
        return None


def _is_torn_down(app: App[int], node: MessagePump) -> bool:
    """True when ``node`` is gone or going: detached, or on a screen no longer in the stack."""
    if not node.is_attached:
        return True
    if isinstance(node, Widget):
        try:
            screen = node.screen
        except NoScreen:
            return True
        return screen not in app.screen_stack
    return False
