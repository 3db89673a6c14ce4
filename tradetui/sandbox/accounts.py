"""Sandbox accounts: API key pair, balances (free + locked) and used client order ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradetui.core.types import ZERO
from tradetui.sandbox.wire import num_text


@dataclass(slots=True)
class Holding:
    balance: Decimal = ZERO
    """Free amount."""
    locked: Decimal = ZERO
    avg_buy_price: Decimal = ZERO

    def lock(self, amount: Decimal) -> None:
        self.balance -= amount
        self.locked += amount

    def unlock(self, amount: Decimal) -> None:
        self.locked -= amount
        self.balance += amount


@dataclass(slots=True)
class Account:
    access_key: str
    secret_key: str
    holdings: dict[str, Holding] = field(default_factory=dict)
    identifiers: dict[str, str | None] = field(default_factory=dict)
    """Every client order id ever sent -> the order id (None when that order was refused)."""

    def holding(self, currency: str) -> Holding:
        found = self.holdings.get(currency)
        if found is None:
            found = self.holdings[currency] = Holding()
        return found

    def deposit(self, currency: str, amount: Decimal | str) -> None:
        self.holding(currency).balance += Decimal(amount)

    def wire_row(self, currency: str) -> dict[str, Any]:
        held = self.holdings.get(currency) or Holding()
        return {
            "currency": currency,
            "balance": num_text(held.balance),
            "locked": num_text(held.locked),
            "avg_buy_price": num_text(held.avg_buy_price),
            "avg_buy_price_modified": False,
            "unit_currency": "KRW",
        }

    def wire_rows(self) -> list[dict[str, Any]]:
        currencies = ["KRW", *sorted(c for c, h in self.holdings.items() if c != "KRW" and (h.balance or h.locked))]
        return [self.wire_row(currency) for currency in currencies]

    def to_json(self) -> dict[str, Any]:
        return {
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "holdings": {c: [str(h.balance), str(h.locked), str(h.avg_buy_price)] for c, h in self.holdings.items()},
            "identifiers": dict(self.identifiers),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Account:
        holdings = {c: Holding(Decimal(b), Decimal(lk), Decimal(a)) for c, (b, lk, a) in data["holdings"].items()}
        return cls(str(data["access_key"]), str(data["secret_key"]), holdings, dict(data.get("identifiers", {})))
