"""The daily report goes out once when the injected clock crosses 09:00 KST, with the day's figures;
not again the same day, and not at midnight KST."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from tradetui.core.clock import KST, SimClock
from tradetui.core.trades import ClosedTrade
from tradetui.notify.alerts import AlertKind, ChannelRules
from tradetui.notify.report import AccountFigures

StartRouter = Callable[..., Awaitable[Any]]


def kst_ms(day: int, hour: int, minute: int = 0, second: int = 0) -> int:
    return int(datetime(2025, 9, day, hour, minute, second, tzinfo=KST).timestamp() * 1000)


def trade(exit_ms: int, pnl: str) -> ClosedTrade:
    return ClosedTrade(
        "KRW-BTC",
        "breakout",
        exit_ms - 3_600_000,
        exit_ms,
        Decimal("0.01"),
        Decimal("50000000"),
        Decimal("50000000") + Decimal(pnl) * 100,
        Decimal(pnl),
        Decimal("500"),
        "take_profit",
    )


class Account:
    """A read model the test moves by hand; counts how often the router looked."""

    def __init__(self, equity: str) -> None:
        self.equity = Decimal(equity)
        self.trades: list[ClosedTrade] = []
        self.reads = 0

    def __call__(self) -> AccountFigures:
        self.reads += 1
        return AccountFigures(self.equity, self.trades)

    async def seen(self) -> None:
        """Wait until the router has read the current figures (twice, to be sure of one full tick)."""
        target = self.reads + 2
        async with asyncio.timeout(2):
            while self.reads < target:
                await asyncio.sleep(0.005)


async def test_report_fires_once_at_0900_kst_with_the_days_figures(start_router: StartRouter) -> None:
    clock = SimClock(kst_ms(1, 9, 30))  # trading day 2025-09-01 started at 09:00 KST
    account = Account("10000000")
    only_reports = ChannelRules("slack", kinds=frozenset({AlertKind.REPORT}))
    h = await start_router(
        clock=clock,
        figures=account,
        slack=only_reports,
        telegram=ChannelRules("telegram", kinds=frozenset()),
    )
    await account.seen()
    account.trades = [
        trade(kst_ms(1, 8, 0), "99999"),  # the day before: not counted
        trade(kst_ms(1, 11, 0), "120000"),
        trade(kst_ms(1, 15, 0), "-70000"),
        trade(kst_ms(2, 2, 0), "100000"),  # after midnight KST: still the same trading day
    ]
    clock.set_ms(kst_ms(1, 15, 0))
    account.equity = Decimal("9800000")  # 2 % below the peak
    await account.seen()

    clock.set_ms(kst_ms(2, 0, 0, 30))  # midnight KST is not the boundary
    account.equity = Decimal("10150000")
    await account.seen()
    clock.set_ms(kst_ms(2, 8, 59, 59))
    await account.seen()
    assert h.slack.texts == []

    clock.set_ms(kst_ms(2, 9, 0, 1))
    (text,) = await h.slack.wait_for(1)
    assert "*Daily report 2025-09-01*" in text
    assert "*Day PnL:* +150,000 KRW (+1.50 %)" in text
    assert "*Trades:* 3 (2 won, 1 lost)" in text
    assert "*Win rate:* 66.7 %" in text
    assert "*Realised PnL:* +150,000 KRW" in text
    assert "*Max drawdown:* -2.00 %" in text
    assert "*Equity:* 10,150,000 KRW" in text
    assert h.slack.bodies[0]["blocks"][1]["elements"][0]["text"] == "2025-09-02 09:00:00 KST"

    for minute in (1, 30, 59):  # more ticks on the same day: no second report
        clock.set_ms(kst_ms(2, 9, minute))
        await account.seen()
    clock.set_ms(kst_ms(3, 0, 0, 5))
    await account.seen()
    assert len(h.slack.texts) == 1

    clock.set_ms(kst_ms(3, 9, 0, 0))  # the next day's report, exactly at 09:00:00
    texts = await h.slack.wait_for(2)
    assert "Daily report 2025-09-02" in texts[1] and "*Trades:* 0 (0 won, 0 lost)" in texts[1]
    assert "*Win rate:* –" in texts[1]
    assert h.telegram.texts == []


async def test_no_report_without_figures_or_when_switched_off(start_router: StartRouter) -> None:
    clock = SimClock(kst_ms(1, 8, 59, 59))
    account = Account("10000000")
    h = await start_router(clock=clock, figures=account, daily_report=False)
    await asyncio.sleep(0.05)
    clock.set_ms(kst_ms(1, 9, 0, 1))
    await asyncio.sleep(0.1)
    assert account.reads == 0 and h.slack.texts == [] and h.telegram.texts == []
