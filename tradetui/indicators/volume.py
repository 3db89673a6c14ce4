"""Volume-weighted indicators: on-balance volume and VWAP."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tradetui.candles.series import FloatArray
from tradetui.indicators.inputs import as_columns


def obv(close: npt.ArrayLike, volume: npt.ArrayLike) -> FloatArray:
    """On-balance volume (TA-Lib ``OBV``).

    ``obv[0] = volume[0]``; then ``volume[t]`` is added when the close rose, subtracted when
    it fell and ignored when unchanged. Warm-up: 0.
    """
    c, v = as_columns(close=close, volume=volume)
    n = len(c)
    signed = np.empty(n, dtype=np.float64)
    if n == 0:
        return signed
    signed[0] = v[0]
    direction = np.diff(c)
    np.sign(direction, out=direction)
    np.multiply(direction, v[1:], out=signed[1:])
    return np.cumsum(signed, out=signed)


def session_starts(session: npt.ArrayLike, length: int) -> npt.NDArray[np.bool_]:
    """True where a bar's session id differs from the previous bar's (and at bar 0)."""
    ids = np.asarray(session)
    if ids.ndim != 1:
        raise ValueError(f"session must be one-dimensional, got shape {ids.shape}")
    if len(ids) != length:
        raise ValueError(f"input arrays must have the same length: session has {len(ids)}, prices have {length}")
    starts = np.empty(length, dtype=np.bool_)
    starts[:1] = True
    starts[1:] = ids[1:] != ids[:-1]
    return starts


def session_cumsum(values: FloatArray, position: npt.NDArray[np.intp]) -> FloatArray:
    """Running sums restarting at every session, by doubling (Hillis-Steele scan).

    ``position[i]`` is bar ``i``'s offset in its session. After the round with shift ``d``,
    ``out[i]`` sums the bars of its session in ``(i - 2d, i]``. Unlike subtracting a global
    cumsum at the session start, no session inherits the rounding of earlier, bigger ones.
    """
    out = values.copy()
    longest = int(position.max()) if len(position) else 0
    shift = 1
    while shift <= longest:
        out[shift:] += np.where(position[shift:] >= shift, out[:-shift], 0.0)
        shift *= 2
    return out


def vwap(
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    session: npt.ArrayLike | None = None,
) -> FloatArray:
    """Volume-weighted average price of the typical price ``(high + low + close) / 3``.

    ``vwap[t] = sum(typical * volume) / sum(volume)`` over all bars so far, or, with
    ``session`` (one id per bar, e.g. the UTC day number ``ts_s // 86400``), over the bars
    since the id last changed. Not in TA-Lib. Warm-up: 0, but the value is NaN while the
    session's cumulative volume is still 0.
    """
    h, lo, c, v = as_columns(high=high, low=low, close=close, volume=volume)
    n = len(h)
    weighted = (h + lo + c) / 3.0 * v
    if session is None or n == 0:
        np.cumsum(weighted, out=weighted)
        traded = np.cumsum(v)
    else:
        starts = session_starts(session, n)
        index = np.arange(n)
        position = index - np.maximum.accumulate(np.where(starts, index, 0))
        weighted = session_cumsum(weighted, position)
        traded = session_cumsum(v, position)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(traded != 0.0, weighted / traded, np.nan)
    return out
