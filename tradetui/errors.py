"""One error tree, classified by what the caller must do about it."""

from __future__ import annotations


class TradetuiError(Exception):
    """Base of every error tradetui raises on purpose."""


class ConfigError(TradetuiError):
    """Bad configuration or command-line input; fatal at start-up. The message names the fix."""


class DataError(TradetuiError):
    """A candle file or data set is missing or malformed; the message names the file and the row."""


class RequestError(TradetuiError):
    """A client's HTTP request to one of our servers (control API, sandbox) cannot be served as
    sent. ``status`` is the HTTP status to answer with; the message names what is wrong and the fix."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class VenueError(TradetuiError):
    """Anything an exchange or venue answered with, or failed to answer."""


class TransientVenueError(VenueError):
    """Retry later (network error, 5xx on an idempotent call)."""

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RateLimited(TransientVenueError):
    """Over the request budget: wait ``retry_after_s`` before the next call of this group."""


class AuthError(VenueError):
    """Keys, signature, clock or permissions are wrong. Retrying will not help."""


class OrderRejected(VenueError):
    """The exchange definitively refused an order. ``name`` is the exchange's error name."""

    def __init__(self, message: str, name: str = "") -> None:
        super().__init__(message)
        self.name = name


class OrderStateUnknown(VenueError):
    """An order request got no definitive answer. Reconcile by identifier; never resend."""

    def __init__(self, message: str, identifier: str) -> None:
        super().__init__(message)
        self.identifier = identifier


class AlertDeliveryError(TradetuiError):
    """An alert channel (Slack, Telegram) did not take a message.

    ``retry_after_s`` is set when the service asked to wait (HTTP 429); ``is_permanent`` when
    retrying the same message cannot help (a 4xx other than 429: bad webhook, bad chat id).
    The message never contains the webhook URL or the bot token.
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None, is_permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.is_permanent = is_permanent
