"""Request budgets: back off *before* the exchange answers 429, and stop calling while blocked.

One :class:`RateBudget` per process, shared by every caller of one exchange (Upbit counts per IP
and per account "pocket", not per client object). Per group it keeps a window (1 s; 2 s for
``order-cancel-all``) and the calls still allowed in it: the documented limit, lowered by what
the exchange's headers report (``Remaining-Req ... sec=N`` on Upbit, ``x-ratelimit-remaining``
on Bithumb). :meth:`RateBudget.acquire` sleeps until the next window when nothing is left.

Bithumb's headers describe a token bucket (B3), not a window: a new window starts with the tokens
the last answer left plus what has been replenished since, never with a full bucket.

A 429 gives an exponential back-off with full jitter (base 0.5 s, cap 8 s); a 418 blocks the
group's whole scope until the block ends — the exchange blocks "the IP or account" (A6): every
per-IP quotation group together, or every per-account group together — and ``on_block`` is
called so the engine can raise a risk event.
Time comes from the injected :class:`Clock`; sleeping goes through the injected ``sleep`` so tests
run instantly with a simulated clock.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from tradetui.core.clock import Clock, LiveClock
from tradetui.exchanges.errors import IpBlocked
from tradetui.exchanges.profiles import ExchangeProfile, GroupLimit

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
BlockCallback = Callable[[str, float], None]
"""Called with ``(group, block_seconds)`` when a group gets blocked (HTTP 418)."""

# --- which group does an endpoint count against (reference A6) ------------------------------------

IP_GROUPS = frozenset({"market", "candle", "trade", "ticker", "orderbook"})
"""Groups measured per IP (A6); the others are measured per account ("pocket")."""


def block_scope(group: str) -> str:
    """What a 418 on ``group`` blocks: ``"ip"`` (every quotation group) or ``"account"``."""
    return "ip" if group in IP_GROUPS else "account"


def endpoint_group(method: str, path: str) -> str:
    """The rate-limit group of ``method path`` (Upbit's names; Bithumb reuses them as categories)."""
    verb = method.upper()
    clean = "/" + path.strip("/")
    if clean.startswith("/v1/market/"):
        return "market"
    if clean.startswith("/v1/candles/"):
        return "candle"
    if clean.startswith("/v1/trades/"):
        return "trade"
    if clean.startswith("/v1/ticker"):
        return "ticker"
    if clean.startswith("/v1/orderbook"):
        return "orderbook"
    if verb == "POST" and clean == "/v1/orders/test":
        return "order-test"
    if verb == "POST" and clean in ("/v1/orders", "/v2/orders", "/v1/orders/cancel_and_new"):
        return "order"
    if verb == "DELETE" and clean == "/v1/orders/open":
        return "order-cancel-all"
    return "default"


# --- headers --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RemainingReq:
    group: str
    sec: int


_REMAINING_PART = re.compile(r"\s*([A-Za-z_]+)\s*=\s*([^;]*)")


def parse_remaining_req(value: str | None) -> RemainingReq | None:
    """``group=default; min=1800; sec=29`` → ``RemainingReq("default", 29)`` (``min`` is ignored)."""
    if not value:
        return None
    fields: dict[str, str] = {}
    for part in value.split(";"):
        match = _REMAINING_PART.match(part)
        if match:
            fields[match.group(1).lower()] = match.group(2).strip()
    group = fields.get("group")
    sec = fields.get("sec")
    if not group or sec is None:
        return None
    try:
        return RemainingReq(group, int(sec))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class TokenBucketState:
    """Bithumb's ``x-ratelimit-*`` headers (token bucket)."""

    remaining: int
    burst_capacity: int | None = None
    replenish_rate: float | None = None
    requested_tokens: int | None = None


def parse_x_ratelimit(headers: Mapping[str, str]) -> TokenBucketState | None:
    lowered = {key.lower(): value for key, value in headers.items()}
    remaining = _to_int(lowered.get("x-ratelimit-remaining"))
    if remaining is None:
        return None
    rate = lowered.get("x-ratelimit-replenish-rate")
    try:
        replenish = float(rate) if rate is not None else None
    except ValueError:
        replenish = None
    return TokenBucketState(
        remaining=remaining,
        burst_capacity=_to_int(lowered.get("x-ratelimit-burst-capacity")),
        replenish_rate=replenish,
        requested_tokens=_to_int(lowered.get("x-ratelimit-requested-tokens")),
    )


def _to_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


# --- the budget ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _GroupState:
    window_ms: int
    limit: int | None
    window_start_ms: int = -1
    remaining: int | None = None
    failures: int = 0
    bucket_tokens: int | None = None
    """Bithumb token bucket as last reported: tokens left, replenish rate (per s), capacity, when."""
    bucket_rate: float | None = None
    bucket_capacity: int | None = None
    bucket_ms: int = 0


class RateBudget:
    """Per-group request windows for one exchange; share one instance across the process."""

    def __init__(
        self,
        profile: ExchangeProfile,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        rng: random.Random | None = None,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 8.0,
        block_default_s: float | None = None,
        on_block: BlockCallback | None = None,
    ) -> None:
        self.profile = profile
        self.clock: Clock = clock or LiveClock()
        self.sleep: Sleep = sleep or asyncio.sleep
        self._rng = rng or random.Random()
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.block_default_s = profile.block_default_s if block_default_s is None else block_default_s
        self.on_block = on_block
        self._groups: dict[str, _GroupState] = {}
        self._blocked_until_ms: dict[str, int] = {}

    def _state(self, group: str) -> _GroupState:
        state = self._groups.get(group)
        if state is None:
            limit: GroupLimit | None = self.profile.limit_for(group)
            state = _GroupState(window_ms=limit.window_ms if limit else 1000, limit=limit.calls if limit else None)
            self._groups[group] = state
        return state

    def _roll(self, state: _GroupState, now_ms: int) -> None:
        start = now_ms - now_ms % state.window_ms
        if start != state.window_start_ms:
            state.window_start_ms = start
            state.remaining = state.limit
            refilled = _bucket_estimate(state, now_ms)
            if refilled is not None:
                state.remaining = refilled if state.remaining is None else min(state.remaining, refilled)

    def blocked_for_s(self, group: str) -> float:
        """Seconds left of a block on ``group``'s scope (0 when it is not blocked)."""
        until = self._blocked_until_ms.get(block_scope(group), 0)
        return max(0, until - self.clock.now_ms()) / 1000

    def remaining(self, group: str) -> int | None:
        """Calls still allowed in the current window, or None when unknown/unlimited."""
        state = self._state(group)
        self._roll(state, self.clock.now_ms())
        return state.remaining

    async def acquire(self, group: str) -> None:
        """Take one call from ``group``'s window, sleeping until the next window if it is empty.

        Raises :class:`IpBlocked` (without waiting) while the group is blocked: a block lasts a
        minute or more, and the caller — not a hidden sleep — decides what to do meanwhile.
        """
        state = self._state(group)
        scope = block_scope(group)
        while True:
            now = self.clock.now_ms()
            blocked_until = self._blocked_until_ms.get(scope, 0)
            if blocked_until > now:
                wait_s = (blocked_until - now) / 1000
                raise IpBlocked(f"{self.profile.exchange} group {group!r} is blocked for {wait_s:.1f} s more", wait_s)
            self._roll(state, now)
            if state.remaining is None or state.remaining > 0:
                if state.remaining is not None:
                    state.remaining -= 1
                return
            wait_ms = state.window_start_ms + state.window_ms - now
            log.debug("rate budget: group %s exhausted, waiting %d ms", group, wait_ms)
            await self.sleep(wait_ms / 1000)

    def observe(self, group: str, headers: Mapping[str, str], status: int) -> None:
        """Learn from a response: the headers' remaining count; a success resets the back-off."""
        now = self.clock.now_ms()
        lowered = {key.lower(): value for key, value in headers.items()}
        upbit = parse_remaining_req(lowered.get("remaining-req"))
        bucket = None if upbit is not None else parse_x_ratelimit(lowered)
        reported = upbit.sec if upbit is not None else bucket.remaining if bucket is not None else None
        if reported is not None:
            state = self._state(upbit.group if upbit is not None else group)
            self._roll(state, now)
            state.remaining = reported if state.remaining is None else min(state.remaining, reported)
            if bucket is not None and bucket.replenish_rate:
                state.bucket_tokens = bucket.remaining
                state.bucket_rate = bucket.replenish_rate
                state.bucket_capacity = bucket.burst_capacity
                state.bucket_ms = now
        if status < 400:
            self._state(group).failures = 0

    def backoff_s(self, group: str, retry_after_s: float | None = None) -> float:
        """Record a 429 on ``group`` and return how long to wait: full jitter, base 0.5 s, cap 8 s.

        The current window is also emptied so other callers of the group wait too.
        """
        state = self._state(group)
        now = self.clock.now_ms()
        self._roll(state, now)
        state.remaining = 0
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * (2**state.failures))
        state.failures += 1
        delay = self._rng.uniform(0, ceiling)
        if retry_after_s is not None:
            delay = max(delay, min(retry_after_s, self.backoff_cap_s))
        return delay

    def jitter_s(self, attempt: int) -> float:
        """A full-jitter delay for retry ``attempt`` (1-based) of a failed idempotent call (5xx, network)."""
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * (2 ** max(0, attempt - 1)))
        return self._rng.uniform(0, ceiling)

    def block(self, group: str, seconds: float | None = None) -> float:
        """Block ``group``'s scope (every per-IP or every per-account group, A6) for ``seconds``
        (default ``block_default_s``) after a 418; calls ``on_block``."""
        duration = self.block_default_s if seconds is None or seconds <= 0 else seconds
        scope = block_scope(group)
        until = self.clock.now_ms() + int(duration * 1000)
        self._blocked_until_ms[scope] = max(self._blocked_until_ms.get(scope, 0), until)
        log.warning(
            "%s: %s-measured groups blocked for %.0f s (HTTP 418 on %r)", self.profile.exchange, scope, duration, group
        )
        if self.on_block is not None:
            self.on_block(group, duration)
        return duration


def _bucket_estimate(state: _GroupState, now_ms: int) -> int | None:
    """Whole tokens in a reported token bucket by now: what was left plus what has been replenished."""
    if state.bucket_tokens is None or not state.bucket_rate:
        return None
    tokens = state.bucket_tokens + state.bucket_rate * max(0, now_ms - state.bucket_ms) / 1000
    if state.bucket_capacity is not None:
        tokens = min(tokens, state.bucket_capacity)
    return int(tokens)
