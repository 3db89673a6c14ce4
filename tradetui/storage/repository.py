"""``SqliteRepository``: async storage over SQLAlchemy's async engine (``sqlite+aiosqlite``).

Writes run in ``BEGIN IMMEDIATE`` transactions (one per method call), reads in deferred ones.
Upserts use ``INSERT … ON CONFLICT``, which SQLite and PostgreSQL both have, so
:meth:`SqliteRepository.open_url` also works with a PostgreSQL async URL.

The synchronous intent log used by the live engine's decision step is
:class:`tradetui.storage.journal.SqliteOrderJournal`; it writes the same ``orders``/``trades``
tables. Within one process, do not keep a repository write transaction open while the event loop
runs the journal: the journal would wait on the lock the loop itself must release.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import URL, Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from tradetui.core.events import EngineStateChanged, RiskEvent, SignalRaised
from tradetui.core.market import Timeframe
from tradetui.core.orders import Fill, Order, OrderState
from tradetui.core.ports import Balance
from tradetui.core.trades import ClosedTrade
from tradetui.storage import convert
from tradetui.storage.records import (
    BacktestRun,
    BacktestRunSummary,
    CandleInput,
    CandleRange,
    CandleSet,
    CandleTuple,
    DailyPerformance,
    EquityPoint,
    StoredStrategyState,
)
from tradetui.storage.schema import prepare_schema, stored_version
from tradetui.storage.sqlite_file import BEGIN_OPTION, install_sqlite_hooks, secure_sqlite_file
from tradetui.storage.tables import (
    CANDLES_TEXT,
    AccountSnapshotRow,
    AdvisorCallRow,
    BacktestEquityRow,
    BacktestRunRow,
    BacktestTradeRow,
    ClosedTradeRow,
    ConfigHistoryRow,
    DailyPerformanceRow,
    FillRow,
    MarketRow,
    OrderRow,
    RiskEventRow,
    RunMode,
    SignalRow,
    StrategyStateRow,
    table_of,
    text_to_decimal,
)
from tradetui.storage.upsert import DialectInsert, insert_new, new_id, row_values, upsert

R = TypeVar("R", bound=SQLModel)

OPEN_STATES: tuple[str, ...] = tuple(state.value for state in OrderState if state.is_open)
CANDLE_CHUNK_ROWS = 20_000

_CANDLE_KEYS = ("exchange", "market", "timeframe", "ts_s")

ORDERS, FILLS = table_of(OrderRow), table_of(FillRow)
RUNS, RUN_TRADES, RUN_EQUITY = table_of(BacktestRunRow), table_of(BacktestTradeRow), table_of(BacktestEquityRow)


class SqliteRepository:
    """Async repository over one database. Create it with :meth:`open` (a file) or :meth:`open_url`."""

    def __init__(self, engine: AsyncEngine, *, path: Path | None = None) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{BEGIN_OPTION: "BEGIN IMMEDIATE"})
        self._dialect = engine.dialect.name
        self.path = path

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> SqliteRepository:
        """Open (creating with mode 0600 if needed) the SQLite file at ``path`` and bring its schema up to date."""
        target = secure_sqlite_file(path)
        engine = create_async_engine(URL.create("sqlite+aiosqlite", database=str(target)))
        return await cls._start(engine, target)

    @classmethod
    async def open_url(cls, url: str | URL) -> SqliteRepository:
        """Open any SQLAlchemy async URL (``sqlite+aiosqlite://…``, ``postgresql+asyncpg://…``)."""
        return await cls._start(create_async_engine(url), None)

    @classmethod
    async def _start(cls, engine: AsyncEngine, path: Path | None) -> SqliteRepository:
        install_sqlite_hooks(engine.sync_engine)
        repo = cls(engine, path=path)
        try:
            async with repo._writer.begin() as conn:
                await conn.run_sync(prepare_schema)
        except BaseException:
            await engine.dispose()
            raise
        return repo

    async def close(self) -> None:
        await self._engine.dispose()

    async def schema_version(self) -> int | None:
        async with self._engine.connect() as conn:
            return await conn.run_sync(stored_version)

    # --- helpers ------------------------------------------------------------------------------

    def _upsert_rows(self, row_cls: type[SQLModel], keys: Sequence[str]) -> DialectInsert:
        return upsert(self._dialect, table_of(row_cls), keys)

    async def _write(self, conn: AsyncConnection, stmt: Any, rows: Sequence[SQLModel]) -> None:
        if rows:
            await conn.execute(stmt, [row_values(row) for row in rows])

    async def _fetch(self, stmt: Select[Any], row_cls: type[R]) -> list[R]:
        async with self._engine.connect() as conn:
            result = await conn.execute(stmt)
            return [row_cls(**mapping) for mapping in result.mappings()]

    # --- orders and fills ---------------------------------------------------------------------

    async def save_order(self, order: Order, *, mode: RunMode | str, run_id: int | None = None) -> None:
        """Upsert by identifier: the row always holds the order's latest version."""
        await self.save_orders((order,), mode=mode, run_id=run_id)

    async def save_orders(
        self, orders: Iterable[Order], *, mode: RunMode | str = RunMode.LIVE, run_id: int | None = None
    ) -> None:
        rows = [convert.order_to_row(order, mode=mode, run_id=run_id) for order in orders]
        async with self._writer.begin() as conn:
            await self._write(conn, self._upsert_rows(OrderRow, ("identifier",)), rows)

    async def save_fill(self, fill: Fill) -> bool:
        """Insert a fill; ``False`` (and nothing changes) if ``(identifier, trade_id)`` is already stored."""
        return await self._insert_fills((fill,)) == 1

    async def save_fills(self, fills: Iterable[Fill]) -> None:
        """Insert fills in one transaction, skipping those already stored."""
        await self._insert_fills(fills)

    async def _insert_fills(self, fills: Iterable[Fill]) -> int:
        stmt = insert_new(self._dialect, FILLS, ("identifier", "trade_id"))
        added = 0
        async with self._writer.begin() as conn:
            for fill in fills:
                result = await conn.execute(stmt, row_values(convert.fill_to_row(fill)))
                added += max(result.rowcount, 0)
        return added

    async def load_order(self, identifier: str) -> Order | None:
        rows = await self._fetch(select(ORDERS).where(ORDERS.c.identifier == identifier), OrderRow)
        return convert.row_to_order(rows[0]) if rows else None

    async def load_orders(
        self,
        *,
        market: str | None = None,
        mode: RunMode | str | None = None,
        run_id: int | None = None,
        states: Iterable[OrderState | str] | None = None,
        since_ms: int | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """Orders oldest first (by ``created_ms``), filtered by whatever is given."""
        stmt = select(ORDERS)
        if market is not None:
            stmt = stmt.where(ORDERS.c.market == market)
        if mode is not None:
            stmt = stmt.where(ORDERS.c.mode == convert.run_mode(mode))
        if run_id is not None:
            stmt = stmt.where(ORDERS.c.run_id == run_id)
        if states is not None:
            stmt = stmt.where(ORDERS.c.state.in_([OrderState(s).value for s in states]))
        if since_ms is not None:
            stmt = stmt.where(ORDERS.c.created_ms >= since_ms)
        stmt = stmt.order_by(ORDERS.c.created_ms, ORDERS.c.identifier).limit(limit)
        return [convert.row_to_order(row) for row in await self._fetch(stmt, OrderRow)]

    async def load_recent_orders(self, limit: int) -> list[Order]:
        """The ``limit`` newest orders (by ``created_ms``), newest first."""
        stmt = select(ORDERS).order_by(ORDERS.c.created_ms.desc(), ORDERS.c.identifier.desc()).limit(limit)
        return [convert.row_to_order(row) for row in await self._fetch(stmt, OrderRow)]

    async def load_open_orders(self, *, mode: RunMode | str | None = None) -> list[Order]:
        """Orders that may still fill: ``intent``, ``unknown``, ``wait``, ``watch`` (pass ``mode`` to keep one)."""
        return await self.load_orders(mode=mode, states=OPEN_STATES)

    async def load_fills(self, identifier: str | None = None) -> list[Fill]:
        stmt = select(FILLS)
        if identifier is not None:
            stmt = stmt.where(FILLS.c.identifier == identifier)
        stmt = stmt.order_by(FILLS.c.ts_ms, FILLS.c.identifier, FILLS.c.trade_id)
        return [convert.row_to_fill(row) for row in await self._fetch(stmt, FillRow)]

    # --- a session's closed trades --------------------------------------------------------------

    async def save_closed_trade(self, trade: ClosedTrade) -> None:
        async with self._writer.begin() as conn:
            await conn.execute(table_of(ClosedTradeRow).insert(), row_values(convert.session_trade_to_row(trade)))

    async def load_closed_trades(self, *, limit: int | None = None) -> list[ClosedTrade]:
        """The session's round trips, the newest (latest exit) first."""
        closed = table_of(ClosedTradeRow)
        stmt = select(closed).order_by(closed.c.exit_ms.desc(), closed.c.id.desc()).limit(limit)
        return [convert.row_to_session_trade(row) for row in await self._fetch(stmt, ClosedTradeRow)]

    # --- candles ------------------------------------------------------------------------------

    async def save_candles(
        self, exchange: str, market: str, timeframe: Timeframe | str, rows: Iterable[CandleInput]
    ) -> int:
        """Bulk upsert ``(ts_s, open, high, low, close, volume)`` rows (Decimal or str); returns the count."""
        tf = convert.timeframe_name(timeframe)
        stmt = upsert(self._dialect, CANDLES_TEXT, _CANDLE_KEYS)
        count = 0
        chunk: list[dict[str, object]] = []
        async with self._writer.begin() as conn:
            for row in rows:
                ts_s, o, h, lo, c, v = convert.candle_values_as_text(row)
                chunk.append(
                    {"exchange": exchange, "market": market, "timeframe": tf, "ts_s": ts_s,
                     "open": o, "high": h, "low": lo, "close": c, "volume": v}
                )  # fmt: skip
                if len(chunk) >= CANDLE_CHUNK_ROWS:
                    await conn.execute(stmt, chunk)
                    count += len(chunk)
                    chunk = []
            if chunk:
                await conn.execute(stmt, chunk)
                count += len(chunk)
        return count

    def _candle_filter(self, exchange: str, market: str, timeframe: Timeframe | str) -> Any:
        c = CANDLES_TEXT.c
        return (c.exchange == exchange) & (c.market == market) & (c.timeframe == convert.timeframe_name(timeframe))

    async def load_candles(
        self,
        exchange: str,
        market: str,
        timeframe: Timeframe | str,
        start_s: int | None = None,
        end_s: int | None = None,
    ) -> list[CandleTuple]:
        """Candles with ``start_s <= ts_s <= end_s`` (either bound optional), oldest first."""
        c = CANDLES_TEXT.c
        stmt = select(c.ts_s, c.open, c.high, c.low, c.close, c.volume).where(
            self._candle_filter(exchange, market, timeframe)
        )
        if start_s is not None:
            stmt = stmt.where(c.ts_s >= start_s)
        if end_s is not None:
            stmt = stmt.where(c.ts_s <= end_s)
        async with self._engine.connect() as conn:
            result = await conn.execute(stmt.order_by(c.ts_s))
            d = text_to_decimal
            return [(int(ts), d(o), d(h), d(lo), d(cl), d(v)) for ts, o, h, lo, cl, v in result]

    async def candle_range(self, exchange: str, market: str, timeframe: Timeframe | str) -> CandleRange | None:
        c = CANDLES_TEXT.c
        stmt = select(func.min(c.ts_s), func.max(c.ts_s), func.count()).where(
            self._candle_filter(exchange, market, timeframe)
        )
        async with self._engine.connect() as conn:
            first, last, count = (await conn.execute(stmt)).one()
        return None if not count else CandleRange(first_s=int(first), last_s=int(last), count=int(count))

    async def list_candle_sets(self) -> list[CandleSet]:
        c = CANDLES_TEXT.c
        stmt = (
            select(c.exchange, c.market, c.timeframe, func.count(), func.min(c.ts_s), func.max(c.ts_s))
            .group_by(c.exchange, c.market, c.timeframe)
            .order_by(c.exchange, c.market, c.timeframe)
        )
        async with self._engine.connect() as conn:
            result = await conn.execute(stmt)
            return [CandleSet(ex, mk, tf, int(n), int(lo), int(hi)) for ex, mk, tf, n, lo, hi in result]

    # --- markets and signals ------------------------------------------------------------------

    async def save_markets(self, markets: Iterable[MarketRow]) -> None:
        async with self._writer.begin() as conn:
            await self._write(conn, self._upsert_rows(MarketRow, ("exchange", "market")), list(markets))

    async def load_markets(self, exchange: str) -> list[MarketRow]:
        markets = table_of(MarketRow)
        stmt = select(markets).where(markets.c.exchange == exchange).order_by(markets.c.market)
        return await self._fetch(stmt, MarketRow)

    async def save_signal(self, event: SignalRaised, *, mode: RunMode | str, run_id: int | None = None) -> None:
        async with self._writer.begin() as conn:
            await conn.execute(
                table_of(SignalRow).insert(), row_values(convert.signal_to_row(event, mode=mode, run_id=run_id))
            )

    async def load_signals(self, *, market: str | None = None, limit: int | None = None) -> list[SignalRaised]:
        """Signals newest first."""
        signals = table_of(SignalRow)
        stmt = select(signals)
        if market is not None:
            stmt = stmt.where(signals.c.market == market)
        stmt = stmt.order_by(signals.c.ts_ms.desc(), signals.c.id.desc()).limit(limit)
        return [convert.row_to_signal(row) for row in await self._fetch(stmt, SignalRow)]

    # --- balances, strategy state --------------------------------------------------

    async def save_account_snapshot(
        self, exchange: str, balances: Iterable[Balance], *, ts_ms: int, mode: RunMode | str
    ) -> None:
        rows = [
            AccountSnapshotRow(ts_ms=ts_ms, exchange=exchange, mode=convert.run_mode(mode), currency=b.currency,
                               free=b.free, locked=b.locked)
            for b in balances
        ]  # fmt: skip
        async with self._writer.begin() as conn:
            await self._write(conn, table_of(AccountSnapshotRow).insert(), rows)

    async def load_account_snapshot(self, exchange: str) -> tuple[int, list[Balance]] | None:
        """The latest snapshot of ``exchange``: its time and balances (by currency)."""
        snaps = table_of(AccountSnapshotRow)
        latest = select(func.max(snaps.c.ts_ms)).where(snaps.c.exchange == exchange).scalar_subquery()
        stmt = select(snaps).where(snaps.c.exchange == exchange, snaps.c.ts_ms == latest).order_by(snaps.c.currency)
        rows = await self._fetch(stmt, AccountSnapshotRow)
        if not rows:
            return None
        return rows[0].ts_ms, [Balance(currency=r.currency, free=r.free, locked=r.locked) for r in rows]

    async def save_strategy_state(
        self, strategy: str, market: str, state: Mapping[str, Any], *, enabled: bool, updated_ms: int
    ) -> None:
        record = StoredStrategyState(strategy, market, state, enabled, updated_ms)
        async with self._writer.begin() as conn:
            stmt = self._upsert_rows(StrategyStateRow, ("strategy", "market"))
            await self._write(conn, stmt, [convert.strategy_state_to_row(record)])

    async def load_strategy_state(self, strategy: str | None = None) -> list[StoredStrategyState]:
        states = table_of(StrategyStateRow)
        stmt = select(states).order_by(states.c.strategy, states.c.market)
        if strategy is not None:
            stmt = stmt.where(states.c.strategy == strategy)
        return [convert.row_to_strategy_state(row) for row in await self._fetch(stmt, StrategyStateRow)]

    # --- risk, config, advisor ----------------------------------------------------------------

    async def save_risk_event(self, event: RiskEvent | EngineStateChanged) -> None:
        async with self._writer.begin() as conn:
            await conn.execute(table_of(RiskEventRow).insert(), row_values(convert.risk_event_to_row(event)))

    async def load_risk_events(self, *, since_ms: int | None = None, limit: int | None = None) -> list[RiskEventRow]:
        """Newest first."""
        events = table_of(RiskEventRow)
        stmt = select(events)
        if since_ms is not None:
            stmt = stmt.where(events.c.ts_ms >= since_ms)
        return await self._fetch(stmt.order_by(events.c.ts_ms.desc(), events.c.id.desc()).limit(limit), RiskEventRow)

    async def save_config_history(self, text: str, note: str, *, ts_ms: int, changed_by: str = "") -> int:
        """Store a config version with a unified diff against the previous one; returns its id."""
        history = table_of(ConfigHistoryRow)
        async with self._writer.begin() as conn:
            previous = (
                await conn.execute(select(history.c.config_text).order_by(history.c.id.desc()).limit(1))
            ).scalar_one_or_none()
            diff = "".join(
                difflib.unified_diff(
                    (previous or "").splitlines(keepends=True), text.splitlines(keepends=True), "previous", "current"
                )
            )
            row = ConfigHistoryRow(ts_ms=ts_ms, config_text=text, changed_by=changed_by, note=note, diff=diff)
            result = await conn.execute(history.insert(), row_values(row))
            return new_id(result)

    async def load_config_history(self, *, limit: int | None = None) -> list[ConfigHistoryRow]:
        """Newest first."""
        history = table_of(ConfigHistoryRow)
        return await self._fetch(select(history).order_by(history.c.id.desc()).limit(limit), ConfigHistoryRow)

    async def save_advisor_call(self, call: AdvisorCallRow) -> int:
        async with self._writer.begin() as conn:
            result = await conn.execute(table_of(AdvisorCallRow).insert(), row_values(call))
            return new_id(result)

    # --- backtests and daily performance ------------------------------------------------------

    async def save_backtest_run(
        self, summary: Mapping[str, Any], trades: Sequence[ClosedTrade], equity: Sequence[EquityPoint]
    ) -> int:
        """Store a run, its closed trades and its equity curve in one transaction; returns the run id.

        ``summary`` keys: ``created_ms`` and ``strategy`` (required), ``markets``, ``timeframe``,
        ``start_ms``/``end_ms`` (or ``period``), ``params``, ``metrics``, ``config_text``.
        """
        run_row = convert.summary_to_run_row(summary)
        points = [convert.equity_point(*point) for point in equity]
        async with self._writer.begin() as conn:
            result = await conn.execute(RUNS.insert(), row_values(run_row))
            run_id = new_id(result)
            trade_rows = [convert.closed_trade_to_row(t, run_id=run_id, seq=i) for i, t in enumerate(trades)]
            await self._write(conn, RUN_TRADES.insert(), trade_rows)
            if points:
                await conn.execute(
                    RUN_EQUITY.insert(),
                    [{"run_id": run_id, "ts_s": t, "equity": e, "drawdown": d} for t, e, d in points],
                )
        return run_id

    async def list_backtest_runs(self, *, limit: int | None = None) -> list[BacktestRunSummary]:
        """Newest first."""
        rows = await self._fetch(select(RUNS).order_by(RUNS.c.id.desc()).limit(limit), BacktestRunRow)
        return [convert.run_row_to_summary(row) for row in rows]

    async def load_backtest_run(self, run_id: int) -> BacktestRun | None:
        runs = await self._fetch(select(RUNS).where(RUNS.c.id == run_id), BacktestRunRow)
        if not runs:
            return None
        trades = await self._fetch(
            select(RUN_TRADES).where(RUN_TRADES.c.run_id == run_id).order_by(RUN_TRADES.c.seq), BacktestTradeRow
        )
        async with self._engine.connect() as conn:
            result = await conn.execute(
                select(RUN_EQUITY.c.ts_s, RUN_EQUITY.c.equity, RUN_EQUITY.c.drawdown)
                .where(RUN_EQUITY.c.run_id == run_id)
                .order_by(RUN_EQUITY.c.ts_s)
            )
            equity = tuple((int(t), float(e), float(d)) for t, e, d in result)
        return BacktestRun(
            summary=convert.run_row_to_summary(runs[0]),
            trades=tuple(convert.row_to_closed_trade(row) for row in trades),
            equity=equity,
        )

    async def delete_backtest_run(self, run_id: int) -> None:
        """Remove a run; its trades and equity go with it (foreign keys cascade)."""
        async with self._writer.begin() as conn:
            await conn.execute(delete(RUNS).where(RUNS.c.id == run_id))

    async def save_daily_performance(self, day: DailyPerformance) -> None:
        """Upsert one (day, mode) row."""
        async with self._writer.begin() as conn:
            stmt = self._upsert_rows(DailyPerformanceRow, ("day", "mode"))
            await self._write(conn, stmt, [convert.daily_to_row(day)])

    async def load_daily_performance(
        self, *, mode: RunMode | str | None = None, start: date | None = None, end: date | None = None
    ) -> list[DailyPerformance]:
        """Days oldest first, ``start <= day <= end``."""
        daily = table_of(DailyPerformanceRow)
        stmt = select(daily)
        if mode is not None:
            stmt = stmt.where(daily.c.mode == convert.run_mode(mode))
        if start is not None:
            stmt = stmt.where(daily.c.day >= start.isoformat())
        if end is not None:
            stmt = stmt.where(daily.c.day <= end.isoformat())
        rows = await self._fetch(stmt.order_by(daily.c.day, daily.c.mode), DailyPerformanceRow)
        return [convert.row_to_daily(row) for row in rows]
