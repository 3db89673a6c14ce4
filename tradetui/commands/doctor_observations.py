"""What the REST answers of a `tradetui doctor` run tell, and the checks judged from them.

``Date`` headers bound the clock offset (:func:`estimate_skew`, :func:`skew_check`); the rate
headers (``Remaining-Req``, ``x-ratelimit-*``) give the budget left (:func:`budget_of`,
:func:`rate_check`). :class:`Observations` collects both over the run.
"""

from __future__ import annotations

import email.utils
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

from tradetui.commands.doctor_check import Check, Status
from tradetui.core.market import Exchange
from tradetui.exchanges.profiles import ExchangeProfile
from tradetui.exchanges.ratelimit import endpoint_group, parse_remaining_req, parse_x_ratelimit

SKEW_WARN_S = 1.0
SKEW_FAIL_S = 5.0


@dataclass(frozen=True, slots=True)
class DateSample:
    """One answer's ``Date`` header (whole seconds) and the local wall-clock times around the call."""

    sent_ms: int
    received_ms: int
    server_s: int


def parse_http_date(value: str | None) -> int | None:
    """``Date: Tue, 04 Nov 2025 01:02:03 GMT`` → epoch seconds; None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp())


@dataclass(frozen=True, slots=True)
class Skew:
    offset_s: float
    """Server clock minus ours (positive: ours is behind)."""
    error_s: float
    """Half the width of the interval the answers allow."""


def estimate_skew(samples: Sequence[DateSample]) -> Skew | None:
    """Bound server-minus-local time from ``Date`` headers.

    The server stamped an answer at some ``s`` in ``[D, D + 1)`` (the header has whole seconds),
    and ``s`` happened between sending and receiving, so the offset lies in
    ``[D - received, D + 1 - sent)``. Intersecting those intervals over answers spread across a
    second narrows the bound well below the header's resolution.
    """
    if not samples:
        return None
    low = max(s.server_s - s.received_ms / 1000 for s in samples)
    high = min(s.server_s + 1 - s.sent_ms / 1000 for s in samples)
    if low > high:  # the answers disagree (a clock stepped meanwhile): fall back to the mean midpoint
        mids = [s.server_s + 0.5 - (s.sent_ms + s.received_ms) / 2000 for s in samples]
        spread = max(mids) - min(mids)
        return Skew(statistics.fmean(mids), 0.5 + spread / 2)
    return Skew((low + high) / 2, (high - low) / 2)


def skew_check(skew: Skew | None, profile: ExchangeProfile) -> Check:
    if skew is None:
        return Check("clock", Status.WARN, "the exchange sent no Date header; offset unknown")
    behind = "behind" if skew.offset_s > 0 else "ahead of"
    detail = f"offset {skew.offset_s:+.2f} s (±{skew.error_s:.2f} s) to the exchange's Date header"
    if abs(skew.offset_s) <= SKEW_WARN_S:
        return Check("clock", Status.OK, detail)
    stale = (
        "Bithumb refuses JWTs whose timestamp is stale (expired_jwt)"
        if profile.exchange is Exchange.BITHUMB
        else "timestamps and candle boundaries will be off"
    )
    status = Status.FAIL if abs(skew.offset_s) > SKEW_FAIL_S else Status.WARN
    return Check(
        "clock",
        status,
        f"{detail}: this machine is {abs(skew.offset_s):.1f} s {behind} the exchange",
        f"{stale}; sync the clock (e.g. `timedatectl set-ntp true` or chrony)",
    )


@dataclass(frozen=True, slots=True)
class Budget:
    group: str
    remaining: int
    limit: int | None


def budget_of(headers: httpx.Headers | None, profile: ExchangeProfile, method: str, path: str) -> Budget | None:
    """The rate budget an answer reports: Upbit ``Remaining-Req`` or Bithumb ``x-ratelimit-*``."""
    if headers is None:
        return None
    upbit = parse_remaining_req(headers.get("remaining-req"))
    if upbit is not None:
        limit = profile.limit_for(upbit.group)
        return Budget(upbit.group, upbit.sec, limit.calls if limit else None)
    bucket = parse_x_ratelimit(headers)
    if bucket is None:
        return None
    group = endpoint_group(method, path)
    limit = profile.limit_for(group)
    capacity = bucket.burst_capacity if bucket.burst_capacity is not None else limit.calls if limit else None
    return Budget(group, bucket.remaining, capacity)


@dataclass(slots=True)
class Observations:
    """What the REST calls of a doctor run saw: rate budgets, Date samples and refusals."""

    budgets: list[Budget] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    dates: list[DateSample] = field(default_factory=list)
    round_trips_ms: list[float] = field(default_factory=list)
    throttled: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def rate_check(obs: Observations) -> Check:
    if obs.blocked:
        return Check(
            "rate limits",
            Status.FAIL,
            f"blocked by the exchange (HTTP 418) on {', '.join(sorted(set(obs.blocked)))}",
            "stop every client on this IP/account until the block ends; never retry through 429s",
        )
    if not obs.budgets:
        return Check(
            "rate limits",
            Status.WARN,
            "the exchange reported no rate budget (no Remaining-Req / x-ratelimit-* headers)",
            "calls are paced by the documented limits only",
        )
    lowest: dict[str, Budget] = {}
    for budget in obs.budgets:
        if budget.group not in lowest or budget.remaining < lowest[budget.group].remaining:
            lowest[budget.group] = budget
    parts = []
    shared = []
    for group, budget in sorted(lowest.items()):
        parts.append(f"{group} {budget.remaining}/{budget.limit if budget.limit is not None else '?'}")
        ours = obs.calls.get(group, 0)
        if budget.limit is not None and budget.remaining < budget.limit - ours:
            shared.append(f"{group} ({budget.limit - ours - budget.remaining} calls not ours)")
    detail = "lowest left per window: " + ", ".join(parts)
    if obs.throttled:
        return Check(
            "rate limits",
            Status.WARN,
            f"{detail}; answered 429 on {', '.join(sorted(set(obs.throttled)))}",
            "another client on this IP/account is using the budget; run one bot per account",
        )
    if shared:
        return Check(
            "rate limits",
            Status.WARN,
            f"{detail}; others are spending it: {', '.join(shared)}",
            "another client on this IP/account shares the budget; leave it headroom",
        )
    return Check("rate limits", Status.OK, detail)
