"""The top bar: mode badge, exchange, connection, equity, day PnL against the limit, engine
state and the KST clock: the wall clock in paper and live, the market's time in a simulated or
sped-up run ("market 2026-11-02 14:05:03 KST ×60"), the one clock the whole view runs on."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive

from tradetui.core.clock import to_kst
from tradetui.core.events import EngineState
from tradetui.engine.read_model import EngineSnapshot
from tradetui.ui.containment import SafeStatic
from tradetui.ui.formatting import krw, kst_time
from tradetui.ui.tones import Tones

MODE_BADGES = {
    "DEMO": "status-bar--simulated",
    "REPLAY": "status-bar--simulated",
    "SANDBOX": "status-bar--sandbox",
    "PAPER": "status-bar--paper",
    "LIVE": "status-bar--live",
}
"""The mode badge's component class (its colours are the theme's, in ``app.tcss``)."""
UNKNOWN_BADGE = "status-bar--other"


def mode_style(mode: str) -> str:
    """The badge's component class: only LIVE (real money) wears the error colour; a rehearsal is
    SANDBOX, never LIVE."""
    return MODE_BADGES.get(mode, UNKNOWN_BADGE)


STATE_BADGES = {
    EngineState.RUNNING: "status-bar--running",
    EngineState.PAUSED: "status-bar--paused",
    EngineState.REDUCE_ONLY: "status-bar--reduce-only",
    EngineState.HALTED: "status-bar--halted",
}


WIDE_COLUMNS = 110
"""Below this width the bar uses its short form, so the clock and the day's PnL stay on screen."""

Segment = tuple[str, str | Style, int]
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
    COMPONENT_CLASSES = {*MODE_BADGES.values(), UNKNOWN_BADGE, *STATE_BADGES.values()}  # and the tones

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
        tones = Tones(self)
        segments: list[Segment] = [
            (f" {snap.mode} ", self._badge(mode_style(snap.mode)), 9),
            (f" {snap.state.value} ", self._badge(STATE_BADGES[snap.state]), 10),
            (f" {snap.exchange} ", "bold", 4),
            (f"● {link} ", tones.gain if healthy else tones.warning, 6),
            (" equity " if wide else " eq ", "dim", 7),
            (f"{krw(snap.equity)} ", "bold", 7),
            (" day ", "dim", 8),
            (krw(risk.day_pnl, signed=True), tones.signed(float(risk.day_pnl)), 8),
        ]
        if risk.daily_loss_limit_krw:
            if wide:
                limit = f" / -{krw(risk.daily_loss_limit_krw)} ({risk.daily_loss_used_pct:.0f}% used) "
            else:
                limit = f" ({risk.daily_loss_used_pct:.0f}% of limit)"
            segments.append((limit, "dim", 5))
        segments.append((clock_text(snap, wide=wide), "dim", 8))
        return fit(segments, width)

    def _badge(self, component: str) -> Style:
        """A badge's colours from the theme (bold reverse until the stylesheet is applied), read
        whole: its text colour ("auto") contrasts with its own background only so."""
        return self.get_component_rich_style(component, default=Style(bold=True, reverse=True))


def clock_text(snap: EngineSnapshot, *, wide: bool = True) -> str:
    """The view's clock: wall-clock KST, or the market's time (and how much faster it runs)."""
    if snap.time_scale is None:
        return f"  {kst_time(snap.ts_ms, seconds=wide)} KST"
    scale = snap.time_scale
    if wide:
        speed = "" if scale == 1 else f" ×{scale:,.0f}" if scale >= 10 else f" ×{scale:g}"
        return f"  market {to_kst(snap.ts_ms).strftime('%Y-%m-%d %H:%M:%S')} KST{speed}"
    speed = "" if scale == 1 else f"×{scale / 1000:.0f}k" if scale >= 1000 else f"×{scale:g}"
    return f" mkt{speed} {kst_time(snap.ts_ms, seconds=False)} KST"
