"""SQLModel table classes (``*Row``): the stored shape of everything tradetui keeps.

Prices, volumes, fees and KRW amounts are ``Decimal`` and are stored as TEXT through
:class:`DecimalText`, so they come back exactly as written (``Decimal("1.10")`` stays
``1.10``). Metrics and equity curves are floats (they are maths, not money) and stored as REAL.
Timestamps are integers: ``*_ms`` epoch milliseconds, ``ts_s`` epoch seconds, both UTC.

No ``from __future__ import annotations`` here: SQLModel reads the annotations at run time.
"""

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from sqlalchemy import Dialect, Index, Table, Text, column, table
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from tradetui.core.types import to_decimal


class RunMode(StrEnum):
    """Which environment wrote a row."""

    BACKTEST = "backtest"
    PAPER = "paper"
    LIVE = "live"


def decimal_to_text(value: Decimal | str | int) -> str:
    """The TEXT form of a Decimal; ``str``/``int`` are parsed first, floats are refused."""
    return str(to_decimal(value, what="stored decimal"))


def text_to_decimal(text: str | int) -> Decimal:
    """Parse a stored Decimal; corrupt text raises ``ValueError`` naming the value."""
    try:
        result = Decimal(text)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValueError(f"stored decimal is not a number: {text!r}") from exc
    if not result.is_finite():
        raise ValueError(f"stored decimal is not finite: {text!r}")
    return result


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal kept as TEXT, exact to the last digit and exponent."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Decimal | str | int | None, dialect: Dialect) -> str | None:
        return None if value is None else decimal_to_text(value)

    def process_literal_param(self, value: Decimal | str | int | None, dialect: Dialect) -> str:
        return "NULL" if value is None else "'" + decimal_to_text(value) + "'"

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else text_to_decimal(value if isinstance(value, str | int) else str(value))

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class SchemaMetaRow(SQLModel, table=True):
    """One row (``id`` = 1): the schema version this file is at."""

    __tablename__ = "schema_meta"

    id: int = Field(default=1, primary_key=True)
    version: int


CANDLE_PRICES = ("open", "high", "low", "close", "volume")


class CandleRow(SQLModel, table=True):
    __tablename__ = "candles"

    exchange: str = Field(primary_key=True)
    market: str = Field(primary_key=True)
    timeframe: str = Field(primary_key=True)
    ts_s: int = Field(primary_key=True)
    """Open time of the period, epoch seconds UTC."""
    open: Decimal = Field(sa_type=DecimalText)
    high: Decimal = Field(sa_type=DecimalText)
    low: Decimal = Field(sa_type=DecimalText)
    close: Decimal = Field(sa_type=DecimalText)
    volume: Decimal = Field(sa_type=DecimalText)


class MarketRow(SQLModel, table=True):
    """A listed market as the exchange described it when last fetched."""

    __tablename__ = "markets"

    exchange: str = Field(primary_key=True)
    market: str = Field(primary_key=True)
    korean_name: str = ""
    english_name: str = ""
    is_warning: bool = False
    is_active: bool = True
    updated_ms: int = 0


class SignalRow(SQLModel, table=True):
    __tablename__ = "signals"
    __table_args__ = (Index("ix_signals_market_ts", "market", "ts_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int
    market: str
    strategy: str
    action: str
    price: Decimal = Field(sa_type=DecimalText)
    note: str = ""
    mode: str = RunMode.LIVE.value
    run_id: int | None = None


class OrderRow(SQLModel, table=True):
    """The intent log: one row per order, overwritten on every state change."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_state", "state"),
        Index("ix_orders_run_id", "run_id"),
    )

    identifier: str = Field(primary_key=True)
    exchange_id: str | None = None
    market: str
    side: str
    ord_type: str
    price: Decimal | None = Field(default=None, sa_type=DecimalText)
    volume: Decimal | None = Field(default=None, sa_type=DecimalText)
    state: str
    executed_volume: Decimal = Field(sa_type=DecimalText)
    executed_funds: Decimal = Field(sa_type=DecimalText)
    paid_fee: Decimal = Field(sa_type=DecimalText)
    purpose: str = "entry"
    strategy: str = ""
    reason: str = ""
    created_ms: int
    updated_ms: int = 0
    mode: str = Field(default=RunMode.LIVE.value, sa_column_kwargs={"server_default": RunMode.LIVE.value})
    run_id: int | None = None


class FillRow(SQLModel, table=True):
    """One execution; ``(identifier, trade_id)`` is unique, so re-inserting a fill is a no-op."""

    __tablename__ = "trades"
    __table_args__ = (Index("ix_trades_market_ts", "market", "ts_ms"),)

    identifier: str = Field(primary_key=True)
    trade_id: str = Field(primary_key=True)
    market: str
    side: str
    price: Decimal = Field(sa_type=DecimalText)
    volume: Decimal = Field(sa_type=DecimalText)
    fee: Decimal = Field(sa_type=DecimalText)
    ts_ms: int
    is_maker: bool = False


class PositionRow(SQLModel, table=True):
    __tablename__ = "positions"

    market: str = Field(primary_key=True)
    volume: Decimal = Field(sa_type=DecimalText)
    avg_price: Decimal = Field(sa_type=DecimalText)
    strategy: str = ""
    stop_json: str = Field(default="{}", sa_type=Text)
    """Engine-side exit state (stop, target, trailing high, …) as a JSON object."""
    opened_ms: int = 0
    updated_ms: int = 0


class RoundTripColumns(SQLModel):
    """The columns of one round trip (entry to flat), shared by a session's and a backtest's trades."""

    market: str
    strategy: str
    entry_ms: int
    exit_ms: int
    volume: Decimal = Field(sa_type=DecimalText)
    entry_price: Decimal = Field(sa_type=DecimalText)
    exit_price: Decimal = Field(sa_type=DecimalText)
    pnl: Decimal = Field(sa_type=DecimalText)
    fees: Decimal = Field(sa_type=DecimalText)
    exit_reason: str = ""
    exit_fills: int = 1
    """Sell fills that closed the position (more than one: a partial take-profit came first)."""


class ClosedTradeRow(RoundTripColumns, table=True):
    """A trading session's round trip (entry to flat), written as the engine closes it."""

    __tablename__ = "closed_trades"
    __table_args__ = (Index("ix_closed_trades_exit", "exit_ms"),)

    id: int | None = Field(default=None, primary_key=True)


class AccountSnapshotRow(SQLModel, table=True):
    """Balances of one currency at one moment."""

    __tablename__ = "accounts_snapshot"
    __table_args__ = (Index("ix_accounts_snapshot_ts", "exchange", "ts_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int
    exchange: str
    mode: str = RunMode.LIVE.value
    currency: str
    free: Decimal = Field(sa_type=DecimalText)
    locked: Decimal = Field(sa_type=DecimalText)


class StrategyStateRow(SQLModel, table=True):
    __tablename__ = "strategy_state"

    strategy: str = Field(primary_key=True)
    market: str = Field(primary_key=True)
    state_json: str = Field(default="{}", sa_type=Text)
    enabled: bool = True
    updated_ms: int = 0


class RiskEventRow(SQLModel, table=True):
    __tablename__ = "risk_events"
    __table_args__ = (Index("ix_risk_events_ts", "ts_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int
    kind: str
    """``risk`` for a rule that acted, ``engine_state`` for a state change."""
    rule: str = ""
    """The rule's name, or the new engine state."""
    market: str = ""
    severity: int = 30
    message: str = Field(default="", sa_type=Text)


class ConfigHistoryRow(SQLModel, table=True):
    __tablename__ = "config_history"

    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int
    config_text: str = Field(sa_type=Text)
    changed_by: str = ""
    note: str = ""
    diff: str = Field(default="", sa_type=Text)


class BacktestRunRow(SQLModel, table=True):
    __tablename__ = "backtest_runs"

    id: int | None = Field(default=None, primary_key=True)
    created_ms: int
    strategy: str
    markets_json: str = Field(default="[]", sa_type=Text)
    timeframe: str = ""
    start_ms: int | None = None
    end_ms: int | None = None
    params_json: str = Field(default="{}", sa_type=Text)
    metrics_json: str = Field(default="{}", sa_type=Text)
    config_text: str = Field(default="", sa_type=Text)


class BacktestTradeRow(RoundTripColumns, table=True):
    __tablename__ = "backtest_trades"
    __table_args__ = (Index("ix_backtest_trades_run", "run_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="backtest_runs.id", ondelete="CASCADE")
    seq: int


class BacktestEquityRow(SQLModel, table=True):
    __tablename__ = "backtest_equity"

    run_id: int = Field(primary_key=True, foreign_key="backtest_runs.id", ondelete="CASCADE")
    ts_s: int = Field(primary_key=True)
    equity: float
    drawdown: float


class DailyPerformanceRow(SQLModel, table=True):
    """One trading day (00:00 UTC = 09:00 KST) of one mode."""

    __tablename__ = "daily_performance"

    day: str = Field(primary_key=True)
    """ISO date, ``YYYY-MM-DD``."""
    mode: str = Field(primary_key=True)
    start_equity: Decimal = Field(sa_type=DecimalText)
    end_equity: Decimal = Field(sa_type=DecimalText)
    pnl: Decimal = Field(sa_type=DecimalText)
    trades: int = 0
    wins: int = 0
    updated_ms: int = 0


class AdvisorCallRow(SQLModel, table=True):
    """One call to an outside advisor (kept for later use)."""

    __tablename__ = "advisor_calls"

    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int
    provider: str
    model: str = ""
    market: str = ""
    prompt: str = Field(default="", sa_type=Text)
    response: str = Field(default="", sa_type=Text)
    decision: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: int = 0
    error: str = ""


CANDLES_TEXT = table("candles", *(column(name) for name in ("exchange", "market", "timeframe", "ts_s", *CANDLE_PRICES)))
"""Untyped view of ``candles`` for bulk I/O: prices pass as TEXT, converted and checked by the caller."""


ALL_ROWS: tuple[type[SQLModel], ...] = (
    SchemaMetaRow,
    CandleRow,
    MarketRow,
    SignalRow,
    OrderRow,
    FillRow,
    PositionRow,
    ClosedTradeRow,
    AccountSnapshotRow,
    StrategyStateRow,
    RiskEventRow,
    ConfigHistoryRow,
    BacktestRunRow,
    BacktestTradeRow,
    BacktestEquityRow,
    DailyPerformanceRow,
    AdvisorCallRow,
)
"""Every table class, in an order where a referenced table comes before its referrers."""

METADATA = SQLModel.metadata


def table_of(row: type[SQLModel]) -> Table:
    """The SQLAlchemy ``Table`` behind a row class."""
    return METADATA.tables[str(row.__tablename__)]
