"""A trading session's records: written as they happen (closed trades, risk events, strategy
state), read back for the front ends (orders, closed trades), restored on the next start of the
same profile (strategy toggles and parameter edits), and the positions stored at a clean stop.

Each kind of run keeps its own database (``<data-dir>/sessions/<profile>.db``, see
:func:`tradetui.config.database_path`), so nothing here filters by profile.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tradetui.config import AppConfig
from tradetui.core.events import (
    EngineStateChanged,
    Event,
    ExitTriggered,
    Notice,
    OrderFilled,
    OrderUpdated,
    PositionClosed,
    PositionOpened,
    RiskEvent,
    Severity,
    StrategyChanged,
)
from tradetui.core.orders import Order, OrderState
from tradetui.core.trades import ClosedTrade
from tradetui.engine.engine import Engine
from tradetui.storage.convert import dump_json
from tradetui.storage.journal import SqliteOrderJournal
from tradetui.storage.records import StoredPosition, StoredStrategyState
from tradetui.strategies import registry

log = logging.getLogger(__name__)

ALL_MARKETS = "*"
"""The ``market`` of a strategy_state row that holds the strategy's own state (not one market's)."""


def _config_entry(config: AppConfig, name: str) -> dict[str, Any]:
    """What the config file says of a strategy: the baseline stored edits are judged against."""
    for entry in config.strategies:
        if entry.name == name:
            return {"enabled": entry.enabled, "params": dict(entry.params)}
    return {"enabled": True, "params": {}}


def _same(a: object, b: object) -> bool:
    return dump_json(a) == dump_json(b)


def stored_positions(engine: Engine) -> list[StoredPosition]:
    """The engine's open positions with their exit state, as the positions table keeps them."""
    now = engine.clock.now_ms()
    return [
        StoredPosition(
            market=market,
            volume=pos.volume,
            avg_price=pos.avg_price,
            updated_ms=now,
            strategy=pos.strategy,
            opened_ms=pos.entry_ms,
            stop_state=pos.tracker.snapshot() if pos.tracker is not None else {},
        )
        for market, pos in engine.portfolio.positions.items()
    ]


class SessionRecorder:
    """An engine listener that writes the session's records as they happen, each in its own
    committed transaction on the journal's synchronous connection (a ``kill -9`` right after
    the event loses nothing): closed trades, risk events and engine state changes, and a
    strategy's on/off state and parameters whenever they change."""

    def __init__(self, engine: Engine, journal: SqliteOrderJournal, config: AppConfig) -> None:
        self.engine = engine
        self.journal = journal
        self.config = config
        self._closed_seen = len(engine.portfolio.closed)

    def listen(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, RiskEvent | EngineStateChanged):
                self.journal.record_risk_event(event)
            elif isinstance(event, StrategyChanged):
                self.save_strategy(event.strategy)
        closed = self.engine.portfolio.closed
        while self._closed_seen < len(closed):
            self.journal.record_closed_trade(closed[self._closed_seen])
            self._closed_seen += 1

    def save_strategy(self, name: str) -> None:
        strategy = self.engine.strategies.get(name)
        if strategy is None:
            return
        state = {"params": strategy.params.model_dump(mode="json"), "config": _config_entry(self.config, name)}
        self.journal.save_strategy_state(
            StoredStrategyState(name, ALL_MARKETS, state, self.engine.enabled[name], self.engine.clock.now_ms())
        )


def restore_strategies(engine: Engine, config: AppConfig, journal: SqliteOrderJournal) -> None:
    """Bring back the strategy toggles and parameter edits the last run of this profile stored.

    The config file wins: when a strategy's ``[[strategies]]`` entry (its ``enabled`` or
    ``params``) changed since the edits were made, they are dropped for good and the timeline
    says so. Either way the timeline says what happened."""
    notices: list[Event] = []
    now = engine.clock.now_ms()
    for stored in journal.load_strategy_states():
        name = stored.strategy
        current = engine.strategies.get(name)
        if stored.market != ALL_MARKETS or current is None:
            continue
        params = stored.state.get("params")
        running = current.params.model_dump(mode="json")
        params_edited = isinstance(params, dict) and not _same(params, running)
        toggled = stored.enabled != engine.enabled[name]
        if not params_edited and not toggled:
            continue
        if not _same(stored.state.get("config"), _config_entry(config, name)):
            journal.delete_strategy_state(name)
            notices.append(
                Notice(
                    now,
                    f"strategy {name}: the on/off state and parameters stored by the last run were dropped, "
                    f"because its [[strategies]] entry in {config.source_path or 'the config'} changed since; "
                    "the config's are in force",
                    Severity.WARNING,
                    source="restore",
                )
            )
            continue
        changes: list[str] = []
        if params_edited:
            assert isinstance(params, dict)
            try:
                engine.replace_strategy(registry.create(name, params))
            except (ValueError, KeyError) as exc:
                journal.delete_strategy_state(name)
                notices.append(
                    Notice(
                        now,
                        f"strategy {name}: the stored parameters were dropped ({exc}); the config's are in force",
                        Severity.WARNING,
                        source="restore",
                    )
                )
                continue
            changes += [
                f"{key} {running.get(key)} → {value}" for key, value in params.items() if running.get(key) != value
            ]
        if toggled:
            engine.set_strategy_enabled(name, stored.enabled)
            changes.append("on" if stored.enabled else "off")
        notices.append(
            Notice(now, f"strategy {name}: restored from the last run: {', '.join(changes)}", source="restore")
        )
    for notice in notices:
        log.log(logging.WARNING if notice.severity >= Severity.WARNING else logging.INFO, "%s", notice.describe())
    engine.emit(notices)


def close_orders_of_ended_runs(engine: Engine, journal: SqliteOrderJournal) -> None:
    """A simulated venue (demo, replay, paper) ends with its run: orders it still had open when
    the last run stopped or was killed can never fill. They are closed in the journal (cancelled,
    with the reason), so the history does not show them as working, and the timeline says so."""
    now = engine.clock.now_ms()
    left = journal.load_open_orders()
    for order in left:
        journal.record(order.to_state(OrderState.CANCEL, now, reason="left open by the last run (simulated venue)"))
    if left:
        message = (
            f"{len(left)} order{'s' if len(left) != 1 else ''} left open by the last run closed in the history: "
            "a simulated venue ends with its run"
        )
        log.info("%s", message)
        engine.emit([Notice(now, message, source="restore")])


def warn_about_shared_database(legacy: Path, session: Path) -> str | None:
    """Before each kind of run had its own database they all shared ``<data-dir>/tradetui.db``.
    If that file still holds open paper or live orders, say so (logged once, at start; the
    warning is returned for the timeline): this session does not see them."""
    if not legacy.is_file() or legacy.resolve() == session.resolve():
        return None
    states = [s.value for s in OrderState if s.is_open]
    try:
        conn = sqlite3.connect(f"file:{legacy}?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT mode, COUNT(*) FROM orders WHERE mode IN ('paper', 'live') AND identifier NOT LIKE 'demo-%' "
                f"AND state IN ({', '.join('?' * len(states))}) GROUP BY mode ORDER BY mode",
                states,
            ).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:  # no orders table (research data only) or unreadable: nothing to say
        return None
    if not rows:
        return None
    counts = " and ".join(f"{n} open {mode} order{'s' if n != 1 else ''}" for mode, n in rows)
    message = (
        f"{legacy} holds {counts} from before each kind of run kept its own database; this session "
        f"({session}) does not see them: check them on the exchange, or point [storage] database at that "
        "file to resume it"
    )
    log.warning("%s", message)
    return message


class StateStore:
    """The session database as the front ends read it (orders, closed trades), its config
    history, and the positions with their exits stored at a clean stop.

    Everything goes through the journal's synchronous connection (see
    :mod:`tradetui.storage.journal` for why no async transaction is held in this process)."""

    def __init__(self, journal: SqliteOrderJournal, positions: PositionWriter | None = None) -> None:
        self.journal = journal
        self.positions = positions
        """The session's position writer, when it keeps positions stored while it trades (live)."""

    @property
    def database(self) -> Path:
        return self.journal.path

    async def orders(self, limit: int) -> list[Order]:
        """Orders of this profile, newest first."""
        return self.journal.load_recent_orders(limit)

    async def closed_trades(self, limit: int) -> list[ClosedTrade]:
        """Round trips of this profile (this run's included), the newest first."""
        return self.journal.load_closed_trades(limit)

    async def save_config(self, text: str, note: str) -> None:
        self.journal.save_config_history(text, note, ts_ms=int(time.time() * 1000), changed_by="tui")

    async def save_engine(self, engine: Engine) -> None:
        """Positions with their exit state (risk events, strategy state and closed trades are
        already stored, as they happened), by the session's one position writer."""
        (self.positions or PositionWriter(engine, self.journal)).write(force=True)
        log.info("state stored in %s", self.database)


class PositionWriter:
    """Stores positions with their exit state synchronously whenever they may have changed.

    Volumes are rebuilt from the journal's fills on restart; what must survive a kill -9 here is
    the exit state (stop, targets hit, trailing high). Written on every fill, exit and position
    event, and at most every ``interval_s`` while a tracker moves."""

    def __init__(self, engine: Engine, journal: SqliteOrderJournal) -> None:
        self.engine = engine
        self.journal = journal
        self._last: list[StoredPosition] | None = None

    def listen(self, events: Sequence[Event]) -> None:
        if any(isinstance(e, _POSITION_EVENTS) for e in events):
            self.write()  # the engine announces a fill once the portfolio has booked it

    def write(self, *, force: bool = False) -> None:
        rows = stored_positions(self.engine)
        if not force and self._last is not None and _same_rows(self._last, rows):
            return
        self.journal.save_positions(rows)
        self._last = rows

    async def run(self, interval_s: float = 1.0) -> None:
        """Trailing highs move without events: store them now and then (a companion task)."""
        while True:
            await asyncio.sleep(interval_s)
            self.write()


_POSITION_EVENTS = (OrderFilled, OrderUpdated, PositionOpened, PositionClosed, ExitTriggered)


def _same_rows(old: list[StoredPosition], new: list[StoredPosition]) -> bool:
    def key(p: StoredPosition) -> tuple[object, ...]:
        return (p.market, p.volume, p.avg_price, p.strategy, p.opened_ms, sorted(p.stop_state.items()))

    return [key(p) for p in old] == [key(p) for p in new]
