"""Events describe themselves the way the panes show numbers: ``48,211,000``, never ``48211000``,
and a market buy reads "market buy 2,500,000 KRW", not ``bid price … price=2500000``."""

from __future__ import annotations

import logging
from decimal import Decimal as D

import pytest

from tradetui.core.events import (
    ExitTriggered,
    OrderFilled,
    OrderUpdated,
    PositionClosed,
    PositionOpened,
    SignalRaised,
)
from tradetui.core.notation import krw, number, price, volume
from tradetui.core.orders import Fill, Order, OrdType
from tradetui.core.types import Side
from tradetui.headless.sinks import log_events
from tradetui.risk.limits import AccountLimits, RiskGuard


def test_notation() -> None:
    assert number(D("48211000")) == "48,211,000"
    assert number(D("4.8211E+7")) == "48,211,000"
    assert number(D("0.00123000")) == "0.00123"
    assert krw(D("2500000")) == "2,500,000 KRW"
    assert krw(D("-41217.4"), signed=True) == "-41,217 KRW"
    assert krw(D("12345.6"), signed=True, unit=False) == "+12,346"
    assert krw(D("-0.3"), signed=True) == "+0 KRW"
    assert krw(10308853.27) == "10,308,853 KRW"
    assert price(D("48211000")) == "48,211,000"
    assert price(D("154888495.5")) == "154,888,495.5"
    assert price(D("1234.56789")) == "1,234.57"
    assert price(D("12.345678")) == "12.3457"
    assert volume(D("0.051855380")) == "0.05185538"


def _order(kind: OrdType, side: Side, price_: str | None, volume_: str | None) -> Order:
    return Order(
        "demo-1",
        "KRW-BTC",
        side,
        kind,
        D(price_) if price_ else None,
        D(volume_) if volume_ else None,
        0,
    )


@pytest.mark.parametrize(
    ("order", "text"),
    [
        (_order(OrdType.PRICE, Side.BID, "2500000", None), "market buy 2,500,000 KRW of KRW-BTC"),
        (_order(OrdType.MARKET, Side.ASK, None, "0.05185538"), "market sell 0.05185538 KRW-BTC"),
        (_order(OrdType.LIMIT, Side.ASK, "48211000", "0.01"), "limit sell 0.01 KRW-BTC @ 48,211,000"),
    ],
)
def test_orders_read_like_a_trader_says_them(order: Order, text: str) -> None:
    line = OrderUpdated(0, order).describe()
    assert text in line
    assert "price=" not in line and "vol=" not in line and "bid" not in line


def test_fills_positions_and_exits_group_their_digits() -> None:
    fill = Fill("demo-1", "t1", "KRW-BTC", Side.BID, D("48211000"), D("0.05185538"), D("1250.0012"), 0)
    assert OrderFilled(0, fill, "entry").describe() == (
        "fill demo-1: bought 0.05185538 KRW-BTC @ 48,211,000 = 2,500,000 KRW, fee 1,250.00 KRW [entry]"
    )
    assert PositionOpened(0, "KRW-BTC", D("0.05185538"), D("48211000"), D("47487835")).describe() == (
        "position opened KRW-BTC: 0.05185538 @ 48,211,000, stop 47,487,835"
    )
    assert PositionClosed(0, "KRW-BTC", D("-41217.4"), -1.65, "stop").describe() == (
        "position closed KRW-BTC: PnL -41,217 KRW (-1.65 %) by stop"
    )
    assert "at 47,487,835" in ExitTriggered(0, "KRW-BTC", "stop", D("47487835"), 1.0).describe()
    assert "at 48,186,000" in SignalRaised(0, "KRW-BTC", "breakout", "enter", D("48186000")).describe()


def test_daily_loss_in_krw_is_written_with_separators() -> None:
    guard = RiskGuard(AccountLimits(daily_loss_pct=None, daily_loss_krw=D("300000")))
    guard.observe_equity(0, D("10000000"))
    events = guard.observe_equity(1000, D("9650000"))
    assert any("day PnL -350,000 KRW reached the limit of -300,000 KRW" in e.describe() for e in events)


def test_headless_log_lines_use_the_same_notation(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tradetui.events")
    log_events([OrderUpdated(0, _order(OrdType.PRICE, Side.BID, "2500000", None))])
    assert "market buy 2,500,000 KRW of KRW-BTC" in caplog.text
