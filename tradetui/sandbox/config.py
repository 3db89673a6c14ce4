"""Knobs of the sandbox exchange. Defaults follow the reference; points it flags as conflicting
or unverified are configurable and the chosen default is named in the field's docstring."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

PROFILES = ("upbit", "bithumb")


@dataclass(slots=True)
class SandboxConfig:
    profile: str = "upbit"
    speed: float = 1.0
    """Path candles played per second of clock time (1/60 = real time)."""
    history_minutes: int = 1440
    """1m candles laid down before the start so candle endpoints have history."""
    book_depth: int = 30
    maker_fee: Decimal | None = None
    """None: the profile's rule book (Upbit 0.05 %, Bithumb list 0.25 %)."""
    taker_fee: Decimal | None = None
    volume_decimals: int = 8
    """Upbit: 8 in practice; Bithumb unverified (4 vs 8), 8 here as the reference advises."""
    cancel_delay_ms: int = 0
    """Time from a cancel request to state ``cancel``; the cancel response still shows ``wait``."""
    order_not_ready_ms: int = 0
    """Bithumb: GET/DELETE of an order younger than this answers 422 ``order_not_ready``."""
    jwt_max_age_ms: int = 60_000
    """Bithumb: ``timestamp`` claim further than this from the clock (either way) -> ``expired_jwt``."""
    nonce_memory: int = 10_000
    """How many recent nonces are remembered per access key."""
    client_order_id_policy: str = "return_existing"
    """Bithumb reuse of ``client_order_id``: ``return_existing`` (trade kit) or ``reject``."""
    public_errors_http_200: bool = False
    """Bithumb quirk: public validation errors answered with HTTP 200 and an error body."""
    rate_limits_enabled: bool = True
    rate_limits: dict[str, int] = field(default_factory=dict)
    """Per-group overrides of requests per second (Upbit groups or Bithumb categories)."""
    block_after_429s: int = 5
    """Consecutive 429s of one caller after which it is blocked (Upbit: 418; Bithumb: 429)."""
    block_ms: int = 60_000
    """First block length; each further block of the same caller doubles it (capped at 1 day)."""

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {self.profile!r}")
        if self.client_order_id_policy not in ("return_existing", "reject"):
            raise ValueError("client_order_id_policy must be 'return_existing' or 'reject'")
        if self.speed <= 0:
            raise ValueError("speed must be > 0")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("maker_fee", "taker_fee"):
            data[name] = None if data[name] is None else str(data[name])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxConfig:
        values = dict(data)
        for name in ("maker_fee", "taker_fee"):
            values[name] = None if values.get(name) is None else Decimal(values[name])
        return cls(**values)
