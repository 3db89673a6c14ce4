"""The tradetui app: the engine runs as a background worker; the screens read its model and
send its commands through the ``EngineHandle`` — nothing here talks to an exchange or a
database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.screen import Screen

from tradetui.engine.handle import EngineHandle
from tradetui.ui.refusal import refusals
from tradetui.ui.screens.dashboard import Dashboard
from tradetui.ui.screens.help_screen import HelpScreen
from tradetui.ui.screens.kill_dialog import ConfirmQuit, KillDialog
from tradetui.ui.themes import load_themes


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


class TradeTuiApp(App[int]):
    CSS_PATH = "app.tcss"
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
        Binding("ctrl+c,ctrl+q", "force_quit", "Quit at once", show=False, priority=True, id="force_quit"),
    ]

    def __init__(
        self,
        handle: EngineHandle,
        *,
        theme: str | None = None,
        themes_dir: Path | None = None,
        start_engine: bool = True,
        keys: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.handle = handle
        self._start_engine = start_engine
        self._theme_name = theme
        self._themes_dir = themes_dir
        self._keys = dict(keys or {})

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

    @property
    def dashboard(self) -> Dashboard | None:
        for screen in self.screen_stack:
            if isinstance(screen, Dashboard):
                return screen
        return None

    async def _stop_engine(self) -> None:
        await self.handle.shutdown()

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
            else:
                self.notify(f"engine is {state.value}; pause/resume does not apply", severity="warning")

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

    def action_open(self, name: str) -> None:
        """Open a screen on top of the dashboard (esc comes back)."""
        from tradetui.ui.screens.backtest import BacktestScreen
        from tradetui.ui.screens.history import HistoryScreen
        from tradetui.ui.screens.logs import LogsScreen
        from tradetui.ui.screens.settings import SettingsScreen
        from tradetui.ui.screens.strategies import StrategiesScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, Dashboard):
            self.pop_screen()
        if type(self.screen).__name__.lower().startswith(name):
            return
        screen: Screen[None]
        with refusals(self, f"opening {name}"):  # e.g. attached, the risk settings not fetched yet
            if name == "strategies":
                screen = StrategiesScreen(self.handle)
            elif name == "backtest":
                screen = BacktestScreen(self.handle)
            elif name == "settings":
                screen = SettingsScreen(self.handle)
            elif name == "logs":
                screen = LogsScreen(self.handle)
            else:
                screen = HistoryScreen(self.handle)
            self.push_screen(screen)

    def action_search_market(self) -> None:
        self.action_command_palette()

    def select_market(self, market: str) -> None:
        board = self.dashboard
        if board is not None:
            board.selected = market
            board.refresh_views()

    def action_help(self) -> None:
        keys: dict[tuple[str, str], list[str]] = {}  # the live bindings: remapped keys show as they are
        for active in self.active_bindings.values():
            binding = active.binding
            if binding.description and active.node is self:  # the app's keys, not a table's cursor
                keys.setdefault((binding.action, binding.description), []).append(self.get_key_display(binding))
        order = {b.action: k for k, b in enumerate(self.BINDINGS) if isinstance(b, Binding)}
        ranked = sorted(keys.items(), key=lambda item: order.get(item[0][0], len(order)))
        rows = [(", ".join(dict.fromkeys(shown)), description) for (_, description), shown in ranked]
        rows.append(("esc", "close a dialog, go back"))
        self.push_screen(HelpScreen(rows))

    async def action_quit_app(self) -> None:
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
