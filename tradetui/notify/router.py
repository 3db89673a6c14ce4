"""AlertRouter: engine events in, alerts out to every channel that wants them — without ever
holding up the engine or letting one channel hold up another.

::

    engine.listeners ──► on_events (enqueue only) ──► dispatcher: event → alert, dedup, daily report
                                                          │ per channel: level/kind filter
                                            ┌─────────────┴─────────────┐
                                     bounded queue                bounded queue
                                    worker: token bucket,        worker: …
                                    timeout, retry+backoff
                                            │                             │
                                         Slack                        Telegram

Alerts a channel cannot take (rate limit, full queue) are counted and the count goes out as a
"N more alerts suppressed" line; a failing channel is retried with capped exponential backoff
(or the server's Retry-After), a bounded number of times, then the alert is dropped with a log
line. The first failure of an outage is logged at WARNING, masked; the recovery at INFO.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from tradetui.core.clock import Clock
from tradetui.core.events import Event, Severity
from tradetui.errors import AlertDeliveryError
from tradetui.notify.alerts import Alert, AlertKind, ChannelRules, alert_for, suppression_line
from tradetui.notify.channels import Channel
from tradetui.notify.dedup import Deduplicator
from tradetui.notify.masking import guarded, mask_text
from tradetui.notify.ratelimit import TokenBucket
from tradetui.notify.report import DayTracker, FiguresProvider

log = guarded(logging.getLogger(__name__))


@dataclass(frozen=True, slots=True)
class ChannelStats:
    sent: int
    """Messages delivered (summaries included)."""
    dropped: int
    """Alerts given up on after their retries."""
    suppressed: int
    """Alerts folded into a "suppressed" line (rate limit, full queue), in total."""
    failures: int
    """Failed attempts in a row right now (0 when healthy)."""


@dataclass(slots=True)
class _ChannelState:
    channel: Channel
    rules: ChannelRules
    queue: asyncio.Queue[Alert]
    bucket: TokenBucket
    suppressed: int = 0
    suppressed_total: int = 0
    sent: int = 0
    dropped: int = 0
    failures: int = 0
    next_delay_s: float = 0.0
    busy: bool = False
    overflow_logged: bool = False

    def suppress(self, n: int = 1) -> None:
        self.suppressed += n
        self.suppressed_total += n


class AlertRouter:
    def __init__(
        self,
        channels: Sequence[tuple[Channel, ChannelRules]],
        clock: Clock,
        *,
        figures: FiguresProvider | None = None,
        daily_report: bool = True,
        dedup_window_s: float = 60.0,
        dedup_hold_s: float = 1.0,
        send_timeout_s: float = 10.0,
        max_attempts: int = 3,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 60.0,
        retry_after_cap_s: float = 300.0,
        report_check_s: float = 1.0,
        intake_size: int = 2000,
    ) -> None:
        """``figures`` reads the account for the daily report (none without it). Times: dedup,
        rate limits, timeouts and backoff run on the event loop's monotonic clock; the daily
        report follows ``clock`` (market time in a replay, so tests can jump it)."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be ≥ 1")
        self._clock = clock
        self._figures = figures
        self._dedup = Deduplicator(dedup_window_s, dedup_hold_s)
        self._send_timeout_s = send_timeout_s
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._retry_after_cap_s = retry_after_cap_s
        self._report_check_s = report_check_s
        self._intake: deque[Event] = deque()
        self._intake_size = intake_size
        self._intake_lost = 0
        self._wake: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._running = False
        self._closed = False
        self._tracker = DayTracker()
        self._states: list[_ChannelState] = []
        for channel, rules in channels:
            burst = rules.burst if rules.burst is not None else max(1, int(rules.rate_per_min))
            bucket = TokenBucket(rules.rate_per_min, burst, 0.0)
            self._states.append(_ChannelState(channel, rules, asyncio.Queue(rules.queue_size), bucket))
        wants_report = any(AlertKind.REPORT in st.rules.kinds for st in self._states)
        self._daily_report = daily_report and figures is not None and wants_report

    # --- producers (synchronous, never block) ------------------------------------------------------

    def on_events(self, events: Sequence[Event]) -> None:
        """The engine listener: appends to the intake and returns. A full intake drops its oldest."""
        if self._closed:
            return
        intake = self._intake
        for event in events:
            if len(intake) >= self._intake_size:
                intake.popleft()
                self._intake_lost += 1
            intake.append(event)
        if self._wake is not None:
            self._wake.set()

    def publish(self, alert: Alert) -> None:
        """Send an alert that is not an engine event (start-up notes, tests); same path as events."""
        if self._closed:
            return
        self._dispatch(alert, self._now_s())

    # --- read-outs ---------------------------------------------------------------------------------

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(st.rules.name for st in self._states)

    def stats(self) -> dict[str, ChannelStats]:
        return {
            st.rules.name: ChannelStats(st.sent, st.dropped, st.suppressed_total, st.failures) for st in self._states
        }

    # --- running -----------------------------------------------------------------------------------

    async def run(self) -> None:
        """Dispatch and deliver until :meth:`close` (or cancellation, as an EngineHandle companion)."""
        if self._running:
            raise RuntimeError("AlertRouter.run() is already running")
        if self._closed:
            return
        self._running = True
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        now = self._now_s()
        for st in self._states:
            st.bucket = TokenBucket(st.rules.rate_per_min, int(st.bucket.capacity), now)
        tasks = [asyncio.create_task(self._dispatch_loop(), name="alerts-dispatch")]
        tasks += [asyncio.create_task(self._work(st), name=f"alerts-{st.rules.name}") for st in self._states]
        try:
            await self._stop.wait()
            await self._flush(timeout_s=min(2.0, self._send_timeout_s))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._running = False

    async def close(self) -> None:
        """Stop taking alerts, give queued ones a moment to go out, close the channels."""
        if self._closed:
            return
        self._closed = True
        if self._running and self._stop is not None:
            self._stop.set()
            for _ in range(200):  # run() flushes for at most ~2 s, then returns
                if not self._running:
                    break
                await asyncio.sleep(0.02)
        for st in self._states:
            aclose = getattr(st.channel, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception as exc:  # closing must not fail the shutdown
                    log.warning("closing alert channel %s failed: %s", st.rules.name, mask_text(repr(exc)))

    # --- dispatcher --------------------------------------------------------------------------------

    @staticmethod
    def _now_s() -> float:
        return asyncio.get_running_loop().time()

    async def _dispatch_loop(self) -> None:
        assert self._wake is not None
        next_report_check = self._now_s()
        while True:
            now = self._now_s()
            try:
                self._drain_intake(now)
                for alert in self._dedup.due(now):
                    self._fan_out(alert)
                if self._daily_report and now >= next_report_check:
                    next_report_check = now + self._report_check_s
                    self._check_report()
            except Exception:  # a bad event or a failing read model must not end the alerts
                log.exception("alert dispatch failed")
            deadline = next_report_check if self._daily_report else None
            held = self._dedup.next_deadline()
            if held is not None:
                deadline = held if deadline is None else min(deadline, held)
            self._wake.clear()
            if self._intake:
                continue
            timeout = None if deadline is None else max(0.0, deadline - self._now_s())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    def _drain_intake(self, now: float) -> None:
        if self._intake_lost:
            lost, self._intake_lost = self._intake_lost, 0
            log.warning("alert intake full: %d engine events were not turned into alerts", lost)
            for st in self._states:
                st.suppress(lost)
        while self._intake:
            event = self._intake.popleft()
            try:
                alert = alert_for(event)
            except Exception as exc:  # one malformed event is skipped, the rest go on
                log.warning("no alert for %s: %s", type(event).__name__, mask_text(repr(exc)))
                continue
            if alert is not None:
                self._dispatch(alert, now)

    def _dispatch(self, alert: Alert, now: float) -> None:
        if self._dedup.is_enabled and alert.kind is not AlertKind.REPORT:
            self._dedup.offer(alert, now)
            if self._wake is not None:
                self._wake.set()
        else:
            self._fan_out(alert)

    def _fan_out(self, alert: Alert) -> None:
        for st in self._states:
            if not st.rules.accepts(alert):
                continue
            try:
                st.queue.put_nowait(alert)
            except asyncio.QueueFull:
                st.suppress()
                if not st.overflow_logged:
                    st.overflow_logged = True
                    log.warning("alert channel %s is behind: its queue is full, alerts are suppressed", st.rules.name)

    def _check_report(self) -> None:
        assert self._figures is not None
        report = self._tracker.observe(self._clock.now_ms(), self._figures())
        if report is not None:
            log.info("daily report for %s: day PnL %s", report.day.isoformat(), report.day_pnl)
            self._fan_out(report.to_alert())

    async def _flush(self, *, timeout_s: float) -> None:
        """On stop: release what dedup holds and let the queues empty for up to ``timeout_s``."""
        now = self._now_s()
        self._drain_intake(now)
        for alert in [*self._dedup.due(now), *self._dedup.flush()]:
            self._fan_out(alert)
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        while loop.time() < end:
            if all(st.queue.empty() and not st.busy and not st.suppressed for st in self._states):
                return
            await asyncio.sleep(0.02)
        left = sum(st.queue.qsize() for st in self._states)
        if left:
            log.warning("alerts stopping with %d alert(s) not delivered", left)

    # --- one worker per channel --------------------------------------------------------------------

    async def _work(self, st: _ChannelState) -> None:
        while True:
            alert = await self._next_alert(st)
            st.busy = True
            try:
                await self._deliver(st, alert)
            except asyncio.CancelledError:
                raise
            except Exception:  # never let a worker die: the next alert gets its chance
                log.exception("alert worker %s failed", st.rules.name)
            finally:
                st.busy = False

    async def _next_alert(self, st: _ChannelState) -> Alert:
        """The next message this channel may send now: a queued alert (carrying the count of any
        suppressed before it), or, when the queue is empty, a summary of the suppressed ones."""
        while True:
            if st.queue.empty() and st.suppressed:
                wait = st.bucket.wait_s(self._now_s())
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                st.bucket.take(self._now_s())
                n, st.suppressed = st.suppressed, 0
                return Alert(AlertKind.NOTICE, Severity.WARNING, suppression_line(n), ts_ms=self._clock.now_ms())
            alert = await st.queue.get()
            if st.bucket.take(self._now_s()):
                if st.suppressed:
                    alert = alert.with_suppressed(st.suppressed)
                    st.suppressed = 0
                st.overflow_logged = False
                return alert
            st.suppress()

    def _backoff_s(self, failures: int) -> float:
        delay = min(self._backoff_cap_s, self._backoff_base_s * 2.0 ** max(0, failures - 1))
        return delay * (0.8 + 0.2 * random.random())  # jitter so two channels do not retry in step

    async def _deliver(self, st: _ChannelState, alert: Alert) -> None:
        name = st.rules.name
        attempts = 0
        while attempts < self._max_attempts:
            attempts += 1
            if st.failures:
                await asyncio.sleep(st.next_delay_s)
            try:
                async with asyncio.timeout(self._send_timeout_s):
                    await st.channel.send(alert)
            except TimeoutError:
                error = AlertDeliveryError(f"no answer within {self._send_timeout_s:g} s")
            except AlertDeliveryError as exc:
                error = exc
            except Exception as exc:  # a channel's own bug: treat as a failed attempt
                error = AlertDeliveryError(f"{type(exc).__name__}: {exc}")
            else:
                if st.failures:
                    log.info("alert channel %s delivers again after %d failed attempt(s)", name, st.failures)
                st.failures = 0
                st.next_delay_s = 0.0
                st.sent += 1
                return
            st.failures += 1
            retry_after = error.retry_after_s
            if retry_after is not None:
                st.next_delay_s = min(retry_after, self._retry_after_cap_s)  # the server's word
            else:
                st.next_delay_s = self._backoff_s(st.failures)
            message = mask_text(str(error))
            if st.failures == 1:
                log.warning("alert channel %s failed: %s (retrying with backoff)", name, message)
            else:
                log.debug("alert channel %s failed again (%d in a row): %s", name, st.failures, message)
            if error.is_permanent:
                break
        st.dropped += 1
        log.warning("alert channel %s dropped an alert after %d attempt(s): %s", name, attempts, mask_text(alert.title))
