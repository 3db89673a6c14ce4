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


def _no_keyring(exc: Exception, exchange: Exchange) -> ConfigError:
    access, secret = env_names(exchange)
    return ConfigError(
        f"no usable OS keyring ({type(exc).__name__}); set {access} and {secret} in the environment instead"
    )


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
