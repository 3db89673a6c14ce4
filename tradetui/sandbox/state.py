"""The whole sandbox exchange as plain data with methods: markets, accounts, orders, nonce and
rate windows, driven by an injectable :class:`Clock` (D.19).

Nothing here does I/O or sleeps: :meth:`SandboxState.advance` plays every path step and cancel
that is due at the clock's "now", in time order. The HTTP layer calls it before each request and
a later WebSocket layer can call it from a timer; both read events from :attr:`events`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from tradetui.core.clock import Clock, LiveClock
from tradetui.core.rules import BITHUMB_RULES, UPBIT_RULES, RuleBook
from tradetui.sandbox.accounts import Account
from tradetui.sandbox.auth import NonceMemory
from tradetui.sandbox.candles import Candle
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.events import BookMoved, EventHub, TradePrinted
from tradetui.sandbox.market import MarketSim, MarketSpec, TapeTrade
from tradetui.sandbox.matching import MatchingEngine
from tradetui.sandbox.ratelimit import RateLimiter

DEFAULT_MARKETS = (
    MarketSpec("KRW-BTC", "비트코인", "Bitcoin", seed=1, start_price=50_000_000.0),
    MarketSpec("KRW-ETH", "이더리움", "Ethereum", seed=2, start_price=4_000_000.0),
    MarketSpec("KRW-XRP", "리플", "XRP", seed=3, start_price=800.0),
)


def profile_rules(config: SandboxConfig) -> RuleBook:
    book = UPBIT_RULES if config.profile == "upbit" else BITHUMB_RULES
    versions = []
    for version in book.versions:
        changed = replace(version, volume_decimals=config.volume_decimals)
        if config.maker_fee is not None:
            changed = replace(changed, maker_fee=config.maker_fee)
        if config.taker_fee is not None:
            changed = replace(changed, taker_fee=config.taker_fee)
        versions.append(changed)
    return RuleBook(book.exchange, tuple(versions))


class SandboxState:
    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        clock: Clock | None = None,
        wall_clock: Clock | None = None,
        markets: Iterable[MarketSpec] = DEFAULT_MARKETS,
        origin_ms: int | None = None,
        seed: int = 0,
    ) -> None:
        self.config = config or SandboxConfig()
        self.clock: Clock = clock or LiveClock()
        self.wall_clock: Clock = wall_clock or self.clock
        """Real time for what clients measure in real time (rate windows, JWT freshness); the
        market clock may run faster (``ScaledClock``)."""
        self.profile = self.config.profile
        self.rules = profile_rules(self.config)
        self.origin_ms = self.clock.now_ms() if origin_ms is None else origin_ms
        self.seed = seed
        self.events = EventHub()
        self.accounts: dict[str, Account] = {}
        self.market_specs = tuple(markets)
        self.markets: dict[str, MarketSim] = {
            spec.code: MarketSim(
                spec,
                self.rules,
                origin_ms=self.origin_ms,
                speed=self.config.speed,
                history_minutes=self.config.history_minutes,
                depth=self.config.book_depth,
            )
            for spec in self.market_specs
        }
        self.engine = MatchingEngine(self.config, self.rules, self.markets, self.accounts, self.events, seed)
        self.nonces = NonceMemory(self.config.nonce_memory)
        self.limits = RateLimiter(self.config)

    @property
    def is_upbit(self) -> bool:
        return self.profile == "upbit"

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def wall_ms(self) -> int:
        return self.wall_clock.now_ms()

    def add_account(
        self, access_key: str, secret_key: str, balances: Mapping[str, str | Decimal] | None = None
    ) -> Account:
        account = Account(access_key, secret_key)
        for currency, amount in (balances or {}).items():
            account.deposit(currency, amount)
        self.accounts[access_key] = account
        return account

    def advance(self) -> None:
        """Play every path step and settle every cancel due up to now, in time order."""
        now = self.clock.now_ms()
        engine = self.engine
        publish = self.events.has_subscribers
        for market in self.markets.values():
            for step in market.due_steps(now):
                due = engine.next_cancel_ms()
                if due is not None and due <= step.ts_ms:
                    engine.settle_cancels(step.ts_ms)
                trade = market.apply_step(step)
                engine.on_step(market, step)
                if publish:
                    if trade is not None:
                        self._publish_trade(trade)
                    self.events.publish(BookMoved(market.code, step.ts_ms))
        engine.settle_cancels(now)

    def _publish_trade(self, trade: TapeTrade) -> None:
        self.events.publish(
            TradePrinted(trade.market, trade.ts_ms, trade.price, trade.volume, trade.ask_bid, trade.sequential_id)
        )

    # -- snapshot / restore ----------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Everything needed to come back after a restart, as JSON-serialisable data."""
        return {
            "config": self.config.to_json(),
            "origin_ms": self.origin_ms,
            "seed": self.seed,
            "markets": [spec.to_json() for spec in self.market_specs],
            "market_state": {
                code: {
                    "next_step": m.next_step,
                    "sequence": m.sequence,
                    "last_price": str(m.last_price),
                    "mark_price": str(m.mark_price),
                    "candles": m.candles.minute_rows(),
                    "trades": [
                        [t.ts_ms, str(t.price), str(t.volume), t.ask_bid, t.sequential_id, str(t.prev_closing_price)]
                        for t in m.trades
                    ],
                }
                for code, m in self.markets.items()
            },
            "accounts": [account.to_json() for account in self.accounts.values()],
            "engine": self.engine.to_json(),
            "nonces": self.nonces.to_json(),
        }

    def snapshot_text(self) -> str:
        return json.dumps(self.snapshot(), ensure_ascii=False)

    @classmethod
    def restore(cls, data: dict[str, Any], *, clock: Clock | None = None) -> SandboxState:
        state = cls(
            SandboxConfig.from_json(data["config"]),
            clock=clock,
            markets=[MarketSpec.from_json(spec) for spec in data["markets"]],
            origin_ms=int(data["origin_ms"]),
            seed=int(data["seed"]),
        )
        for code, saved in data["market_state"].items():
            market = state.markets[code]
            market.next_step = int(saved["next_step"])
            market.sequence = int(saved["sequence"])
            market.last_price = Decimal(saved["last_price"])
            market.mark_price = Decimal(saved["mark_price"])
            market.candles = type(market.candles)()
            for row in saved["candles"]:
                market.candles.add_candle(Candle.from_row(row))
            market.trades.clear()
            for ts, price, volume, side, seq, prev in saved["trades"]:
                market.trades.append(TapeTrade(code, ts, Decimal(price), Decimal(volume), side, seq, Decimal(prev)))
        for row in data["accounts"]:
            account = Account.from_json(row)
            state.accounts[account.access_key] = account
        state.engine.restore(data["engine"])
        state.nonces.restore(data.get("nonces", {}))
        return state
