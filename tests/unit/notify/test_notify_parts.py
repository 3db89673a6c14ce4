"""The alert pipeline's pure parts: dedup, token bucket, day tracking, formatting, masking, config."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

import pytest

from tradetui.config import parse_config
from tradetui.core.clock import KST
from tradetui.core.events import Severity
from tradetui.core.notation import krw, number
from tradetui.errors import ConfigError
from tradetui.notify.alerts import DEFAULT_KINDS, Alert, AlertKind, ChannelRules
from tradetui.notify.channels import slack_escape, slack_payload, telegram_html
from tradetui.notify.dedup import Deduplicator
from tradetui.notify.masking import SecretFilter, mask_text, protect
from tradetui.notify.ratelimit import TokenBucket
from tradetui.notify.report import AccountFigures, DayTracker


def _alert(text: str = "feed stale", kind: AlertKind = AlertKind.ERROR) -> Alert:
    return Alert(kind, Severity.ERROR, text)


def test_dedup_holds_a_burst_then_counts_the_window() -> None:
    d = Deduplicator(window_s=10, hold_s=1)
    for k in range(10):
        d.offer(_alert(), 0.1 * k)
    d.offer(_alert("other"), 0.5)
    assert d.due(0.9) == []
    assert [(a.title, a.count) for a in d.due(1.0)] == [("feed stale", 10)]
    assert [(a.title, a.count) for a in d.due(1.5)] == [("other", 1)]
    d.offer(_alert(), 5)
    d.offer(_alert(), 6)
    assert d.due(9.9) == [] and d.next_deadline() == 10
    assert [(a.title, a.count) for a in d.due(10)] == [("feed stale", 2)]
    assert d.due(10.5) == [] and d.next_deadline() is None  # "other" closed quietly
    d.offer(_alert(), 20)
    assert [a.count for a in d.flush()] == [1] and d.next_deadline() is None


def test_token_bucket_bursts_then_refills() -> None:
    b = TokenBucket(rate_per_min=60, burst=3, now_s=0)
    assert [b.take(0) for _ in range(4)] == [True, True, True, False]
    assert b.wait_s(0) == pytest.approx(1.0)
    assert b.take(1.0) and not b.take(1.0)
    assert b.take(100) and b.take(100) and b.take(100) and not b.take(100)  # never above the burst


def test_rules_filter_by_kind_and_level_report_exempt() -> None:
    rules = ChannelRules("x", min_severity=Severity.WARNING)
    assert AlertKind.SIGNAL not in DEFAULT_KINDS and AlertKind.NOTICE not in DEFAULT_KINDS
    assert rules.accepts(_alert()) and not rules.accepts(Alert(AlertKind.FILL, Severity.INFO, "fill"))
    assert rules.accepts(Alert(AlertKind.REPORT, Severity.INFO, "report"))
    assert not rules.accepts(Alert(AlertKind.SIGNAL, Severity.CRITICAL, "signal"))


def test_day_tracker_starting_mid_day_uses_the_read_models_day_pnl() -> None:
    t = DayTracker()
    ten = int(datetime(2025, 9, 1, 10, 0, tzinfo=KST).timestamp() * 1000)
    assert t.observe(ten, AccountFigures(Decimal("1050000"), (), day_pnl=Decimal("50000"))) is None
    report = t.observe(ten + 86_400_000, AccountFigures(Decimal("1100000")))
    assert report is not None and report.day.isoformat() == "2025-09-01"
    assert report.start_equity == Decimal("1000000") and report.day_pnl == Decimal("100000")
    assert report.win_rate_pct is None and report.trades == 0
    assert t.observe(ten + 86_400_000 + 1000, AccountFigures(Decimal("1100000"))) is None


def test_numbers_and_escaping() -> None:
    assert number(Decimal("50000000")) == "50,000,000" and number(Decimal("0.00123000")) == "0.00123"
    assert number(Decimal("5E+7")) == "50,000,000"
    assert krw(Decimal("-12345.6"), signed=True) == "-12,346 KRW" and krw(Decimal("0"), signed=True) == "+0 KRW"
    assert slack_escape("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    alert = Alert(AlertKind.ERROR, Severity.ERROR, "x <y>", "a & b", 1_756_690_200_000, count=3, suppressed=2)
    html = telegram_html(alert)
    assert "<b>x &lt;y&gt;</b> ×3" in html and "a &amp; b" in html and "2 more alerts suppressed" in html
    text, blocks = slack_payload(alert)
    assert text == "x &lt;y&gt; ×3" and "*x &lt;y&gt;* ×3" in blocks[0]["text"]["text"]
    long = telegram_html(Alert(AlertKind.ERROR, Severity.ERROR, "t", "\n".join(["<" * 50] * 200)))
    assert len(long) <= 4096 and long.endswith("\n…") and long.count("&lt;") % 50 == 0


def test_masking_covers_registered_secrets_and_known_shapes() -> None:
    protect("https://example.test/hook/registered-secret-0001", "987:registeredToken")
    assert "registered-secret-0001" not in mask_text("POST /hook/registered-secret-0001 failed")
    assert mask_text("url https://hooks.slack.com/services/T1/B2/abc") == "url https://hooks.slack.com/services/****"
    assert mask_text("GET /bot123:abcDEF_-x/sendMessage") == "GET /bot****/sendMessage"
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "token %s", ("987:registeredToken",), None)
    assert SecretFilter().filter(record) and "registeredToken" not in record.getMessage()


def test_alerts_config_section() -> None:
    config = parse_config({"alerts": {"telegram": {"min_level": "error", "kinds": ["fill", "signal"]}}})
    assert config.alerts.telegram.kinds == ("fill", "signal") and config.alerts.slack.enabled
    assert config.alerts.daily_report and config.alerts.dedup_window_s == 60
    with pytest.raises(ConfigError, match="kinds"):
        parse_config({"alerts": {"slack": {"kinds": ["fills"]}}})
    with pytest.raises(ConfigError, match="did you mean 'rate_per_min'"):
        parse_config({"alerts": {"slack": {"rate_per_minute": 5}}})
