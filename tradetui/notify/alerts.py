"""What an alert is, which events become one, and the per-channel rules that pick them.

An :class:`Alert` is channel-neutral: a kind, a severity, a one-line title, an optional body and
labelled lines (the daily report). Channels turn it into Slack mrkdwn or Telegram HTML.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from tradetui.core.events import (
    EngineStateChanged,
    Event,
    ExitTriggered,
    FeedStateChanged,
    Notice,
    OrderFilled,
    OrderUpdated,
    PositionClosed,
    PositionOpened,
    RiskEvent,
    Severity,
    SignalRaised,
    StrategyChanged,
)
from tradetui.core.notation import krw, number
from tradetui.core.orders import OrderState
from tradetui.core.types import Side


class AlertKind(StrEnum):
    SIGNAL = "signal"
    """A strategy signalled (off by default: noisy)."""
    FILL = "fill"
    """An order (part) filled."""
    EXIT = "exit"
    """An engine-side stop, target, trailing or time exit fired."""
    POSITION = "position"
    """A position opened, or closed with its PnL."""
    RISK = "risk"
    """The engine state changed (pause, reduce-only, kill) or a risk rule acted."""
    STRATEGY = "strategy"
    """A strategy was switched on or off."""
    ERROR = "error"
    """Anything at ERROR or above, order rejections, feed disconnects and recoveries."""
    NOTICE = "notice"
    """Other notices below ERROR (off by default)."""
    REPORT = "report"
    """The daily report at 09:00 KST."""


DEFAULT_KINDS: frozenset[AlertKind] = frozenset(AlertKind) - {AlertKind.SIGNAL, AlertKind.NOTICE}


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    severity: Severity
    title: str
    body: str = ""
    ts_ms: int = 0
    """When it happened (epoch ms, UTC); shown in KST."""
    lines: tuple[tuple[str, str], ...] = ()
    """Labelled figures (the daily report)."""
    count: int = 1
    """How many identical alerts this one stands for (deduplication): shown as ×N."""
    suppressed: int = 0
    """Alerts this channel dropped (rate limit, full queue) since its last message."""

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity for deduplication: same kind and same text."""
        return self.kind.value, self.title, self.body

    def with_count(self, count: int) -> Alert:
        return dataclasses.replace(self, count=count)

    def with_suppressed(self, suppressed: int) -> Alert:
        return dataclasses.replace(self, suppressed=suppressed)

    def plain(self) -> str:
        """One plain-text rendering (logs, fallbacks)."""
        parts = [self.title + (f" ×{self.count}" if self.count > 1 else "")]
        if self.body:
            parts.append(self.body)
        parts.extend(f"{label}: {value}" for label, value in self.lines)
        if self.suppressed:
            parts.append(suppression_line(self.suppressed))
        return "\n".join(parts)


def suppression_line(n: int) -> str:
    return f"{n} more alert{'s' if n != 1 else ''} suppressed"


@dataclass(frozen=True, slots=True)
class ChannelRules:
    """What one channel gets and how fast."""

    name: str
    min_severity: Severity = Severity.INFO
    """Alerts below this level are not sent (the daily report is exempt when its kind is chosen)."""
    kinds: frozenset[AlertKind] = DEFAULT_KINDS
    rate_per_min: float = 20.0
    """Sustained messages per minute (token bucket)."""
    burst: int | None = None
    """Messages that may go out back to back; ``rate_per_min`` (at least 1) when None."""
    queue_size: int = 200
    """Alerts waiting for this channel; beyond that they are counted as suppressed."""

    def accepts(self, alert: Alert) -> bool:
        if alert.kind not in self.kinds:
            return False
        return alert.kind is AlertKind.REPORT or alert.severity >= self.min_severity


# --- events → alerts -------------------------------------------------------------------------------


_EXIT_LABELS = {
    "stop": "Stop hit",
    "trailing": "Trailing stop hit",
    "take_profit": "Target hit",
    "time_exit": "Time exit",
}


def alert_for(event: Event) -> Alert | None:
    """The alert an engine event deserves, or None (routine order updates, connects)."""
    ts, sev = event.ts_ms, event.severity
    match event:
        case SignalRaised():
            body = f"{event.strategy} at {number(event.price)}" + (f" — {event.note}" if event.note else "")
            return Alert(AlertKind.SIGNAL, sev, f"Signal {event.action} {event.market}", body, ts)
        case OrderFilled():
            f = event.fill
            verb = "Bought" if f.side is Side.BID else "Sold"
            body = f"{number(f.volume)} @ {number(f.price)} = {krw(f.funds)}, fee {krw(f.fee)}"
            if event.purpose:
                body += f" [{event.purpose}]"
            return Alert(AlertKind.FILL, sev, f"{verb} {f.market}", body, ts)
        case PositionOpened():
            stop = f", stop {number(event.stop_price)}" if event.stop_price is not None else ""
            body = f"{number(event.volume)} @ {number(event.avg_price)}{stop}"
            return Alert(AlertKind.POSITION, sev, f"Position opened {event.market}", body, ts)
        case PositionClosed():
            pnl = f"{krw(event.realized_pnl, signed=True)} ({event.return_pct:+.2f} %)"
            title = f"Position closed {event.market}: {pnl}"
            return Alert(AlertKind.POSITION, sev, title, f"by {event.exit_reason}", ts)
        case ExitTriggered():
            label = _EXIT_LABELS.get(event.kind, f"{event.kind} exit")
            body = f"at {number(event.trigger_price)}, selling {event.fraction:.0%}"
            return Alert(AlertKind.EXIT, sev, f"{label} {event.market}", body, ts)
        case EngineStateChanged():
            return Alert(AlertKind.RISK, sev, f"Engine {event.new}", f"{event.old} → {event.new}: {event.reason}", ts)
        case RiskEvent():
            where = f" {event.market}" if event.market else ""
            return Alert(AlertKind.RISK, sev, f"Risk {event.rule}{where}", event.message, ts)
        case StrategyChanged():
            title = f"Strategy {event.strategy} {'enabled' if event.enabled else 'disabled'}"
            return Alert(AlertKind.STRATEGY, sev, title, event.message, ts)
        case OrderUpdated():
            o = event.order
            if o.state is OrderState.REJECTED:
                return Alert(AlertKind.ERROR, sev, f"Order rejected {o.market}", event.describe(), ts)
            if o.state is OrderState.UNKNOWN:
                return Alert(AlertKind.ERROR, sev, f"Order state unknown {o.market}", event.describe(), ts)
            return None
        case FeedStateChanged():
            if event.state in ("disconnected", "stale"):
                level = max(sev, Severity.WARNING)
                return Alert(AlertKind.ERROR, level, f"Feed {event.feed} {event.state}", event.detail, ts)
            if event.state == "restored":
                return Alert(AlertKind.ERROR, sev, f"Feed {event.feed} restored", event.detail, ts)
            return None
        case Notice():
            if sev >= Severity.ERROR:
                return Alert(AlertKind.ERROR, sev, f"Error ({event.source})", event.message, ts)
            return Alert(AlertKind.NOTICE, sev, f"Notice ({event.source})", event.message, ts)
        case _:
            if sev >= Severity.ERROR:
                return Alert(AlertKind.ERROR, sev, type(event).__name__, event.describe(), ts)
            return None
