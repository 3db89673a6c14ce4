"""The top bar: mode badge, exchange, connection, equity, day PnL against the limit, engine
state and the KST clock."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive

from tradetui.core.events import EngineState
from tradetui.engine.read_model import EngineSnapshot
from tradetui.ui.containment import SafeStatic
from tradetui.ui.formatting import krw, kst_time

_MODE_STYLE = {"DEMO": "bold black on cyan", "PAPER": "bold black on yellow", "LIVE": "bold white on red"}
_STATE_STYLE = {
    EngineState.RUNNING: "bold black on green",
    EngineState.PAUSED: "bold black on yellow",
    EngineState.REDUCE_ONLY: "bold black on dark_orange",
    EngineState.HALTED: "bold white on red",
}


WIDE_COLUMNS = 110
"""Below this width the bar uses its short form, so the clock and the day's PnL stay on screen."""

Segment = tuple[str, str, int]
"""Text, style and priority: when the line is too long the lowest priority goes first."""


def fit(segments: list[Segment], width: int) -> Text:
    """The segments that fit in ``width`` cells, in their order, dropping the least important."""
    kept = list(segments)
    while len(kept) > 1 and sum(len(text) for text, _, _ in kept) > width:
        kept.remove(min(kept, key=lambda seg: seg[2]))
    line = Text(no_wrap=True, overflow="ellipsis")
    for text, style, _ in kept:
        line.append(text, style=style)
    return line


class StatusBar(SafeStatic):
    DEFAULT_CSS = "StatusBar { height: 1; }"

    data: reactive[EngineSnapshot | None] = reactive(None, layout=False)
    connection: reactive[str] = reactive("offline")

    def render_safely(self) -> Text:
        snap = self.data
        if snap is None:
            return Text(" tradetui — starting… ", style="bold")
        width = self.size.width or WIDE_COLUMNS
        wide = width >= WIDE_COLUMNS
        healthy = self.connection.startswith(("connected", "simulated", "attached"))
        # short form: a healthy link shows only its round trip ("● 38 ms"), a bad one its state
        link = self.connection if wide or not healthy else self.connection.split(" ", 1)[-1]
        if not wide and link == "simulated":
            link = "sim"
        risk = snap.risk
        day_style = "green" if risk.day_pnl > 0 else "red" if risk.day_pnl < 0 else ""
        segments: list[Segment] = [
            (f" {snap.mode} ", _MODE_STYLE.get(snap.mode, "bold reverse"), 9),
            (f" {snap.state.value} ", _STATE_STYLE[snap.state], 10),
            (f" {snap.exchange} ", "bold", 4),
            (f"● {link} ", "green" if healthy else "yellow", 6),
            (" equity " if wide else " eq ", "dim", 7),
            (f"{krw(snap.equity)} ", "bold", 7),
            (" day ", "dim", 8),
            (krw(risk.day_pnl, signed=True), day_style, 8),
        ]
        if risk.daily_loss_limit_krw:
            if wide:
                limit = f" / -{krw(risk.daily_loss_limit_krw)} ({risk.daily_loss_used_pct:.0f}% used) "
            else:
                limit = f" ({risk.daily_loss_used_pct:.0f}% of limit)"
            segments.append((limit, "dim", 5))
        segments.append((f"  {kst_time(snap.ts_ms, seconds=wide)} KST", "dim", 8))
        return fit(segments, width)
