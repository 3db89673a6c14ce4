"""Risk gauges: daily loss used, exposure, open positions against the limit, losing streak,
rate-limit headroom."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.reactive import reactive

from tradetui.engine.read_model import EngineSnapshot
from tradetui.ui.containment import SafeStatic
from tradetui.ui.formatting import kst_time
from tradetui.ui.tones import Tones


def _gauge(used: float, tones: Tones, width: int = 10) -> Text:
    """A bar of how much of a limit is used: calm under half, a warning under 80 %, then a loss."""
    used = max(0.0, min(used, 100.0))
    filled = round(used / 100 * width)
    style = tones.gain if used < 50 else tones.warning if used < 80 else tones.loss
    return Text("█" * filled, style=style) + Text("░" * (width - filled), style="dim") + Text(f" {used:3.0f}%")


class RiskPanel(SafeStatic):
    DEFAULT_CSS = "RiskPanel { height: auto; }"

    data: reactive[EngineSnapshot | None] = reactive(None)
    headroom: reactive[str] = reactive("n/a")

    def render_safely(self) -> Table | Text:
        snap = self.data
        if snap is None:
            return Text("")
        r = snap.risk
        tones = Tones(self)
        table = Table.grid(padding=(0, 1))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_row("daily loss", _gauge(r.daily_loss_used_pct, tones))
        table.add_row("exposure", _gauge(r.exposure_pct, tones))
        positions = r.open_positions / r.max_positions * 100 if r.max_positions else 0
        count = Text(f" {r.open_positions}/{r.max_positions}", style="dim")
        table.add_row("positions", _gauge(positions, tones) + count)
        table.add_row("exposure KRW", Text(f"{r.exposure_krw:,.0f}"))
        streak = Text(str(r.consecutive_losses), style=tones.loss if r.consecutive_losses else "")
        if r.cooldown_until_ms > snap.ts_ms:
            streak.append(f"  cool-down until {kst_time(r.cooldown_until_ms)}", style=tones.warning)
        table.add_row("losing streak", streak)
        table.add_row("rate limit", Text(self.headroom))
        table.add_row("state", Text(f"{r.state.value}: {r.reason}", overflow="ellipsis", no_wrap=True))
        return table
