"""Request budgets (A6, B5): Upbit per-group one-second windows with ``Remaining-Req`` and the
429 -> 418 escalation; Bithumb per-category token buckets with ``x-ratelimit-*`` headers.

A caller (IP for public groups, access key for Upbit's per-pocket groups) that keeps going after
``block_after_429s`` consecutive 429s is blocked for ``block_ms`` (doubling per repeat, one day
at most): Upbit answers 418 while blocked, Bithumb 429. Refused calls do not use up the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.wire import ApiError

UPBIT_GROUPS: dict[str, tuple[int, int]] = {
    # group: (requests, window ms) -- reference A6, rate-limits page dated 2026-10
    "market": (10, 1000),
    "candle": (10, 1000),
    "trade": (10, 1000),
    "ticker": (10, 1000),
    "orderbook": (10, 1000),
    "default": (30, 1000),
    "order": (12, 1000),
    "order-test": (8, 1000),
    "order-cancel-all": (1, 2000),
}
PUBLIC_UPBIT_GROUPS = frozenset({"market", "candle", "trade", "ticker", "orderbook"})
BITHUMB_CATEGORIES: dict[str, int] = {
    # per second per IP and category -- reference B5
    "public-candle": 150,
    "public-orderbook": 150,
    "public-ticker": 150,
    "public-trade": 150,
    "public-other": 150,
    "private-order": 140,
    "private-cancel": 140,
    "private-other": 140,
}
MAX_BLOCK_MS = 86_400_000


@dataclass(slots=True)
class _Caller:
    consecutive_429: int = 0
    blocked_until_ms: int = 0
    blocks: int = 0


@dataclass(slots=True)
class _Window:
    start_ms: int = -1
    used: int = 0


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated_ms: int


@dataclass(slots=True)
class RateLimiter:
    config: SandboxConfig
    _callers: dict[str, _Caller] = field(default_factory=dict)
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict)
    _buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)

    def admit(self, group: str, caller: str, now_ms: int) -> dict[str, str]:
        """Count one call; the headers to send, or ApiError 429/418 (with headers) when over budget."""
        if self.config.profile == "upbit":
            return self._admit_upbit(group, caller, now_ms)
        return self._admit_bithumb(group, caller, now_ms)

    def _limit(self, group: str, default: int) -> int:
        return self.config.rate_limits.get(group, default)

    def _blocked(self, state: _Caller, now_ms: int, headers: dict[str, str]) -> ApiError | None:
        if now_ms >= state.blocked_until_ms:
            return None
        left_s = -(-(state.blocked_until_ms - now_ms) // 1000)
        headers["Retry-After"] = str(left_s)
        if self.config.profile == "upbit":
            return ApiError(
                418,
                418,
                f"blocked for {left_s} s after repeated 429 responses; block_ms={state.blocked_until_ms - now_ms}",
                headers=headers,
            )
        return ApiError(429, 429, f"IP blocked for {left_s} s after repeated 429 responses", headers=headers)

    def _refuse(self, state: _Caller, now_ms: int, headers: dict[str, str]) -> ApiError:
        state.consecutive_429 += 1
        if state.consecutive_429 >= self.config.block_after_429s:
            state.blocks += 1
            state.consecutive_429 = 0
            state.blocked_until_ms = now_ms + min(self.config.block_ms * 2 ** (state.blocks - 1), MAX_BLOCK_MS)
        return ApiError(429, "too_many_requests", "Too many API requests.", headers=headers)

    def _admit_upbit(self, group: str, caller: str, now_ms: int) -> dict[str, str]:
        limit, window_ms = UPBIT_GROUPS.get(group, UPBIT_GROUPS["default"])
        limit = self._limit(group, limit)
        state = self._callers.setdefault(caller, _Caller())
        window = self._windows.setdefault((group, caller), _Window())
        start = now_ms - now_ms % window_ms
        if window.start_ms != start:
            window.start_ms, window.used = start, 0
        headers = {"Remaining-Req": f"group={group}; min={limit * 60}; sec={max(0, limit - window.used)}"}
        if group in PUBLIC_UPBIT_GROUPS:
            headers["limit-by-ip"] = "Yes"
        if not self.config.rate_limits_enabled:
            return headers
        blocked = self._blocked(state, now_ms, headers)
        if blocked is not None:
            raise blocked
        if window.used >= limit:
            headers["Remaining-Req"] = f"group={group}; min={limit * 60}; sec=0"
            raise self._refuse(state, now_ms, headers)
        window.used += 1
        state.consecutive_429 = 0
        headers["Remaining-Req"] = f"group={group}; min={limit * 60}; sec={limit - window.used}"
        return headers

    def _admit_bithumb(self, category: str, caller: str, now_ms: int) -> dict[str, str]:
        rate = self._limit(category, BITHUMB_CATEGORIES.get(category, 140))
        state = self._callers.setdefault(caller, _Caller())
        bucket = self._buckets.get((category, caller))
        if bucket is None:
            bucket = self._buckets[(category, caller)] = _Bucket(float(rate), now_ms)
        bucket.tokens = min(float(rate), bucket.tokens + (now_ms - bucket.updated_ms) * rate / 1000)
        bucket.updated_ms = now_ms
        headers = {
            "x-ratelimit-replenish-rate": str(rate),
            "x-ratelimit-burst-capacity": str(rate),
            "x-ratelimit-requested-tokens": "1",
            "x-ratelimit-remaining": str(int(bucket.tokens)),
        }
        if not self.config.rate_limits_enabled:
            return headers
        blocked = self._blocked(state, now_ms, headers)
        if blocked is not None:
            raise blocked
        if bucket.tokens < 1:
            headers["x-ratelimit-remaining"] = "0"
            raise self._refuse(state, now_ms, headers)
        bucket.tokens -= 1
        state.consecutive_429 = 0
        headers["x-ratelimit-remaining"] = str(int(bucket.tokens))
        return headers
