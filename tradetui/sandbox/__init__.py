"""A local fake Upbit/Bithumb exchange (REST and WebSocket) for rehearsals and for testing our own clients.

It implements the wire protocol from ``reference/exchanges.md`` on its own and never imports
``tradetui.exchanges``.
"""

from __future__ import annotations

from tradetui.sandbox.app import SandboxServer, create_app, serve
from tradetui.sandbox.config import SandboxConfig
from tradetui.sandbox.faults import FaultSpec
from tradetui.sandbox.market import MarketSpec
from tradetui.sandbox.state import DEFAULT_MARKETS, SandboxState

__all__ = [
    "DEFAULT_MARKETS",
    "FaultSpec",
    "MarketSpec",
    "SandboxConfig",
    "SandboxServer",
    "SandboxState",
    "create_app",
    "serve",
]
