"""RiskGuard: daily loss limit and the 00:00 UTC (09:00 KST) trading day, manual states, cool-down, entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from tradetui.core.events import EngineState, EngineStateChanged, RiskEvent, Severity
from tradetui.risk.limits import AccountLimits, RiskGuard

D = Decimal
MIN = 60_000


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


DAY1 = _ms("2025-09-01T00:00:00")  # 09:00 KST, start of a trading day
DAY1_NOON = _ms("2025-09-01T03:00:00")  # 12:00 KST
DAY1_LAST = _ms("2025-09-01T23:59:59.999")  # 08:59:59.999 KST on 2 Sep
DAY2 = _ms("2025-09-02T00:00:00")  # 09:00 KST on 2 Sep


def _guard(**kw: object) -> RiskGuard:
    return RiskGuard(AccountLimits(**kw))  # type: ignore[arg-type]


def _states(events: Sequence[object]) -> list[tuple[EngineState, EngineState, str]]:
    return [(e.old, e.new, e.reason) for e in events if isinstance(e, EngineStateChanged)]


def test_daily_loss_pct_pauses_with_an_event_naming_the_limit() -> None:
    g = _guard(daily_loss_pct=3.0)
    assert g.observe_equity(DAY1, D("1000000")) == []
    assert g.day_start_equity == D("1000000")
    assert g.observe_equity(DAY1_NOON, D("970001")) == []  # −2.9999 %
    assert g.state is EngineState.RUNNING
    events = g.observe_equity(DAY1_NOON + MIN, D("969000"))  # −3.1 %
    risk = [e for e in events if isinstance(e, RiskEvent)]
    assert len(risk) == 1
    assert (risk[0].rule, risk[0].severity) == ("daily_loss", Severity.ERROR)
    assert risk[0].message == "day PnL -3.10 % reached the limit of -3 %"
    assert _states(events) == [
        (EngineState.RUNNING, EngineState.PAUSED, "daily loss limit: day PnL -3.10 % reached the limit of -3 %")
    ]
    assert g.state is EngineState.PAUSED  # type: ignore[comparison-overlap]  # mypy#9005: stale narrowing
    assert g.day_pnl(D("969000")) == D("-31000")
    # no repeated events while paused
    assert g.observe_equity(DAY1_NOON + 2 * MIN, D("900000")) == []
    denial = g.entry_denial(DAY1_NOON, equity=D("900000"), open_positions=0, exposure_krw=D(0), amount_krw=D(1))
    assert denial.startswith("engine is PAUSED (daily loss limit:")


def test_exactly_at_the_limit_pauses() -> None:
    g = _guard(daily_loss_pct=3.0)
    g.observe_equity(DAY1, D("1000000"))
    events = g.observe_equity(DAY1_NOON, D("970000"))
    assert _states(events)[0][1] is EngineState.PAUSED


def test_daily_loss_krw() -> None:
    g = _guard(daily_loss_pct=None, daily_loss_krw=D("50000"))
    g.observe_equity(DAY1, D("1000000"))
    assert g.observe_equity(DAY1_NOON, D("950001")) == []
    events = g.observe_equity(DAY1_NOON, D("950000"))
    assert [e.message for e in events if isinstance(e, RiskEvent)] == [
        "day PnL -50,000 KRW reached the limit of -50,000 KRW"
    ]
    assert g.state is EngineState.PAUSED
    assert "daily loss limit: day PnL -50,000 KRW" in g.state_reason


def test_krw_limit_reported_when_it_is_hit_before_the_percentage() -> None:
    g = _guard(daily_loss_pct=10.0, daily_loss_krw=D("20000"))
    g.observe_equity(DAY1, D("1000000"))
    events = g.observe_equity(DAY1_NOON, D("975000"))  # −25,000 KRW = −2.5 %
    assert "KRW reached the limit of -20,000 KRW" in _states(events)[0][2]


def test_daily_limit_pause_resumes_at_the_next_trading_day_at_00_utc() -> None:
    g = _guard(daily_loss_pct=3.0)
    g.observe_equity(DAY1, D("1000000"))
    g.observe_equity(DAY1_NOON, D("960000"))
    assert g.state is EngineState.PAUSED
    assert g.observe_equity(DAY1_LAST, D("960000")) == []  # 08:59:59.999 KST: still the same day
    assert g.state is EngineState.PAUSED
    events = g.observe_equity(DAY2, D("960000"))
    assert _states(events) == [
        (EngineState.PAUSED, EngineState.RUNNING, "new trading day (09:00 KST): daily loss limit reset")
    ]
    assert g.state is EngineState.RUNNING  # type: ignore[comparison-overlap]  # mypy#9005: stale narrowing
    assert g.day_start_equity == D("960000")  # the new day's baseline
    assert g.observe_equity(DAY2 + MIN, D("940000")) == []  # −2.08 % of the new baseline


def test_manual_pause_does_not_auto_resume() -> None:
    g = _guard(daily_loss_pct=3.0)
    g.observe_equity(DAY1, D("1000000"))
    events = g.pause(DAY1_NOON)
    assert _states(events) == [(EngineState.RUNNING, EngineState.PAUSED, "paused by the trader")]
    assert g.observe_equity(DAY2, D("1000000")) == []
    assert g.state is EngineState.PAUSED
    assert _states(g.resume(DAY2 + MIN)) == [(EngineState.PAUSED, EngineState.RUNNING, "resumed by the trader")]


def test_manual_pause_on_top_of_a_daily_limit_pause_stays() -> None:
    g = _guard(daily_loss_pct=3.0)
    g.observe_equity(DAY1, D("1000000"))
    g.observe_equity(DAY1_NOON, D("960000"))
    assert g.pause(DAY1_NOON + MIN) == []  # already paused: no event
    assert g.observe_equity(DAY2, D("960000")) == []
    assert g.state is EngineState.PAUSED


def test_halted_cannot_be_overridden_by_pause_or_reduce_only() -> None:
    g = _guard(daily_loss_pct=3.0)
    g.observe_equity(DAY1, D("1000000"))
    assert _states(g.halt(DAY1_NOON, "kill switch")) == [(EngineState.RUNNING, EngineState.HALTED, "kill switch")]
    assert g.pause(DAY1_NOON) == []
    assert g.reduce_only(DAY1_NOON) == []
    assert g.observe_equity(DAY1_NOON, D("900000")) == []  # the daily limit does not turn HALTED into PAUSED
    assert g.observe_equity(DAY2, D("900000")) == []  # nor does the new day resume it
    assert g.state is EngineState.HALTED
    assert g.state_reason == "kill switch"
    assert g.halt(DAY2) == []  # same state: no event


def test_reduce_only_blocks_entries_and_the_daily_limit_leaves_it_alone() -> None:
    g = _guard(daily_loss_pct=3.0)
    g.observe_equity(DAY1, D("1000000"))
    assert _states(g.reduce_only(DAY1_NOON)) == [
        (EngineState.RUNNING, EngineState.REDUCE_ONLY, "reduce-only set by the trader")
    ]
    assert g.pause(DAY1_NOON) == []
    assert g.observe_equity(DAY1_NOON, D("900000")) == []
    assert g.state is EngineState.REDUCE_ONLY
    denial = g.entry_denial(DAY1_NOON, equity=D("900000"), open_positions=0, exposure_krw=D(0), amount_krw=D(1))
    assert denial == "engine is REDUCE_ONLY (reduce-only set by the trader)"
    assert _states(g.halt(DAY1_NOON)) == [(EngineState.REDUCE_ONLY, EngineState.HALTED, "kill switch")]


def test_cooldown_after_consecutive_losses() -> None:
    g = _guard(max_consecutive_losses=3, cooldown_minutes=60)
    assert g.on_trade_closed(DAY1, D("-100")) == []
    assert g.on_trade_closed(DAY1 + MIN, D("-100")) == []
    events = g.on_trade_closed(DAY1 + 2 * MIN, D("-1"))
    assert len(events) == 1 and isinstance(events[0], RiskEvent)
    assert events[0].rule == "cooldown"
    assert events[0].message == "3 losing trades in a row: no entries for 60 min"
    assert g.cooldown_until_ms == DAY1 + 62 * MIN
    kw = {"equity": D("1000000"), "open_positions": 0, "exposure_krw": D(0), "amount_krw": D("10000")}
    assert g.entry_denial(DAY1 + 62 * MIN - 1, **kw) == "cool-down after consecutive losses"  # type: ignore[arg-type]
    assert g.entry_denial(DAY1 + 62 * MIN, **kw) == ""  # type: ignore[arg-type]
    # the counter restarts after a cool-down
    assert g.on_trade_closed(DAY1 + 70 * MIN, D("-1")) == []
    assert g.consecutive_losses == 1


def test_a_win_resets_the_loss_count() -> None:
    g = _guard(max_consecutive_losses=3)
    g.on_trade_closed(DAY1, D("-100"))
    g.on_trade_closed(DAY1, D("-100"))
    assert g.on_trade_closed(DAY1, D("50")) == []
    assert g.consecutive_losses == 0
    assert g.on_trade_closed(DAY1, D("-100")) == []
    assert g.on_trade_closed(DAY1, D("-100")) == []
    assert g.on_trade_closed(DAY1, D("0")) == []  # break-even is not a loss
    assert g.on_trade_closed(DAY1, D("-100")) == []
    assert g.cooldown_until_ms == 0


def test_no_cooldown_without_a_limit() -> None:
    g = _guard(max_consecutive_losses=None)
    for _ in range(10):
        assert g.on_trade_closed(DAY1, D("-1")) == []
    assert g.cooldown_until_ms == 0


def test_entry_denial_max_positions_and_exposure() -> None:
    g = _guard(max_open_positions=3, max_exposure_pct=80.0)
    eq = D("1000000")
    assert g.entry_denial(DAY1, equity=eq, open_positions=2, exposure_krw=D(0), amount_krw=D("10000")) == ""
    assert (
        g.entry_denial(DAY1, equity=eq, open_positions=3, exposure_krw=D(0), amount_krw=D("10000"))
        == "3 positions open (limit 3)"
    )
    assert (
        g.entry_denial(DAY1, equity=eq, open_positions=1, exposure_krw=D("700000"), amount_krw=D("150000"))
        == "exposure would be 85.0 % (limit 80 %)"
    )
    assert g.entry_denial(DAY1, equity=eq, open_positions=1, exposure_krw=D("700000"), amount_krw=D("100000")) == ""


def test_stale_feed_pauses_and_its_return_resumes_only_its_own_pause() -> None:
    from tradetui.core.events import EngineState
    from tradetui.risk.limits import AccountLimits, RiskGuard

    guard = RiskGuard(AccountLimits())
    events = guard.pause_for_feed(1, "no message for 30 s")
    assert guard.state is EngineState.PAUSED and "market data" in events[0].reason  # type: ignore[attr-defined]
    guard.resume_after_feed(2)
    assert guard.state is EngineState.RUNNING  # type: ignore[comparison-overlap]  # mypy#9005: stale narrowing
    guard.pause(3)  # the trader's own pause
    assert guard.resume_after_feed(4) == [] and guard.state is EngineState.PAUSED
    guard.resume(5)
    guard.halt(6)
    assert guard.pause_for_feed(7, "x") == [] and guard.state is EngineState.HALTED
