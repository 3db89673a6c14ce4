"""Streaming indicators: one ``update`` per closed bar, O(1) (amortised) work each.

Each class mirrors a vectorised function of ``tradetui.indicators`` and returns, bar by
bar, the value that function gives at the same index (NaN at exactly the same positions,
equal to ~1e-9 relative after warm-up).
"""

from tradetui.indicators.streaming.channel import StreamingHighest, StreamingLowest
from tradetui.indicators.streaming.momentum import StreamingADX, StreamingMACD, StreamingRSI, StreamingStochastic
from tradetui.indicators.streaming.moving import StreamingEMA, StreamingSMA, StreamingVolumeMA
from tradetui.indicators.streaming.volatility import StreamingATR, StreamingBollinger
from tradetui.indicators.streaming.volume import StreamingOBV, StreamingVWAP

__all__ = [
    "StreamingADX",
    "StreamingATR",
    "StreamingBollinger",
    "StreamingEMA",
    "StreamingHighest",
    "StreamingLowest",
    "StreamingMACD",
    "StreamingOBV",
    "StreamingRSI",
    "StreamingSMA",
    "StreamingStochastic",
    "StreamingVWAP",
    "StreamingVolumeMA",
]
