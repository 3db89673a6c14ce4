"""The chart shows what the bot did in every mode: the engine's own bounded record of its fills.

Seen before: demo, paper and live never drew a marker (the read model read the backtest journal's
``fills``, which only the memory journal has); ``GET /chart/KRW-DEMO`` said ``"buys": []`` with a
position open.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tradetui.candles.synthetic import SyntheticFeed
from tradetui.core.clock import SimClock
from tradetui.core.rules import UPBIT_RULES
from tradetui.engine.engine import Engine
from tradetui.engine.read_model import chart_data
from tradetui.engine.settings import Assignment, EngineSettings
from tradetui.engine.trade_marks import MarkKind, TradeMark, TradeMarks
from tradetui.storage.journal import SqliteOrderJournal
from tradetui.strategies.registry import create
from tradetui.venues.simulated import SimulatedVenue


def _engine(tmp_path: Path, **settings: int) -> tuple[Engine, SyntheticFeed]:
    feed = SyntheticFeed("KRW-DEMO", seed=11)
    clock = SimClock(feed.start_s * 1000)
    venue = SimulatedVenue(UPBIT_RULES, clock, cash_krw=Decimal("10000000"), slippage_bps=5)
    engine = Engine(
        clock=clock,
        venue=venue,
        rule_book=UPBIT_RULES,
        assignments=[Assignment(create("breakout", {"lookback": 12}), ("KRW-DEMO",))],
        # the demo's journal: a SQLite intent log, which keeps no fills in memory
        journal=SqliteOrderJournal(tmp_path / "demo.db", mode="paper", durability="process"),
        settings=EngineSettings(**settings),  # type: ignore[arg-type]
    )
    return engine, feed


def test_the_live_chart_marks_entries_partial_exits_and_exits(tmp_path: Path) -> None:
    engine, feed = _engine(tmp_path)
    seen_open_with_buy = False
    for k, bar in enumerate(feed):
        engine.on_bar(bar)
        chart = chart_data(engine, "KRW-DEMO", bars=400)
        assert chart is not None
        if engine.portfolio.positions and not seen_open_with_buy:
            assert chart.buys, "a position is open but the chart shows no entry"
            (t, price), *_ = chart.buys[-1:]
            pos = engine.portfolio.positions["KRW-DEMO"]
            assert price == pytest.approx(float(pos.avg_price))
            assert chart.ts_s[0] <= t <= chart.ts_s[-1] + 60
            assert chart.stop is not None and chart.stop < price
            seen_open_with_buy = True
        if seen_open_with_buy and chart.sells and chart.partial_exits:
            break
        assert k < 20_000, "no complete trade with a partial exit in 20,000 synthetic candles"
    assert chart is not None
    kinds = {m.kind for m in engine.trade_marks.of("KRW-DEMO")}
    assert kinds == {MarkKind.ENTRY, MarkKind.PARTIAL_EXIT, MarkKind.EXIT}
    assert [o.label for o in chart.overlays] == ["EMA20", "high12"]  # the EMA, then the strategy's own lookback
    assert all(len(o.values) == len(chart.ts_s) for o in chart.overlays)
    engine.journal.close()  # type: ignore[attr-defined]


def test_the_record_is_bounded_per_market() -> None:
    marks = TradeMarks(capacity_per_market=3)
    for k in range(10):
        for market in ("KRW-A", "KRW-B"):
            marks.add(TradeMark(market, k * 1000, Decimal(100 + k), Decimal(1), MarkKind.ENTRY, "entry"))
    assert len(marks) == 6
    assert [m.ts_ms for m in marks.of("KRW-A")] == [7000, 8000, 9000]
    assert [m.ts_ms for m in marks.of("KRW-B", since_ms=8500)] == [9000]
    assert marks.of("KRW-C") == ()
    with pytest.raises(ValueError):
        TradeMarks(0)


def test_the_engine_keeps_at_most_its_setting(tmp_path: Path) -> None:
    engine, feed = _engine(tmp_path, trade_marks_per_market=2)
    for k, bar in enumerate(feed):
        engine.on_bar(bar)
        if len(engine.portfolio.closed) >= 3:
            break
        assert k < 50_000
    assert len(engine.trade_marks.of("KRW-DEMO")) == 2
    engine.journal.close()  # type: ignore[attr-defined]
