"""Alerts to Slack and Telegram: engine events → alerts → per-channel filters, dedup, rate limits.

``alerts`` maps events to :class:`~tradetui.notify.alerts.Alert`; ``channels`` sends them;
``router`` owns the queues and workers; ``report`` computes the 09:00 KST daily report.
Secrets (webhook URL, bot token) are passed in by the composition root and never logged.
"""
