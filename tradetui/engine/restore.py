"""Re-arming stored positions after a restart."""

from __future__ import annotations

from decimal import Decimal

from tradetui.core.events import PositionOpened
from tradetui.core.types import decimal_from_float
from tradetui.engine.engine import Engine
from tradetui.engine.portfolio import Position
from tradetui.risk.exits import ExitTracker


def restore_position(
    engine: Engine,
    market: str,
    *,
    strategy: str,
    volume: Decimal,
    avg_price: Decimal,
    entry_ms: int,
    exit_state: dict[str, object],
) -> None:
    """Re-arm a stored position and its engine-side exits after a restart.

    Call after ``engine.warm_up``. Bar indices of the old session are mapped onto this one by
    time, so a time stop still counts the bars held before the restart.
    """
    m = engine.markets.get(market)
    plan_owner = engine.strategies.get(strategy)
    if m is None or plan_owner is None:
        raise ValueError(f"cannot restore {market}: no strategy {strategy!r} trades it now")
    pos = Position(market, strategy, entry_ms, volume=volume, bought_volume=volume, bought_funds=avg_price * volume)
    tracker = None
    if exit_state:
        tracker = ExitTracker.restore(plan_owner.exit_plan(), dict(exit_state))
        bars_held = max(0, (engine.clock.now_ms() - entry_ms) // (m.timeframe.seconds * 1000))
        tracker.entry_index = m.n - 1 - int(bars_held) if m.n else -int(bars_held)
    pos.tracker = tracker
    engine.portfolio.positions[market] = pos
    m.position = pos
    m.trigger = None
    m.scanned_to = m.n
    engine.emit(
        [
            PositionOpened(
                engine.clock.now_ms(),
                market,
                volume,
                avg_price,
                decimal_from_float(tracker.stop_level) if tracker and tracker.effective_stop else None,
            )
        ]
    )
