"""Configuration: TOML → validated, frozen models.

Unknown keys are refused with their full path and a hint; money is written as strings (a float
is refused, since 0.1 + 0.2 is not money); keys and secrets never live here (they come from the
OS keyring or environment variables). Parsed once in ``cli.py`` and passed down.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from tradetui.core.market import Exchange, Market, Timeframe
from tradetui.errors import ConfigError
from tradetui.risk.limits import AccountLimits
from tradetui.risk.sizing import SizingMethod, SizingRules

MAX_KRW = Decimal("1e15")
"""The largest amount a config or command line may give (a quadrillion KRW): anything above is a typo."""

MAX_NESTING = 32
"""How deep tables and arrays of a config may nest (real configs use three or four levels)."""


def _money(value: Any) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError(f'write money as a string, e.g. "{value}" (floats are not exact)')
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"{str(value)[:40]!r} is not a number") from None
    if not result.is_finite() or result < 0:
        raise ValueError(f"{value!r} must be a finite amount ≥ 0")
    if result > MAX_KRW:
        raise ValueError(f"{str(value)[:40]!r} is too large; write an amount of at most {MAX_KRW:,f} KRW")
    return result


def _rate(value: Any) -> Decimal:
    result = _money(value)
    if result >= 1:
        raise ValueError(f'fee rate {value} must be a fraction below 1, e.g. "0.0005" for 0.05 %')
    return result


def _market(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError('market must be a string like "KRW-BTC"')
    return Market(value.strip()).code


def _timeframe(value: Any) -> Timeframe:
    if isinstance(value, Timeframe):
        return value
    return Timeframe.parse(str(value))


Money = Annotated[Decimal, BeforeValidator(_money)]
FeeRate = Annotated[Decimal, BeforeValidator(_rate)]
MarketCode = Annotated[str, BeforeValidator(_market)]
TimeframeField = Annotated[Timeframe, BeforeValidator(_timeframe)]


class Mode(StrEnum):
    DEMO = "demo"
    PAPER = "paper"
    LIVE = "live"
    BACKTEST = "backtest"


class _Model(BaseModel):
    # the field docstrings document the file; pydantic is not asked to turn them into descriptions
    # (use_attribute_docstrings): nothing reads those, and finding them re-reads and parses this
    # module's source, about 50 ms of every start that loads a config
    model_config = ConfigDict(frozen=True, extra="forbid")


class AccountConfig(_Model):
    cash_krw: Money = Decimal("10000000")
    """Starting KRW of the simulated account (demo, paper, backtest)."""


class FeedConfig(_Model):
    source: str = Field("synthetic", pattern="^(synthetic|exchange|file)$")
    """Where candles come from: synthetic (offline demo), exchange (public data), file (a candle CSV)."""
    markets: tuple[MarketCode, ...] = ("KRW-DEMO",)
    """Markets to trade."""
    timeframe: TimeframeField = Timeframe.M1
    """Candle period fed to the engine."""
    seed: int = 7
    """Seed of the synthetic market."""
    file: str | None = None
    """Candle CSV for source = "file"."""
    speed: float = Field(1.0, gt=0, le=10000)
    """Candles per second of the demo/replay (1 = one candle a second)."""
    start_price_krw: Money = Decimal("50000000")
    """Starting price of the synthetic market."""
    keep_bars: int = Field(10_000, ge=500, le=1_000_000)
    """Candles a market keeps while the bot runs (oldest dropped beyond twice this; never fewer
    than twice the longest strategy window). 10,000 1m candles are a week; more costs ~70 bytes
    a candle a market."""

    @model_validator(mode="after")
    def _file_needs_path(self) -> FeedConfig:
        if self.source == "file" and not self.file:
            raise ValueError('source = "file" needs file = "path/to/candles.csv.gz"')
        if not self.markets:
            raise ValueError('markets must name at least one market, e.g. ["KRW-BTC"]')
        return self


class ExchangeConfig(_Model):
    rest_url: str | None = None
    """Another REST base URL, e.g. the sandbox "http://127.0.0.1:8765"; the exchange's own when omitted."""
    ws_url: str | None = None
    """Another WebSocket base URL, e.g. "ws://127.0.0.1:8765"."""
    poll_interval_s: float = Field(2.0, gt=0, le=60)
    """How often closed candles are asked for over REST."""

    @property
    def is_local(self) -> bool:
        """Pointed at a server on this machine (the sandbox): a rehearsal, not real money."""
        from urllib.parse import urlparse

        if not self.rest_url:
            return False
        host = urlparse(self.rest_url).hostname or ""
        return host in ("127.0.0.1", "localhost", "::1") or host.startswith("127.")


class FeesConfig(_Model):
    maker: FeeRate | None = None
    """Override the exchange's dated maker fee (e.g. "0.0005")."""
    taker: FeeRate | None = None
    """Override the exchange's dated taker fee."""
    bithumb_low_fee: bool = False
    """Bithumb's opt-in low-fee programme (0.04 %) instead of the list rate (0.25 %)."""
    volume_decimals: int | None = Field(None, ge=0, le=8)
    """Override the allowed volume decimals (Bithumb live: 4 is the safe choice)."""


class ExecutionConfig(_Model):
    slippage_bps: float = Field(5.0, ge=0, le=1000)
    """Simulated slippage of market orders, in basis points against the trader."""
    paper_fills: str = Field("book", pattern="^(book|next_open)$")
    """How paper trading fills orders: "book" walks the live order book as it arrives;
    "next_open" fills market orders at the next candle's open on market (candle) time, the
    backtest's fill model, so a paper run reproduces a backtest of the same candles."""


class StrategyConfig(_Model):
    name: str
    """A registered strategy (see `tradetui strategies`)."""
    enabled: bool = True
    markets: tuple[MarketCode, ...] | None = None
    """Markets this strategy trades; all feed markets when omitted."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Strategy parameters; checked against the strategy's own parameter model."""


class RiskConfig(_Model):
    sizing: str = Field("risk_per_trade", pattern="^(fixed_fraction|risk_per_trade|atr)$")
    """How entries are sized: fixed_fraction, risk_per_trade or atr."""
    fraction_pct: float = Field(10.0, gt=0, le=100)
    risk_pct: float = Field(1.0, gt=0, le=20)
    atr_mult: float = Field(2.0, gt=0, le=20)
    atr_period: int = Field(14, ge=1, le=1000)
    """Bars of the ATR the engine computes for sizing = "atr" and ATR stops when a strategy supplies none."""
    min_order_krw: Money = Decimal("10000")
    """The bot's minimum order; the exchange minimum (5,000 KRW) applies as well."""
    max_weight_pct: float = Field(25.0, gt=0, le=100)
    max_open_positions: int = Field(3, ge=1, le=100)
    max_exposure_pct: float = Field(80.0, gt=0, le=100)
    daily_loss_pct: float | None = Field(3.0, gt=0, le=100)
    daily_loss_krw: Money | None = None
    max_consecutive_losses: int | None = Field(3, ge=1)
    cooldown_minutes: int = Field(60, ge=0)

    def to_rules(self) -> tuple[SizingRules, AccountLimits]:
        """The sizing rules and account limits this section describes (what the engine uses)."""
        sizing = SizingRules(
            method=SizingMethod(self.sizing),
            fraction_pct=self.fraction_pct,
            risk_pct=self.risk_pct,
            atr_mult=self.atr_mult,
            min_order_krw=self.min_order_krw,
            max_weight_pct=self.max_weight_pct,
        )
        limits = AccountLimits(
            max_open_positions=self.max_open_positions,
            max_exposure_pct=self.max_exposure_pct,
            daily_loss_pct=self.daily_loss_pct,
            daily_loss_krw=self.daily_loss_krw,
            max_consecutive_losses=self.max_consecutive_losses,
            cooldown_minutes=self.cooldown_minutes,
        )
        return sizing, limits

    @classmethod
    def check(cls, fields: Mapping[str, Any]) -> RiskConfig:
        """``fields`` checked as a config file's ``[risk]`` section is (fields left out take their
        defaults); ValueError names every bad field, e.g. "max_open_positions: Input should be
        greater than or equal to 1"."""
        try:
            return cls.model_validate(dict(fields))
        except ValidationError as exc:
            raise ValueError(format_validation_error(exc, "risk", cls).removeprefix("config risk: ")) from None

    @staticmethod
    def values(sizing: SizingRules, limits: AccountLimits) -> dict[str, Any]:
        """``sizing`` and ``limits`` as this section's fields, JSON-safe (KRW amounts as strings),
        unchecked: what the control API and the settings screen show and start an edit from
        (``RiskConfig.model_validate`` of an edited copy checks it like a config file)."""
        return {
            "sizing": sizing.method.value,
            "fraction_pct": sizing.fraction_pct,
            "risk_pct": sizing.risk_pct,
            "atr_mult": sizing.atr_mult,
            "min_order_krw": str(sizing.min_order_krw),
            "max_weight_pct": sizing.max_weight_pct,
            "max_open_positions": limits.max_open_positions,
            "max_exposure_pct": limits.max_exposure_pct,
            "daily_loss_pct": limits.daily_loss_pct,
            "daily_loss_krw": None if limits.daily_loss_krw is None else str(limits.daily_loss_krw),
            "max_consecutive_losses": limits.max_consecutive_losses,
            "cooldown_minutes": limits.cooldown_minutes,
        }


class BacktestConfig(_Model):
    data: tuple[str, ...] = ()
    """Candle files (CSV/CSV.gz), one per market."""
    start: str | None = Field(None, alias="from")
    """First day (UTC), e.g. "2025-09-01"."""
    end: str | None = Field(None, alias="to")
    """Last moment (UTC, exclusive)."""


class UiConfig(_Model):
    keys: dict[str, str] = Field(default_factory=dict)
    """Remapped keys by binding id, e.g. kill = "ctrl+k" (ids: `?` in the app lists the keys)."""
    theme: str | None = None
    """tradetui-dark (default), tradetui-light, tradetui-high-contrast, a theme from themes/ or a Textual theme."""


class StorageConfig(_Model):
    database: str | None = None
    """SQLite file of this run's records; ``<data-dir>/sessions/<profile>.db`` when omitted (a backtest
    config: where its runs are stored, ``<data-dir>/tradetui.db`` when omitted)."""
    durability: str = Field("auto", pattern="^(auto|process|power)$")
    """The intent log's commits survive: "process" a crash or kill of tradetui; "power" also a power
    loss (an fsync per order, slower); "auto" = power for live trading, process otherwise."""

    def journal_durability(self, live: bool) -> str:
        if self.durability == "auto":
            return "power" if live else "process"
        return self.durability


AlertKindName = Literal["signal", "fill", "exit", "position", "risk", "strategy", "error", "notice", "report"]
AlertLevel = Literal["debug", "info", "warning", "error", "critical"]


class AlertChannelConfig(_Model):
    enabled: bool = True
    """Send to this channel when its secret is set (env or keyring); false silences it."""
    min_level: AlertLevel = "info"
    """Lowest severity sent: debug, info, warning, error or critical (the daily report is exempt)."""
    kinds: tuple[AlertKindName, ...] = ("fill", "exit", "position", "risk", "strategy", "error", "report")
    """Which alerts: signal, fill, exit, position, risk, strategy, error, notice, report."""
    rate_per_min: float = Field(20.0, gt=0, le=600)
    """Messages per minute (a burst of as many is allowed); the rest is summed up as "N suppressed"."""


class AlertsConfig(_Model):
    """[alerts]: Slack and Telegram. Webhook URL, bot token and chat id come from the keyring or
    TRADETUI_SLACK_WEBHOOK_URL / TRADETUI_TELEGRAM_BOT_TOKEN / TRADETUI_TELEGRAM_CHAT_ID, never from here."""

    slack: AlertChannelConfig = AlertChannelConfig()
    telegram: AlertChannelConfig = AlertChannelConfig()
    daily_report: bool = True
    """A report of the trading day at 09:00 KST (day PnL, trades, win rate, drawdown, equity)."""
    dedup_window_s: float = Field(60.0, ge=0, le=86400)
    """Identical alerts within this many seconds are sent once, marked ×N (0 turns it off)."""
    timeout_s: float = Field(10.0, gt=0, le=120)
    """How long one send may take before it counts as failed."""


class ControlConfig(_Model):
    """[control]: the local control API that `tradetui ctl` and `tradetui attach` talk to."""

    request_timeout_s: float = Field(10.0, gt=0, le=3600)
    """Seconds a client has to send a request's head, and again its body; a slower one is cut (408)."""


class AppConfig(_Model):
    mode: Mode = Mode.DEMO
    exchange: Exchange = Exchange.UPBIT
    account: AccountConfig = AccountConfig()
    feed: FeedConfig = FeedConfig()
    exchange_api: ExchangeConfig = Field(ExchangeConfig(), alias="exchange_api")
    """[exchange_api]: where the exchange is reached (override for the sandbox)."""
    fees: FeesConfig = FeesConfig()
    execution: ExecutionConfig = ExecutionConfig()
    strategies: tuple[StrategyConfig, ...] = (StrategyConfig(name="breakout"),)
    risk: RiskConfig = RiskConfig()
    backtest: BacktestConfig = BacktestConfig()
    storage: StorageConfig = StorageConfig()
    ui: UiConfig = UiConfig()
    alerts: AlertsConfig = AlertsConfig()
    """[alerts]: Slack / Telegram notifications."""
    control: ControlConfig = ControlConfig()
    """[control]: the local control API."""
    source_path: str | None = Field(None, exclude=True)
    """Where this config was read from (set by the loader)."""

    @model_validator(mode="after")
    def _consistent(self) -> AppConfig:
        if self.mode is Mode.LIVE and self.feed.source != "exchange":
            raise ValueError('mode = "live" needs [feed] source = "exchange"')
        if self.mode is Mode.PAPER and self.feed.source == "synthetic":
            raise ValueError(
                'mode = "paper" trades real public data: set [feed] source = "exchange" (or use mode = "demo")'
            )
        names = [s.name for s in self.strategies]
        if len(set(names)) != len(names):
            raise ValueError("each strategy may be listed once in [[strategies]]")
        return self

    @property
    def is_rehearsal(self) -> bool:
        """Trading against an exchange on this machine (the sandbox): no real money at stake."""
        return self.feed.source == "exchange" and self.exchange_api.is_local

    @property
    def badge(self) -> str:
        """The mode as the trader reads it at a glance: DEMO, REPLAY, SANDBOX, PAPER or LIVE."""
        if self.is_rehearsal:
            return "SANDBOX"
        if self.mode is Mode.DEMO and self.feed.source == "file":
            return "REPLAY"
        return self.mode.value.upper()

    @property
    def profile(self) -> str:
        """Whose records a session keeps, so runs of different kinds never mix: ``demo``,
        ``replay``, ``sandbox-<exchange>``, ``paper-<exchange>``, ``live-<exchange>`` or
        ``backtest``. (A live account is told apart further by its key, at session start.)"""
        badge = self.badge.lower()
        if badge in ("sandbox", "paper", "live"):
            return f"{badge}-{self.exchange.value}"
        return badge


def _hint(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """Suggest the closest valid key for an unknown one."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            return ""
        annotation = fields[part].annotation
        args = getattr(annotation, "__args__", ())
        current = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if current is None:
            return ""
    names = list(getattr(current, "model_fields", {}))
    aliases = [f.alias for f in getattr(current, "model_fields", {}).values() if f.alias]
    close = difflib.get_close_matches(str(loc[-1]), names + aliases, n=1)
    valid = ", ".join(sorted(set(aliases) | {n for n in names if n not in ("start", "end", "source_path")}))
    return f" (did you mean {close[0]!r}?)" if close else f" (valid keys: {valid})"


def format_validation_error(exc: ValidationError, source: str, model: type[BaseModel] = AppConfig) -> str:
    problems = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            problems.append(f"unknown key '{path}'{_hint(model, loc)}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{path}: {msg}")
    return f"config {source}: " + "; ".join(problems)


def _deepest(data: Any) -> tuple[int, str]:
    """The nesting depth of ``data`` and the path to its deepest value (iterative: any depth is safe)."""
    deepest, where = 0, ""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, path = stack.pop()
        if depth > deepest:
            deepest, where = depth, path
        if depth > MAX_NESTING:  # far enough to refuse; the rest need not be walked
            break
        items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        for key, child in items:
            stack.append((child, depth + 1, f"{path}.{key}" if path else str(key)))
    return deepest, where


def parse_config(data: dict[str, Any], source: str = "<config>") -> AppConfig:
    depth, where = _deepest(data)
    if depth > MAX_NESTING:
        shown = where if len(where) <= 60 else where[:60] + "…"
        raise ConfigError(
            f"config {source}: '{shown}' is nested more than {MAX_NESTING} levels deep; "
            "a tradetui config nests a few tables: check the brackets and dotted keys"
        )
    try:
        config = AppConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None
    return config.model_copy(update={"source_path": source})


def load_config(path: str | Path) -> AppConfig:
    file = Path(path)
    try:
        if file.is_dir():
            raise ConfigError(f"config {file} is a directory; give a TOML file (see sample_configs/ for examples)")
        if not file.is_file():
            raise ConfigError(f"config file {file} does not exist; see sample_configs/ for examples")
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config {file}: byte {exc.start} is not UTF-8 text; save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"config {file}: cannot read it ({exc.strerror or exc}); check its permissions") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {file}: not valid TOML ({exc}); check quotes and brackets") from None
    except RecursionError:
        raise ConfigError(
            f"config {file}: arrays or inline tables are nested too deeply to read; check the brackets"
        ) from None
    except ValueError as exc:  # tomllib's own int(): more than 4300 digits
        reason = "an integer has more than 4300 digits" if "digits" in str(exc) else str(exc)
        raise ConfigError(f"config {file}: not valid TOML ({reason}); check the numbers") from None
    return parse_config(data, str(file))


def demo_config() -> AppConfig:
    """What `tradetui` runs with no config: the offline demo."""
    return parse_config({}, "<built-in demo>")


def data_dir(override: str | Path | None = None) -> Path:
    """Where the database lives: --data-dir, $TRADETUI_DATA_DIR, or the platform's user data dir."""
    chosen = override or os.environ.get("TRADETUI_DATA_DIR") or platformdirs.user_data_dir("tradetui", appauthor=False)
    return Path(chosen).expanduser()


def config_dir(override: str | Path | None = None) -> Path:
    chosen = (
        override or os.environ.get("TRADETUI_CONFIG_DIR") or platformdirs.user_config_dir("tradetui", appauthor=False)
    )
    return Path(chosen).expanduser()


SESSIONS_DIR = "sessions"
"""Under the data directory: one database per kind of run (``<profile>.db``)."""
RESEARCH_DATABASE = "tradetui.db"
"""In the data directory: research data (candles from ``data import``/``fetch``, backtest runs)."""


def account_tag(access_key: str) -> str:
    """A short tag of an API access key that tells accounts apart and cannot be turned back into the key."""
    return hashlib.sha256(access_key.encode()).hexdigest()[:8]


def database_path(
    config: AppConfig, data_dir_override: str | Path | None = None, *, access_key: str | None = None
) -> Path:
    """The session database of a trading run: its orders (the intent log), fills, positions,
    strategy state, risk events, closed trades, config history.

    ``<data-dir>/sessions/<profile>.db``, so the demo, a replay, a sandbox rehearsal, paper and
    live never share records; a live account adds the tag of its access key
    (``live-upbit-1a2b3c4d.db``). ``[storage] database`` overrides it."""
    if config.storage.database:
        return Path(config.storage.database).expanduser()
    name = config.profile
    if access_key and name.startswith("live-"):
        name = f"{name}-{account_tag(access_key)}"
    return data_dir(data_dir_override) / SESSIONS_DIR / f"{name}.db"


def research_database_path(config: AppConfig | None, data_dir_override: str | Path | None = None) -> Path:
    """Where candles and backtest runs live: ``<data-dir>/tradetui.db`` (a backtest config's own
    ``[storage] database`` when it names one)."""
    if config is not None and config.mode is Mode.BACKTEST and config.storage.database:
        return Path(config.storage.database).expanduser()
    return data_dir(data_dir_override) / RESEARCH_DATABASE
