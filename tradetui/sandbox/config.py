"""Knobs of the sandbox exchange. Defaults follow the reference; points it flags as conflicting
or unverified are configurable and the chosen default is named in the field's docstring."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from tradetui.sandbox.faults import FaultSpec

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
    ws_idle_timeout_s: float = 60.0
    """A WebSocket that sends nothing (no message, no ping) for this long is closed (D.17; observed ~60 s)."""
    ws_status_interval_s: float | None = 10.0
    """Unprompted ``{"status":"UP"}`` on a quiet socket this often (A8.4); None: only in answer to PING."""
    ws_queue_size: int = 2000
    """Events buffered per WebSocket; a slow reader loses the oldest (the server never blocks)."""
    tick_interval_ms: int = 50
    """Wall-clock period of the server task that plays the clock (market data flows without REST)."""
    request_timeout_s: float = 10.0
    """A client has this long from a request's first byte to send its head, and as long again for
    its body; a slower one (a slow-loris) is cut with a 408 and closed (``--request-timeout``)."""
    faults: FaultSpec = FaultSpec()
    """Injected transport faults (``--faults``); they change answers, never the state."""

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {self.profile!r}")
        if self.client_order_id_policy not in ("return_existing", "reject"):
            raise ValueError("client_order_id_policy must be 'return_existing' or 'reject'")
        if self.speed <= 0:
            raise ValueError("speed must be > 0")
        if self.ws_idle_timeout_s <= 0 or self.tick_interval_ms <= 0 or self.ws_queue_size <= 0:
            raise ValueError("ws_idle_timeout_s, tick_interval_ms and ws_queue_size must be > 0")
        if not self.request_timeout_s > 0:
            raise ValueError(f"request_timeout_s must be > 0 seconds, got {self.request_timeout_s}")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("maker_fee", "taker_fee"):
            data[name] = None if data[name] is None else str(data[name])
        data["faults"]["latency_ms"] = list(data["faults"]["latency_ms"])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxConfig:
        values = dict(data)
        for name in ("maker_fee", "taker_fee"):
            values[name] = None if values.get(name) is None else Decimal(values[name])
        faults = values.get("faults")
        if isinstance(faults, dict):
            values["faults"] = FaultSpec(**{**faults, "latency_ms": tuple(faults.get("latency_ms", (0.0, 0.0)))})
        return cls(**values)
