"""Engine-side exits on hand-made bars, and the block-scan ≡ bar-by-bar equivalence."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradetui.core.plans import ExitPlan, TakeProfit
from tradetui.risk.exits import ExitTracker, ExitTrigger

ENTRY = 100.0


def _bars(rows: Sequence[tuple[float, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(open, high, low) rows → three float arrays."""
    arr = np.array(rows, dtype=float)
    return arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].copy()


def _plan(**kw: object) -> ExitPlan:
    base: dict[str, object] = {
        "stop_pct": 2.0,
        "take_profits": (TakeProfit(5.0, 0.5),),
        "trailing_pct": 3.0,
        "trailing_from_entry": False,
        "time_stop_bars": None,
    }
    base.update(kw)
    return ExitPlan(**base)  # type: ignore[arg-type]


def test_levels_from_the_plan() -> None:
    t = ExitTracker(ENTRY, 0, _plan())
    assert t.stop_level == pytest.approx(98.0)
    assert t.targets == [(pytest.approx(105.0), 0.5)]  # type: ignore[comparison-overlap]  # approx equals a float
    assert t.next_target == pytest.approx(105.0)
    assert t.trailing_active is False
    assert t.trailing_level is None
    assert t.effective_stop == pytest.approx(98.0)
    none = ExitTracker(ENTRY, 0, _plan(stop_pct=None, take_profits=(), trailing_pct=None))
    assert none.effective_stop is None
    assert none.next_target is None


def test_stop_hit_at_the_level() -> None:
    o, h, lo = _bars([(100, 101, 99.5), (99, 100, 98.5), (98.5, 99, 97.0), (97, 98, 90)])
    t = ExitTracker(ENTRY, 0, _plan())
    trig = t.scan(o, h, lo, 1, len(o))
    assert trig == ExitTrigger(2, "stop", pytest.approx(98.0), 1.0)  # type: ignore[arg-type]


def test_low_exactly_at_the_stop_triggers() -> None:
    o, h, lo = _bars([(100, 101, 99.5), (99, 100, 98.0)])
    trig = ExitTracker(ENTRY, 0, _plan()).scan(o, h, lo, 1, 2)
    assert trig is not None and (trig.index, trig.kind) == (1, "stop")


def test_gap_below_the_stop_fills_at_the_open() -> None:
    o, h, lo = _bars([(100, 101, 99.5), (95, 96, 94)])
    trig = ExitTracker(ENTRY, 0, _plan()).scan(o, h, lo, 1, 2)
    assert trig == ExitTrigger(1, "stop", 95.0, 1.0)


def test_stop_and_target_on_one_bar_takes_the_stop() -> None:
    o, h, lo = _bars([(100, 101, 99.5), (100, 106, 97)])
    trig = ExitTracker(ENTRY, 0, _plan()).scan(o, h, lo, 1, 2)
    assert trig is not None
    assert (trig.index, trig.kind, trig.fraction) == (1, "stop", 1.0)
    assert trig.price == pytest.approx(98.0)


def test_target_hit_and_gap_above_target() -> None:
    o, h, lo = _bars([(100, 101, 99.5), (101, 105.5, 100.5)])
    trig = ExitTracker(ENTRY, 0, _plan()).scan(o, h, lo, 1, 2)
    assert trig is not None
    assert (trig.index, trig.kind, trig.fraction) == (1, "take_profit", 0.5)
    assert trig.price == pytest.approx(105.0)
    o, h, lo = _bars([(100, 101, 99.5), (107, 108, 106.5)])
    trig = ExitTracker(ENTRY, 0, _plan()).scan(o, h, lo, 1, 2)
    assert trig == ExitTrigger(1, "take_profit", 107.0, 0.5)


def test_target_then_trailing_uses_only_earlier_highs() -> None:
    rows = [
        (100, 101, 99.5),  # 0 entry bar
        (101, 102, 100.5),  # 1 nothing
        (103, 106, 102.5),  # 2 target 105 hit, bar high 106
        (105, 110, 104),  # 3 trailing from 106 → 102.82; low 104 fine; high water → 110
        (116, 120, 115),  # 4 level 110 × 0.97 = 106.7; its own high 120 would give 116.4 > low 115: ignored
        (118, 119, 116.5),  # 5 level 120 × 0.97 = 116.4 < 116.5: no exit
        (117, 117.5, 116.0),  # 6 level 116.4 ≥ low 116.0: trailing exit at 116.4
    ]
    o, h, lo = _bars(rows)
    t = ExitTracker(ENTRY, 0, _plan())
    first = t.scan(o, h, lo, 1, len(o))
    assert first is not None and (first.index, first.kind) == (2, "take_profit")
    t.on_target_filled(float(h[first.index]))
    assert t.targets_hit == 1
    assert t.targets == []
    assert t.trailing_active
    assert t.high_water == 106.0
    assert t.trailing_level == pytest.approx(102.82)
    second = t.scan(o, h, lo, first.index + 1, len(o))
    assert second is not None
    assert (second.index, second.kind, second.fraction) == (6, "trailing", 1.0)
    assert second.price == pytest.approx(116.4)
    assert t.high_water == 120.0  # highs before bar 6 only


def test_trailing_armed_at_the_target_level_when_the_bar_high_is_lower() -> None:
    t = ExitTracker(ENTRY, 0, _plan())
    t.on_target_filled(104.0)  # e.g. a gapped fill reported with a lower high
    assert t.high_water == pytest.approx(105.0)


def test_trailing_below_the_hard_stop_reports_a_stop() -> None:
    plan = _plan(trailing_from_entry=True, trailing_pct=5.0)  # trail 95 < hard stop 98
    o, h, lo = _bars([(100, 100.5, 99.5), (99, 99.5, 97.5)])
    trig = ExitTracker(ENTRY, 0, plan).scan(o, h, lo, 1, 2)
    assert trig is not None and trig.kind == "stop"
    assert trig.price == pytest.approx(98.0)


def test_trailing_from_entry() -> None:
    plan = _plan(trailing_from_entry=True, trailing_pct=1.0, stop_pct=5.0)
    o, h, lo = _bars([(100, 100, 100), (100, 104, 100), (103.5, 103.6, 102.9)])
    t = ExitTracker(ENTRY, 0, plan)
    assert t.trailing_active and t.trailing_level == pytest.approx(99.0)
    trig = t.scan(o, h, lo, 1, 3)
    assert trig is not None
    assert (trig.index, trig.kind) == (2, "trailing")
    assert trig.price == pytest.approx(102.96)


def test_time_stop_at_the_open_of_bar_entry_plus_n() -> None:
    plan = _plan(time_stop_bars=4, stop_pct=10.0, take_profits=())
    rows = [(100, 101, 99)] * 3 + [(100.5, 101, 99), (99.5, 100, 99), (99, 99.5, 85.0), (90, 91, 80)]
    o, h, lo = _bars(rows)  # entry at bar 1 → time exit at bar 5 (whose low would hit the stop)
    trig = ExitTracker(ENTRY, 1, plan).scan(o, h, lo, 2, len(o))
    assert trig == ExitTrigger(5, "time_exit", 99.0, 1.0)


def test_time_stop_already_due_exits_at_the_first_bar_scanned() -> None:
    plan = _plan(time_stop_bars=2, take_profits=())
    o, h, lo = _bars([(100, 101, 99)] * 6)
    o[4] = 100.7
    trig = ExitTracker(ENTRY, 0, plan).scan(o, h, lo, 4, 6)  # due at bar 2, first seen at 4
    assert trig == ExitTrigger(4, "time_exit", 100.7, 1.0)


def test_stop_before_the_time_stop_wins() -> None:
    plan = _plan(time_stop_bars=4, take_profits=())
    o, h, lo = _bars([(100, 101, 99), (99, 100, 97), (100, 101, 99), (100, 101, 99), (100, 101, 99)])
    trig = ExitTracker(ENTRY, 0, plan).scan(o, h, lo, 1, 5)
    assert trig is not None and (trig.index, trig.kind) == (1, "stop")


@pytest.mark.parametrize(
    ("atr", "expected_stop"),
    [(1.5, 97.0), (5.0, 95.0), (None, 95.0), (0.0, 95.0)],
)
def test_atr_stop_tighter_of_the_two(atr: float | None, expected_stop: float) -> None:
    plan = _plan(stop_pct=5.0, atr_stop_mult=2.0)
    t = ExitTracker(ENTRY, 0, plan, atr_at_entry=atr)
    assert t.stop_level == pytest.approx(expected_stop)
    o, h, lo = _bars([(100, 101, 99.5), (98, 98.5, 96.5)])
    trig = t.scan(o, h, lo, 1, 2)
    if expected_stop >= 96.5:
        assert trig is not None and trig.price == pytest.approx(expected_stop)
    else:
        assert trig is None


def test_no_exit_returns_none_and_tracks_the_high_water_only_when_trailing() -> None:
    o, h, lo = _bars([(100, 101, 99.5), (100, 103, 99.5), (101, 104, 100)])
    t = ExitTracker(ENTRY, 0, _plan())
    assert t.scan(o, h, lo, 1, 3) is None
    assert t.high_water == ENTRY  # trailing not armed yet
    t2 = ExitTracker(ENTRY, 0, _plan(trailing_from_entry=True, trailing_pct=10.0))
    assert t2.scan(o, h, lo, 1, 3) is None
    assert t2.high_water == 104.0


def test_take_profit_ladder_in_order() -> None:
    plan = _plan(take_profits=(TakeProfit(2.0, 0.3), TakeProfit(4.0, 0.3)), trailing_pct=None)
    o, h, lo = _bars([(100, 100, 100), (101, 102.5, 100.5), (102, 104.5, 101.5)])
    t = ExitTracker(ENTRY, 0, plan)
    first = t.scan(o, h, lo, 1, 3)
    assert first is not None and (first.index, first.kind, first.fraction) == (1, "take_profit", 0.3)
    assert first.price == pytest.approx(102.0)
    t.on_target_filled(102.5)
    assert not t.trailing_active  # no trailing in the plan
    second = t.scan(o, h, lo, 2, 3)
    assert second is not None and (second.index, second.kind) == (2, "take_profit")
    assert second.price == pytest.approx(104.0)


# --- block scan ≡ bar by bar ----------------------------------------------------------------


def _walk(seed: int, n: int, vol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    closes = ENTRY * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    opens = np.empty(n)
    opens[0] = ENTRY
    opens[1:] = closes[:-1] * np.exp(rng.normal(0.0, vol / 3, n - 1))  # gaps
    highs = np.maximum(opens, closes) * np.exp(np.abs(rng.normal(0.0, vol, n)))
    lows = np.minimum(opens, closes) * np.exp(-np.abs(rng.normal(0.0, vol, n)))
    return opens, highs, lows


def _lifecycle(
    tracker: ExitTracker, o: np.ndarray, h: np.ndarray, lo: np.ndarray, *, one_bar: bool
) -> list[tuple[int, str, float, float]]:
    """All exits until flat (or the data ends): targets re-arm the tracker, anything else ends it."""
    out: list[tuple[int, str, float, float]] = []
    i = tracker.entry_index + 1
    n = len(o)
    while i < n:
        if one_bar:
            trig = None
            while i < n and trig is None:
                trig = tracker.scan(o, h, lo, i, i + 1)
                i += 1
            if trig is None:
                break
        else:
            trig = tracker.scan(o, h, lo, i, n)
            if trig is None:
                break
        out.append((trig.index, trig.kind, trig.price, trig.fraction))
        if trig.kind != "take_profit":
            break
        tracker.on_target_filled(float(h[trig.index]))
        i = trig.index + 1
    return out


plans = st.builds(
    ExitPlan,
    stop_pct=st.one_of(st.none(), st.floats(0.5, 30.0)),
    atr_stop_mult=st.one_of(st.none(), st.floats(0.5, 4.0)),
    take_profits=st.sampled_from(
        [(), (TakeProfit(3.0, 0.5),), (TakeProfit(1.0, 0.25), TakeProfit(2.5, 0.25), TakeProfit(6.0, 0.5))]
    ),
    trailing_pct=st.one_of(st.none(), st.floats(0.3, 10.0)),
    trailing_from_entry=st.booleans(),
    time_stop_bars=st.one_of(st.none(), st.integers(1, 400)),
)


@settings(max_examples=120, deadline=None)
@given(
    plan=plans,
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(40, 1000),
    vol=st.sampled_from([0.0005, 0.001, 0.002, 0.005, 0.02]),
    entry_index=st.integers(0, 5),
    atr=st.one_of(st.none(), st.floats(0.1, 5.0)),
)
def test_one_scan_equals_bar_by_bar(
    plan: ExitPlan, seed: int, n: int, vol: float, entry_index: int, atr: float | None
) -> None:
    o, h, lo = _walk(seed, n + entry_index, vol)
    block = ExitTracker(ENTRY, entry_index, plan, atr_at_entry=atr)
    single = ExitTracker(ENTRY, entry_index, plan, atr_at_entry=atr)
    got_block = _lifecycle(block, o, h, lo, one_bar=False)
    got_single = _lifecycle(single, o, h, lo, one_bar=True)
    assert got_block == got_single
    assert block.high_water == single.high_water
    assert block.targets == single.targets
    assert block.trailing_active == single.trailing_active
    # every reported exit is consistent with its bar
    for index, kind, price, _ in got_block:
        if kind in ("stop", "trailing"):
            assert price <= o[index] and lo[index] <= price + 1e-9
        elif kind == "take_profit":
            assert price >= min(o[index], h[index]) - 1e-9 and price <= max(o[index], h[index])
        else:
            assert kind == "time_exit" and price == o[index]


@settings(max_examples=60, deadline=None)
@given(plan=plans, seed=st.integers(0, 2**32 - 1), n=st.integers(10, 300), cut=st.integers(1, 299))
def test_snapshot_restore_continues_identically(plan: ExitPlan, seed: int, n: int, cut: int) -> None:
    o, h, lo = _walk(seed, n, 0.01)
    cut = min(cut, n - 1)
    live = ExitTracker(ENTRY, 0, plan, atr_at_entry=1.0)
    first = live.scan(o, h, lo, 1, cut)
    if first is not None:
        if first.kind != "take_profit":
            return
        live.on_target_filled(float(h[first.index]))
        cut = first.index + 1
    state = json.loads(json.dumps(live.snapshot()))
    restored = ExitTracker.restore(plan, state)
    assert restored.snapshot() == live.snapshot()
    assert _lifecycle_from(live, o, h, lo, cut) == _lifecycle_from(restored, o, h, lo, cut)
    assert restored.high_water == live.high_water


def _lifecycle_from(t: ExitTracker, o: np.ndarray, h: np.ndarray, lo: np.ndarray, start: int) -> list[ExitTrigger]:
    out = []
    i = start
    while i < len(o):
        trig = t.scan(o, h, lo, i, len(o))
        if trig is None:
            break
        out.append(trig)
        if trig.kind != "take_profit":
            break
        t.on_target_filled(float(h[trig.index]))
        i = trig.index + 1
    return out


def test_snapshot_fields() -> None:
    t = ExitTracker(ENTRY, 3, _plan(), atr_at_entry=2.0)
    t.on_target_filled(106.0)
    snap = t.snapshot()
    assert snap == {
        "entry_price": 100.0,
        "entry_index": 3,
        "atr_at_entry": 2.0,
        "stop_level": pytest.approx(98.0),
        "targets": [],
        "trailing_active": True,
        "high_water": 106.0,
        "targets_hit": 1,
    }
    back = ExitTracker.restore(_plan(), json.loads(json.dumps(snap)))
    assert back.trailing_level == pytest.approx(102.82)
    assert back.targets_hit == 1
