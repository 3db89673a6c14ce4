"""A local fake Upbit/Bithumb exchange (REST) for rehearsals and for testing our own clients.

It implements the wire protocol from ``reference/exchanges.md`` on its own and never imports
``tradetui.exchanges``.
"""

from __future__ import annotations

from tradetui.sandbox.app import create_app, serve
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.market import MarketSpec
from tradetui.sandbox.state import DEFAULT_MARKETS, SandboxState

__all__ = ["DEFAULT_MARKETS", "MarketSpec", "SandboxConfig", "SandboxState", "create_app", "serve"]
