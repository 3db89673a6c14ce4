"""Sandbox orders, their fills, and how each profile writes them on the wire (A5, B4.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradetui.core.types import ZERO
from tradetui.sandbox.wire import iso_kst, num_text, opt_text

OPEN_STATES = frozenset({"wait", "watch"})


@dataclass(slots=True)
class WireFill:
    trade_id: str
    price: Decimal
    volume: Decimal
    funds: Decimal
    fee: Decimal
    ts_ms: int
    is_maker: bool
    trend: str

    def to_json(self) -> list[Any]:
        return [
            self.trade_id,
            str(self.price),
            str(self.volume),
            str(self.funds),
            str(self.fee),
            self.ts_ms,
            self.is_maker,
            self.trend,
        ]

    @classmethod
    def from_json(cls, row: list[Any]) -> WireFill:
        return cls(
            str(row[0]),
            Decimal(row[1]),
            Decimal(row[2]),
            Decimal(row[3]),
            Decimal(row[4]),
            int(row[5]),
            bool(row[6]),
            str(row[7]),
        )


@dataclass(slots=True)
class WireOrder:
    """One order of one account, as the sandbox keeps it and writes it on the wire (not the
    engine's :class:`tradetui.core.orders.Order`). ``remaining_funds`` is the unspent KRW of
    amount-based buys."""

    id: str
    access_key: str
    market: str
    side: str
    ord_type: str
    price: Decimal | None
    volume: Decimal | None
    created_ms: int
    sequence: int
    identifier: str | None = None
    time_in_force: str | None = None
    smp_type: str | None = None
    state: str = "wait"
    remaining_volume: Decimal | None = None
    remaining_funds: Decimal | None = None
    executed_volume: Decimal = ZERO
    executed_funds: Decimal = ZERO
    reserved_fee: Decimal = ZERO
    remaining_fee: Decimal = ZERO
    paid_fee: Decimal = ZERO
    locked: Decimal = ZERO
    fills: list[WireFill] = field(default_factory=list)
    cancel_type: str | None = None
    cancel_due_ms: int | None = None
    finished_ms: int | None = None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def base(self) -> str:
        return self.market.split("-", 1)[1]

    @property
    def quote(self) -> str:
        return self.market.split("-", 1)[0]

    # -- wire form --------------------------------------------------------------------------------
    def to_wire(self, profile: str, *, with_trades: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "uuid": self.id,
            "side": self.side,
            "ord_type": self.ord_type,
            "price": opt_text(self.price),
            "state": self.state,
            "market": self.market,
            "created_at": iso_kst(self.created_ms),
            "volume": opt_text(self.volume),
            "remaining_volume": opt_text(self.remaining_volume),
            "executed_volume": num_text(self.executed_volume),
            "executed_funds": num_text(self.executed_funds),
            "reserved_fee": num_text(self.reserved_fee),
            "remaining_fee": num_text(self.remaining_fee),
            "paid_fee": num_text(self.paid_fee),
            "locked": num_text(self.locked),
            "trades_count": len(self.fills),
        }
        if profile == "upbit":
            data["prevented_volume"] = "0"
            data["prevented_locked"] = "0"
            if self.identifier is not None:
                data["identifier"] = self.identifier
            if self.time_in_force is not None:
                data["time_in_force"] = self.time_in_force
            if self.smp_type is not None:
                data["smp_type"] = self.smp_type
        else:
            data["client_order_id"] = self.identifier
            data["stp_type"] = self.smp_type
            data["cancel_type"] = self.cancel_type
            data["canceling_uuid"] = None
            if self.time_in_force is not None:
                data["time_in_force"] = self.time_in_force
        if with_trades:
            data["trades"] = [
                {
                    "market": self.market,
                    "uuid": fill.trade_id,
                    "price": num_text(fill.price),
                    "volume": num_text(fill.volume),
                    "funds": num_text(fill.funds),
                    "trend": fill.trend,
                    "created_at": iso_kst(fill.ts_ms),
                    "side": self.side,
                }
                for fill in self.fills
            ]
        return data

    # -- snapshot ---------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        plain = {
            name: getattr(self, name)
            for name in (
                "id",
                "access_key",
                "market",
                "side",
                "ord_type",
                "created_ms",
                "sequence",
                "identifier",
                "time_in_force",
                "smp_type",
                "state",
                "cancel_type",
                "cancel_due_ms",
                "finished_ms",
            )
        }
        for name in _DECIMALS:
            value = getattr(self, name)
            plain[name] = None if value is None else str(value)
        plain["fills"] = [fill.to_json() for fill in self.fills]
        return plain

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WireOrder:
        values = dict(data)
        for name in _DECIMALS:
            values[name] = None if values.get(name) is None else Decimal(values[name])
        values["fills"] = [WireFill.from_json(row) for row in values.get("fills", [])]
        return cls(**values)


_DECIMALS = (
    "price",
    "volume",
    "remaining_volume",
    "remaining_funds",
    "executed_volume",
    "executed_funds",
    "reserved_fee",
    "remaining_fee",
    "paid_fee",
    "locked",
)
