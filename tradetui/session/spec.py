"""One answer to "what is this session made of?", read once from a config.

Demo, replay, paper, live and both backtests (CLI and TUI) build their engine from a
:class:`SessionSpec`, so the rule book (tick sizes, fees, volume decimals), the sizing rules, the
account limits and the strategies cannot differ between a backtest and the live run of the same
config file. Each mode adds only what is its own: the clock, the venue and the feed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tradetui.config import AppConfig
from tradetui.core.market import Exchange
from tradetui.core.rules import BITHUMB_LOW_FEE, RuleBook, rule_book, with_overrides
from tradetui.engine.settings import LIVE_HISTORY_BARS, Assignment, EngineSettings
from tradetui.errors import ConfigError
from tradetui.risk.limits import AccountLimits
from tradetui.risk.sizing import SizingRules
from tradetui.strategies import registry
from tradetui.strategies.base import Strategy

DEFAULT_CASH_KRW = Decimal("10000000")


@dataclass(frozen=True, slots=True)
class StrategyEntry:
    """A configured strategy: its name, parameters and markets (empty: every market of the session)."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    markets: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """The rules, money and strategies of one session, whatever its mode.

    ``rules`` is built from ``exchange`` (and ``fee_override``) when not given, so
    ``SessionSpec(exchange=Exchange.BITHUMB, cash_krw=Decimal(1_000_000))`` is a whole spec."""

    exchange: Exchange = Exchange.UPBIT
    rules: RuleBook | None = None
    """The dated rule book (ticks, fees, minimum order, volume decimals); ``rule_book(exchange)``
    with the overrides applied when left out."""
    cash_krw: Decimal = DEFAULT_CASH_KRW
    fee_override: Decimal | None = None
    """A fee rate that replaced the dated maker and taker fees (``--fee``), kept for the record."""
    slippage_bps: float = 5.0
    """Market-order slippage of a simulated venue (backtest, demo)."""
    sizing: SizingRules = field(default_factory=SizingRules)
    limits: AccountLimits = field(default_factory=AccountLimits)
    atr_period: int = 14
    """The engine's ATR (sizing = "atr", ATR stops) when a strategy supplies none."""
    strategies: tuple[StrategyEntry, ...] = ()
    markets: tuple[str, ...] = ()
    """The session's markets (the config's ``[feed] markets``)."""
    live_history_bars: int = LIVE_HISTORY_BARS

    def __post_init__(self) -> None:
        if self.rules is None:
            book = rule_book(self.exchange)
            if self.fee_override is not None:
                book = with_overrides(book, maker_fee=self.fee_override, taker_fee=self.fee_override)
            object.__setattr__(self, "rules", book)
        elif self.rules.exchange is not self.exchange:
            raise ValueError(f"the rule book is {self.rules.exchange}'s, but the session trades on {self.exchange}")

    @property
    def rule_book(self) -> RuleBook:
        assert self.rules is not None  # set in __post_init__
        return self.rules

    @classmethod
    def from_config(
        cls,
        config: AppConfig,
        *,
        exchange: Exchange | None = None,
        fee_override: Decimal | None = None,
        cash_krw: Decimal | None = None,
        slippage_bps: float | None = None,
    ) -> SessionSpec:
        """The session ``config`` describes; the keyword arguments are a command line's overrides."""
        venue = exchange or config.exchange
        sizing, limits = config.risk.to_rules()
        return cls(
            exchange=venue,
            rules=rules_for(config, exchange=venue, fee_override=fee_override),
            cash_krw=config.account.cash_krw if cash_krw is None else cash_krw,
            fee_override=fee_override,
            slippage_bps=config.execution.slippage_bps if slippage_bps is None else slippage_bps,
            sizing=sizing,
            limits=limits,
            atr_period=config.risk.atr_period,
            strategies=tuple(
                StrategyEntry(s.name, dict(s.params), tuple(s.markets or ()), s.enabled) for s in config.strategies
            ),
            markets=tuple(config.feed.markets),
            live_history_bars=config.feed.keep_bars,
        )

    def replace(self, **changes: Any) -> SessionSpec:
        """A copy with ``changes``; a new exchange or fee override rebuilds the rule book."""
        if ("exchange" in changes or "fee_override" in changes) and "rules" not in changes:
            changes["rules"] = None
        return dataclasses.replace(self, **changes)

    def assignments(self, markets: Sequence[str] | None = None) -> list[Assignment]:
        """Each configured strategy, built and checked, with the markets it trades and whether it
        is switched on."""
        available = tuple(self.markets if markets is None else markets)
        result = []
        for entry in self.strategies:
            chosen = entry.markets or available
            unknown = [m for m in chosen if m not in available]
            if unknown:
                raise ConfigError(
                    f"strategy {entry.name} trades {', '.join(unknown)}, which the feed does not provide; "
                    f"add them to [feed] markets"
                )
            result.append(Assignment(build_strategy(entry.name, dict(entry.params)), chosen, entry.enabled))
        if not result:
            raise ConfigError('no strategy configured: add a [[strategies]] table, e.g. name = "breakout"')
        return result

    def engine_settings(self, **mode_settings: Any) -> EngineSettings:
        """The engine settings of this session; ``mode_settings`` are the mode's own (id prefix,
        deterministic ids, where simulated orders fill, …)."""
        return EngineSettings(
            sizing=self.sizing,
            limits=self.limits,
            atr_period=self.atr_period,
            live_history_bars=self.live_history_bars,
            **mode_settings,
        )


def rules_for(config: AppConfig, *, exchange: Exchange | None = None, fee_override: Decimal | None = None) -> RuleBook:
    """The exchange's dated rule book with the config's ``[fees]`` applied (Bithumb's low-fee
    programme, explicit maker/taker fees, volume decimals), then a command line's fee."""
    venue = exchange or config.exchange
    fees = config.fees
    maker, taker = fees.maker, fees.taker
    if venue is Exchange.BITHUMB and fees.bithumb_low_fee:
        maker = maker if maker is not None else BITHUMB_LOW_FEE
        taker = taker if taker is not None else BITHUMB_LOW_FEE
    if fee_override is not None:
        maker = taker = fee_override
    return with_overrides(rule_book(venue), maker_fee=maker, taker_fee=taker, volume_decimals=fees.volume_decimals)


def build_strategy(name: str, params: Mapping[str, object] | None = None) -> Strategy:
    """A registered strategy with ``params``; an unknown name or a bad parameter is a config error."""
    try:
        return registry.create(name, dict(params or {}))
    except registry.UnknownStrategy as exc:
        raise ConfigError(f"{exc}; choose one with --strategy or [[strategies]] name") from None
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
