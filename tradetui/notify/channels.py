"""Where alerts go: Slack (incoming webhook, slack-sdk) and Telegram (Bot API over httpx).

A channel sends one message or raises :class:`~tradetui.errors.AlertDeliveryError`; retries,
backoff, rate limits and queues belong to the router. Messages carry KST times. Error messages
never quote the webhook URL or the bot token.
"""

from __future__ import annotations

import html
import logging
import math
from typing import Any, Protocol

import httpx
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tradetui.core.clock import format_kst
from tradetui.core.events import Severity
from tradetui.errors import AlertDeliveryError
from tradetui.notify.alerts import Alert, AlertKind, suppression_line
from tradetui.notify.masking import guarded, mask_text, masked_logger, protect

log = guarded(logging.getLogger(__name__))

TELEGRAM_API = "https://api.telegram.org"
TELEGRAM_MAX_CHARS = 4096
SLACK_MAX_SECTION_CHARS = 3000


class Channel(Protocol):
    """Anything that can deliver one alert (tests pass plain fakes)."""

    async def send(self, message: Alert) -> None: ...


_SEVERITY_ICONS = {Severity.CRITICAL: "🚨", Severity.ERROR: "❗", Severity.WARNING: "⚠️"}
_KIND_ICONS = {
    AlertKind.SIGNAL: "📡",
    AlertKind.FILL: "💱",
    AlertKind.EXIT: "🛑",
    AlertKind.POSITION: "📈",
    AlertKind.RISK: "🛡️",
    AlertKind.STRATEGY: "⚙️",
    AlertKind.ERROR: "❗",
    AlertKind.NOTICE: "ℹ️",
    AlertKind.REPORT: "📊",
}


def icon(alert: Alert) -> str:
    return _SEVERITY_ICONS.get(alert.severity) or _KIND_ICONS.get(alert.kind, "•")


def _retry_after(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _status_error(service: str, status: int, detail: str, retry_after_s: float | None) -> AlertDeliveryError:
    detail = mask_text(detail.strip())[:200]
    text = f"{service} answered HTTP {status}" + (f": {detail}" if detail else "")
    if status == 429:
        return AlertDeliveryError(text, retry_after_s=retry_after_s if retry_after_s is not None else 1.0)
    return AlertDeliveryError(text, is_permanent=400 <= status < 500 and status not in (408, 409))


# --- Slack -----------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack mrkdwn control characters (the only three Slack asks to escape)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(alert: Alert) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) for an incoming webhook."""
    times = f" ×{alert.count}" if alert.count > 1 else ""
    head = f"{icon(alert)} *{slack_escape(alert.title)}*{times}"
    body_lines = [head]
    if alert.body:
        body_lines.append(slack_escape(alert.body))
    body_lines.extend(f"*{slack_escape(label)}:* {slack_escape(value)}" for label, value in alert.lines)
    if alert.suppressed:
        body_lines.append(f"_{suppression_line(alert.suppressed)}_")
    section = "\n".join(body_lines)[:SLACK_MAX_SECTION_CHARS]
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": section}},
    ]
    if alert.ts_ms:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": format_kst(alert.ts_ms)}]})
    fallback = alert.plain().splitlines()[0]
    return slack_escape(fallback), blocks


class SlackChannel:
    """Posts to a Slack incoming webhook. ``client`` is injectable (tests, a shared session)."""

    def __init__(self, webhook_url: str, *, client: AsyncWebhookClient | None = None, timeout_s: float = 10.0) -> None:
        protect(webhook_url)
        self._owns_client = client is None
        self._client = client or AsyncWebhookClient(
            webhook_url,
            timeout=max(1, math.ceil(timeout_s)),
            logger=masked_logger("slack_sdk"),
            retry_handlers=[],  # the router retries, with its own backoff and limits
        )

    def __repr__(self) -> str:
        return "SlackChannel(webhook=****)"

    async def send(self, message: Alert) -> None:
        text, blocks = slack_payload(message)
        try:
            response = await self._client.send(text=text, blocks=blocks, unfurl_links=False, unfurl_media=False)
        except TimeoutError:
            raise AlertDeliveryError("Slack webhook timed out") from None
        except Exception as exc:  # aiohttp's client errors, DNS, TLS: all transient here
            raise AlertDeliveryError(f"Slack webhook failed: {type(exc).__name__}: {mask_text(str(exc))}") from None
        if response.status_code != 200:
            retry = _retry_after(response.headers.get("Retry-After")) if response.headers else None
            raise _status_error("Slack webhook", response.status_code, str(response.body or ""), retry)

    async def aclose(self) -> None:
        session = self._client.session
        if self._owns_client and session is not None and not session.closed:
            await session.close()


# --- Telegram --------------------------------------------------------------------------------------


def telegram_html(alert: Alert) -> str:
    """HTML parse mode: everything escaped, bold title, italic KST time."""
    esc = html.escape
    times = f" ×{alert.count}" if alert.count > 1 else ""
    lines = [f"{icon(alert)} <b>{esc(alert.title, quote=False)}</b>{times}"]
    if alert.body:
        lines.append(esc(alert.body, quote=False))
    lines.extend(f"<b>{esc(label, quote=False)}:</b> {esc(value, quote=False)}" for label, value in alert.lines)
    if alert.suppressed:
        lines.append(f"<i>{esc(suppression_line(alert.suppressed), quote=False)}</i>")
    if alert.ts_ms:
        lines.append(f"<i>{format_kst(alert.ts_ms)}</i>")
    text = "\n".join(lines)
    if len(text) > TELEGRAM_MAX_CHARS:  # cut at a line end so no tag or entity is left open
        text = text[: TELEGRAM_MAX_CHARS - 1].rsplit("\n", 1)[0] + "\n…"
    return text


class TelegramChannel:
    """``sendMessage`` of the Telegram Bot API. ``base_url``/``http`` are injectable for tests."""

    def __init__(
        self,
        bot_token: str,
        chat_id: str,
        *,
        base_url: str = TELEGRAM_API,
        http: httpx.AsyncClient | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        protect(bot_token)
        self._url = f"{base_url.rstrip('/')}/bot{bot_token}/sendMessage"
        self._chat_id = chat_id
        self._timeout = httpx.Timeout(timeout_s)
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=self._timeout)

    def __repr__(self) -> str:
        return "TelegramChannel(token=****)"

    async def send(self, message: Alert) -> None:
        payload = {
            "chat_id": self._chat_id,
            "text": telegram_html(message),
            "parse_mode": "HTML",
            "disable_web_page_preview": True,
        }
        try:
            response = await self._http.post(self._url, json=payload, timeout=self._timeout)
        except httpx.TimeoutException:
            raise AlertDeliveryError("Telegram Bot API timed out") from None
        except httpx.HTTPError as exc:
            raise AlertDeliveryError(f"Telegram Bot API failed: {type(exc).__name__}: {mask_text(str(exc))}") from None
        if response.status_code == 200:
            return
        detail, retry = "", _retry_after(response.headers.get("Retry-After"))
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            detail = str(answer.get("description", ""))
            parameters = answer.get("parameters")
            if isinstance(parameters, dict) and retry is None:
                retry = _retry_after(parameters.get("retry_after"))
        raise _status_error("Telegram Bot API", response.status_code, detail, retry)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()
