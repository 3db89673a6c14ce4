"""A token bucket per channel: ``burst`` messages back to back, ``rate_per_min`` sustained."""

from __future__ import annotations


class TokenBucket:
    def __init__(self, rate_per_min: float, burst: int, now_s: float) -> None:
        if rate_per_min <= 0 or burst < 1:
            raise ValueError("a rate limit needs rate_per_min > 0 and burst ≥ 1")
        self.rate_per_s = rate_per_min / 60.0
        self.capacity = float(burst)
        self._tokens = float(burst)
        self._at_s = now_s

    def _refill(self, now_s: float) -> None:
        if now_s > self._at_s:
            self._tokens = min(self.capacity, self._tokens + (now_s - self._at_s) * self.rate_per_s)
            self._at_s = now_s

    def take(self, now_s: float) -> bool:
        """Spend one token if there is one."""
        self._refill(now_s)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def wait_s(self, now_s: float) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill(now_s)
        return max(0.0, (1.0 - self._tokens) / self.rate_per_s)
