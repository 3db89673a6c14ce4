"""The top bar: mode badge, exchange, connection, equity, day PnL against the limit, engine
state and the KST clock."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tradetui.core.events import EngineState
from tradetui.engine.read_model import EngineSnapshot
from tradetui.ui.formatting import krw, kst_time

_MODE_STYLE = {"DEMO": "bold black on cyan", "PAPER": "bold black on yellow", "LIVE": "bold white on red"}
_STATE_STYLE = {
    EngineState.RUNNING: "bold black on green",
    EngineState.PAUSED: "bold black on yellow",
    EngineState.REDUCE_ONLY: "bold black on dark_orange",
    EngineState.HALTED: "bold white on red",
}


class StatusBar(Static):
    DEFAULT_CSS = "StatusBar { height: 1; }"

    data: reactive[EngineSnapshot | None] = reactive(None, layout=False)
    connection: reactive[str] = reactive("offline")

    def render(self) -> Text:
        snap = self.data
        line = Text(no_wrap=True, overflow="ellipsis")
        if snap is None:
            return line.append(" tradetui — starting… ", style="bold")
        line.append(f" {snap.mode} ", style=_MODE_STYLE.get(snap.mode, "bold reverse"))
        line.append(f" {snap.state.value} ", style=_STATE_STYLE[snap.state])
        line.append(f" {snap.exchange} ", style="bold")
        healthy = self.connection.startswith(("connected", "simulated", "attached"))
        conn_style = "green" if healthy else "yellow"
        line.append(f"● {self.connection} ", style=conn_style)
        line.append(" equity ", style="dim")
        line.append(f"{krw(snap.equity)} ", style="bold")
        risk = snap.risk
        day_style = "green" if risk.day_pnl > 0 else "red" if risk.day_pnl < 0 else ""
        line.append(" day ", style="dim")
        line.append(f"{krw(risk.day_pnl, signed=True)}", style=day_style)
        if risk.daily_loss_limit_krw:
            line.append(f" / -{krw(risk.daily_loss_limit_krw)} ({risk.daily_loss_used_pct:.0f}% used) ", style="dim")
        line.append(f"  {kst_time(snap.ts_ms)} KST", style="dim")
        return line
