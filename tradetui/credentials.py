"""API keys: from environment variables (which win) or the OS keyring; never from files.

A key is only ever shown masked, and its ``repr`` is masked too, so it cannot leak into a log
or a traceback by accident.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from tradetui.core.market import Exchange
from tradetui.errors import ConfigError

SERVICE = "tradetui"

SANDBOX_ACCESS_KEY = "sandbox-access"
SANDBOX_SECRET_KEY = "sandbox-secret"
"""The demo key pair `tradetui sandbox` accepts unless told otherwise, and a session or `tradetui
doctor` uses against a sandbox on this machine when no keys are set."""


def mask(secret: str) -> str:
    """``abcd…yz`` for long keys, ``****`` for short ones."""
    if len(secret) < 10:
        return "****"
    return f"{secret[:4]}…{secret[-2:]}"


@dataclass(frozen=True, slots=True)
class ApiKeys:
    exchange: Exchange
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    source: str = "keyring"
    """Where they came from: "env" or "keyring"."""

    def __repr__(self) -> str:
        return f"ApiKeys({self.exchange.value}, access={mask(self.access_key)}, secret=****, from {self.source})"

    __str__ = __repr__


def env_names(exchange: Exchange) -> tuple[str, str]:
    prefix = f"TRADETUI_{exchange.value.upper()}"
    return f"{prefix}_ACCESS_KEY", f"{prefix}_SECRET_KEY"


def _keyring() -> Any:
    import keyring

    return keyring


def keyring_problem() -> str | None:
    """Why no OS keyring can store keys on this machine (a Codespace, an SSH server without a
    desktop session), or None when one can. Asks the keyring once, like a real read would."""
    try:
        _keyring().get_password(SERVICE, "probe")
    except Exception as exc:  # keyring backends raise their own types
        return type(exc).__name__
    return None


def no_keyring_help(exchange: Exchange, reason: str) -> str:
    """What to do instead of ``keys set`` when there is no OS keyring: the environment."""
    access, secret = env_names(exchange)
    return (
        f"no OS keyring on this machine ({reason}), so tradetui cannot store {exchange.value} keys here.\n"
        f"Give them through the environment instead (it wins over the keyring): {access} and {secret}.\n"
        "  - in a GitHub Codespace: add both as Codespaces secrets (github.com > Settings > Codespaces >\n"
        "    Secrets, with this repository selected), then restart the codespace;\n"
        "  - on a server: export them in the shell that starts tradetui, or put them in the service's\n"
        "    environment file (e.g. systemd EnvironmentFile=, mode 0600), never in the config.\n"
        f"`tradetui keys show {exchange.value}` then says where the keys come from."
    )


def _no_keyring(exc: Exception, exchange: Exchange) -> ConfigError:
    return ConfigError(no_keyring_help(exchange, type(exc).__name__))


def load_keys(exchange: Exchange) -> ApiKeys | None:
    """Keys for ``exchange``: environment variables override the keyring; None when neither has them."""
    access_name, secret_name = env_names(exchange)
    access, secret = os.environ.get(access_name), os.environ.get(secret_name)
    if access and secret:
        return ApiKeys(exchange, access, secret, "env")
    if bool(access) != bool(secret):
        missing = secret_name if access else access_name
        raise ConfigError(f"{missing} is not set while its partner is; set both or neither")
    try:
        kr = _keyring()
        access = kr.get_password(SERVICE, f"{exchange.value}:access_key")
        secret = kr.get_password(SERVICE, f"{exchange.value}:secret_key")
    except Exception as exc:  # keyring backends raise their own types
        if type(exc).__name__ == "NoKeyringError":
            return None
        raise _no_keyring(exc, exchange) from None
    if access and secret:
        return ApiKeys(exchange, access, secret, "keyring")
    return None


def store_keys(exchange: Exchange, access_key: str, secret_key: str) -> None:
    access_key, secret_key = access_key.strip(), secret_key.strip()
    if not access_key or not secret_key:
        raise ConfigError("both the access key and the secret key are needed")
    try:
        kr = _keyring()
        kr.set_password(SERVICE, f"{exchange.value}:access_key", access_key)
        kr.set_password(SERVICE, f"{exchange.value}:secret_key", secret_key)
    except Exception as exc:
        raise _no_keyring(exc, exchange) from None


def delete_keys(exchange: Exchange) -> bool:
    """Remove stored keys; False when there were none."""
    try:
        kr = _keyring()
        found = False
        for name in ("access_key", "secret_key"):
            if kr.get_password(SERVICE, f"{exchange.value}:{name}") is not None:
                kr.delete_password(SERVICE, f"{exchange.value}:{name}")
                found = True
        return found
    except Exception as exc:
        raise _no_keyring(exc, exchange) from None


# --- alert channel secrets (Slack webhook URL, Telegram bot token and chat id) ---------------------

ALERT_SECRETS: dict[str, str] = {
    "slack_webhook_url": "TRADETUI_SLACK_WEBHOOK_URL",
    "telegram_bot_token": "TRADETUI_TELEGRAM_BOT_TOKEN",
    "telegram_chat_id": "TRADETUI_TELEGRAM_CHAT_ID",
}
"""Secret name → the environment variable that overrides the keyring entry ``alerts:<name>``."""


def _secret_env(name: str) -> str:
    try:
        return ALERT_SECRETS[name]
    except KeyError:
        raise ConfigError(f"unknown secret {name!r}; known: {', '.join(ALERT_SECRETS)}") from None


def load_secret(name: str) -> str | None:
    """An alert secret: its environment variable wins over the keyring; None when neither has it
    (or there is no usable keyring — alerts are optional, so that is not an error)."""
    value = os.environ.get(_secret_env(name), "").strip()
    if value:
        return value
    try:
        stored = _keyring().get_password(SERVICE, f"alerts:{name}")
    except Exception:  # keyring backends raise their own types; no keyring = not configured
        return None
    if not isinstance(stored, str) or not stored.strip():
        return None
    return stored.strip()


def store_secret(name: str, value: str) -> None:
    value = value.strip()
    env = _secret_env(name)
    if not value:
        raise ConfigError(f"{name} is empty")
    try:
        _keyring().set_password(SERVICE, f"alerts:{name}", value)
    except Exception as exc:
        raise ConfigError(
            f"no usable OS keyring ({type(exc).__name__}); set {env} in the environment instead"
        ) from None


def delete_secret(name: str) -> bool:
    """Remove a stored alert secret; False when there was none."""
    _secret_env(name)
    try:
        kr = _keyring()
        if kr.get_password(SERVICE, f"alerts:{name}") is None:
            return False
        kr.delete_password(SERVICE, f"alerts:{name}")
        return True
    except Exception as exc:
        raise ConfigError(f"no usable OS keyring ({type(exc).__name__})") from None
