"""Fault injection for the sandbox exchange (``tradetui sandbox --faults SPEC``).

SPEC is a comma-separated list of ``name=value``:

=================  ==========================================================================
``ws_drop=S``      close every WebSocket connection every S seconds
``http_429=P``     answer a REST request with 429 with probability P (0..1)
``http_5xx=P``     answer with 500/502/503 with probability P
``latency_ms=MS``  add MS milliseconds to every REST answer (``latency_ms=20-80`` for a range)
``malformed=P``    send a truncated JSON body with probability P (REST and WebSocket)
``lost_response=P``  accept an order POST but drop the answer (the client sees a timeout or a
                   reset connection) with probability P
``restart=S``      restart the server every S seconds, keeping its state
``seed=N``         seed of the fault dice (default 0) so a fault storm can be replayed
=================  ==========================================================================

``all`` switches on a moderate storm: ``ws_drop=20,http_429=0.03,http_5xx=0.03,latency_ms=0-30,
malformed=0.01,lost_response=0.05``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace

from tradetui.errors import ConfigError

_STORM = "ws_drop=20,http_429=0.03,http_5xx=0.03,latency_ms=0-30,malformed=0.01,lost_response=0.05"


@dataclass(frozen=True, slots=True)
class FaultSpec:
    ws_drop_s: float | None = None
    http_429: float = 0.0
    http_5xx: float = 0.0
    latency_ms: tuple[float, float] = (0.0, 0.0)
    malformed: float = 0.0
    lost_response: float = 0.0
    restart_s: float | None = None
    seed: int = 0

    @property
    def any(self) -> bool:
        return self != FaultSpec(seed=self.seed)

    @classmethod
    def parse(cls, text: str | None) -> FaultSpec:
        spec = cls()
        if not text or not text.strip():
            return spec
        items = [part.strip() for part in text.split(",") if part.strip()]
        expanded: list[str] = []
        for item in items:
            expanded.extend(_STORM.split(",") if item == "all" else [item])
        for item in expanded:
            name, sep, raw = item.partition("=")
            name = name.strip()
            if not sep:
                raise ConfigError(
                    f"--faults: {item!r} is not name=value (e.g. http_429=0.05); see `tradetui sandbox --help`"
                )
            try:
                spec = _apply(spec, name, raw.strip())
            except ValueError as exc:
                raise ConfigError(f"--faults {name}: {exc}") from None
        return spec


_PROBABILITIES = {"http_429", "http_5xx", "malformed", "lost_response"}


def _apply(spec: FaultSpec, name: str, raw: str) -> FaultSpec:
    if name in _PROBABILITIES:
        p = float(raw)
        if not 0 <= p <= 1:
            raise ValueError(f"{raw} is not a probability between 0 and 1")
        if name == "http_429":
            return replace(spec, http_429=p)
        if name == "http_5xx":
            return replace(spec, http_5xx=p)
        if name == "malformed":
            return replace(spec, malformed=p)
        return replace(spec, lost_response=p)
    if name in ("ws_drop", "restart"):
        seconds = float(raw)
        if seconds <= 0:
            raise ValueError(f"{raw} must be a number of seconds > 0")
        return replace(spec, ws_drop_s=seconds) if name == "ws_drop" else replace(spec, restart_s=seconds)
    if name == "latency_ms":
        low, _, high = raw.partition("-")
        lo, hi = float(low), float(high or low)
        if lo < 0 or hi < lo:
            raise ValueError(f"{raw} must be MS or LOW-HIGH with 0 <= LOW <= HIGH")
        return replace(spec, latency_ms=(lo, hi))
    if name == "seed":
        return replace(spec, seed=int(raw))
    known = sorted({f.name.removesuffix("_s") for f in fields(FaultSpec)})
    raise ValueError(f"unknown fault; known: {', '.join(known)}")


class FaultDice:
    """Seeded decisions, one per request, so a storm is reproducible."""

    def __init__(self, spec: FaultSpec) -> None:
        self.spec = spec
        self._rng = random.Random(spec.seed)

    def roll(self, probability: float) -> bool:
        return probability > 0 and self._rng.random() < probability

    def latency_s(self) -> float:
        lo, hi = self.spec.latency_ms
        return (lo if hi == lo else self._rng.uniform(lo, hi)) / 1000

    def server_error_status(self) -> int:
        return self._rng.choice((500, 502, 503))
