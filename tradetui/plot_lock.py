"""The one lock around plotext, shared by everything that draws with it.

plotext draws on one module-level figure, so two plots built at once (a backtest report in a
worker thread, the dashboard's candle chart) would draw into each other. Whoever draws takes
:data:`plotext_lock` first. It lives outside the layers (standard library only) so the research
code (``backtest/report.py``) and the UI (``ui/widgets/candle_chart.py``) both take the same lock
without either importing the other.
"""

from __future__ import annotations

import sys
import threading

plotext_lock = threading.Lock()
"""Held while plotext's figure is built and read."""


def plotext_loaded() -> bool:
    """Whether plotext is imported already: importing it takes ~0.2 s (it builds its own
    documentation), which the dashboard's first frame should not wait for."""
    return "plotext" in sys.modules
