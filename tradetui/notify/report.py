"""The daily report: the trading day that ended at 09:00 KST (00:00 UTC), in figures.

:class:`DayTracker` is fed the account's figures now and then, on the injected clock; it follows
equity through the day (open, peak, deepest drawdown) and, the first time the clock is seen past
a day's end, returns that day's :class:`DailyReport`, once. Starting in the middle of a day, the
day's opening equity is taken from the read model's day PnL when there is one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tradetui.core.clock import DAY_MS, trading_day, trading_day_start_ms
from tradetui.core.events import Severity
from tradetui.core.notation import krw
from tradetui.core.trades import ClosedTrade
from tradetui.notify.alerts import Alert, AlertKind


@dataclass(frozen=True, slots=True)
class AccountFigures:
    """What the report needs from the engine's read model."""

    equity: Decimal
    closed_trades: Sequence[ClosedTrade] = ()
    """Closed round trips (all of them; the report picks the day's by exit time)."""
    day_pnl: Decimal | None = None
    """The engine's PnL of the current trading day, when it tracks one."""


FiguresProvider = Callable[[], AccountFigures]


@dataclass(frozen=True, slots=True)
class DailyReport:
    day: date
    """The trading day (09:00 KST to 09:00 KST the next calendar day), named by its UTC date."""
    end_ms: int
    start_equity: Decimal
    end_equity: Decimal
    realized_pnl: Decimal
    trades: int
    wins: int
    max_drawdown_pct: float

    @property
    def day_pnl(self) -> Decimal:
        return self.end_equity - self.start_equity

    @property
    def day_pnl_pct(self) -> float:
        return float(self.day_pnl / self.start_equity * 100) if self.start_equity > 0 else 0.0

    @property
    def win_rate_pct(self) -> float | None:
        return self.wins / self.trades * 100 if self.trades else None

    def to_alert(self) -> Alert:
        win_rate = f"{self.win_rate_pct:.1f} %" if self.win_rate_pct is not None else "–"
        lines = (
            ("Day PnL", f"{krw(self.day_pnl, signed=True)} ({self.day_pnl_pct:+.2f} %)"),
            ("Trades", f"{self.trades} ({self.wins} won, {self.trades - self.wins} lost)"),
            ("Win rate", win_rate),
            ("Realised PnL", krw(self.realized_pnl, signed=True)),
            ("Max drawdown", f"{-self.max_drawdown_pct + 0.0:.2f} %"),  # below the peak: negative, as in backtests
            ("Equity", krw(self.end_equity)),
        )
        return Alert(AlertKind.REPORT, Severity.INFO, f"Daily report {self.day.isoformat()}", "", self.end_ms, lines)


def day_trades(trades: Sequence[ClosedTrade], day_start_ms: int) -> list[ClosedTrade]:
    end = day_start_ms + DAY_MS
    return [t for t in trades if day_start_ms <= t.exit_ms < end]


class DayTracker:
    def __init__(self) -> None:
        self._day_ms: int | None = None
        self._open = Decimal(0)
        self._peak = Decimal(0)
        self._max_dd_pct = 0.0

    @property
    def day_start_ms(self) -> int | None:
        return self._day_ms

    def _start(self, day_ms: int, open_equity: Decimal, equity: Decimal) -> None:
        self._day_ms = day_ms
        self._open = open_equity
        self._peak = max(open_equity, equity)
        self._max_dd_pct = 0.0
        self._mark(equity)

    def _mark(self, equity: Decimal) -> None:
        if equity > self._peak:
            self._peak = equity
        if self._peak > 0:
            self._max_dd_pct = max(self._max_dd_pct, float((self._peak - equity) / self._peak * 100))

    def observe(self, now_ms: int, figures: AccountFigures) -> DailyReport | None:
        """Record the figures at ``now_ms``; the finished day's report when a day boundary passed."""
        day_ms = trading_day_start_ms(now_ms)
        if self._day_ms is None:
            opening = figures.equity - figures.day_pnl if figures.day_pnl is not None else figures.equity
            self._start(day_ms, opening, figures.equity)
            return None
        if day_ms <= self._day_ms:
            self._mark(figures.equity)
            return None
        # the clock crossed 09:00 KST: the figures now are the closing figures of the tracked day
        self._mark(figures.equity)
        ended = self._day_ms
        trades = day_trades(figures.closed_trades, ended)
        report = DailyReport(
            day=trading_day(ended),
            end_ms=ended + DAY_MS,
            start_equity=self._open,
            end_equity=figures.equity,
            realized_pnl=sum((t.pnl for t in trades), Decimal(0)),
            trades=len(trades),
            wins=sum(1 for t in trades if t.is_win),
            max_drawdown_pct=self._max_dd_pct,
        )
        self._start(day_ms, figures.equity, figures.equity)
        return report
