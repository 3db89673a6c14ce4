"""Client order identifiers: unique forever, valid on both exchanges.

Upbit allows up to 64 characters, Bithumb 1–36 of ``[A-Za-z0-9_-]``; we use a prefix, the
time in ms and a random part, 32 characters at most, which satisfies both.
"""

from __future__ import annotations

import re
import secrets

_VALID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


def new_identifier(prefix: str, now_ms: int, *, counter: int | None = None) -> str:
    """A fresh identifier. With ``counter`` it is deterministic (backtests); else random."""
    clean = re.sub(r"[^A-Za-z0-9]", "", prefix)[:6] or "tt"
    tail = f"{counter:08x}" if counter is not None else secrets.token_hex(5)
    ident = f"{clean}-{now_ms:x}-{tail}"
    if not _VALID.match(ident):  # pragma: no cover - the construction above guarantees it
        raise ValueError(f"bad identifier {ident!r}")
    return ident


def is_valid_identifier(text: str) -> bool:
    return bool(_VALID.match(text))
