"""Wiring alerts into a running session: secrets from the keyring/environment, rules from
``[alerts]``, the router attached to the engine's listeners.

The caller runs ``router.run()`` beside the engine (an ``EngineHandle`` companion or the same
TaskGroup) and awaits ``router.close()`` on the way out.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tradetui.config import AlertChannelConfig, AppConfig
from tradetui.core.events import Severity
from tradetui.credentials import load_secret
from tradetui.engine.handle import EngineHandle
from tradetui.notify.alerts import AlertKind, ChannelRules
from tradetui.notify.masking import guarded
from tradetui.notify.report import AccountFigures

if TYPE_CHECKING:  # the channels bring httpx, aiohttp and slack-sdk: loaded only for a channel that is on
    from tradetui.notify.channels import Channel
    from tradetui.notify.router import AlertRouter

log = guarded(logging.getLogger(__name__))


def channel_rules(name: str, cfg: AlertChannelConfig) -> ChannelRules:
    return ChannelRules(
        name=name,
        min_severity=Severity[cfg.min_level.upper()],
        kinds=frozenset(AlertKind(k) for k in cfg.kinds),
        rate_per_min=cfg.rate_per_min,
    )


def alert_channels(config: AppConfig) -> list[tuple[Channel, ChannelRules]]:
    """The channels that are enabled and have their secrets; empty when none has."""
    alerts = config.alerts
    channels: list[tuple[Channel, ChannelRules]] = []
    if not (alerts.slack.enabled or alerts.telegram.enabled):
        return channels
    from tradetui.notify.channels import SlackChannel, TelegramChannel

    if alerts.slack.enabled:
        url = load_secret("slack_webhook_url")
        if url:
            channels.append((SlackChannel(url, timeout_s=alerts.timeout_s), channel_rules("slack", alerts.slack)))
    if alerts.telegram.enabled:
        token, chat = load_secret("telegram_bot_token"), load_secret("telegram_chat_id")
        if token and chat:
            channel = TelegramChannel(token, chat, timeout_s=alerts.timeout_s)
            channels.append((channel, channel_rules("telegram", alerts.telegram)))
        elif token or chat:
            log.warning(
                "Telegram alerts need both TRADETUI_TELEGRAM_BOT_TOKEN and TRADETUI_TELEGRAM_CHAT_ID; "
                "only one is set, so Telegram stays off"
            )
    return channels


def account_figures(handle: EngineHandle) -> AccountFigures:
    """The daily report's inputs from the read model and the engine's closed trades."""
    snapshot = handle.snapshot(max_events=0)
    return AccountFigures(snapshot.equity, handle.closed_trades(), snapshot.risk.day_pnl)


def build_alerts(config: AppConfig, handle: EngineHandle) -> AlertRouter | None:
    """An AlertRouter listening to ``handle``'s engine, or None when no channel is configured."""
    channels = alert_channels(config)
    if not channels:
        return None
    from tradetui.notify.router import AlertRouter

    alerts = config.alerts
    router = AlertRouter(
        channels,
        handle.clock,
        figures=lambda: account_figures(handle),
        daily_report=alerts.daily_report,
        dedup_window_s=alerts.dedup_window_s,
        send_timeout_s=alerts.timeout_s,
    )
    handle.listen(router.on_events)
    log.info("alerts on: %s", ", ".join(router.channel_names))
    return router
