"""The result of one `tradetui doctor` check, how it prints and the exit status it implies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "✓"
    WARN = "!"
    FAIL = "✗"
    SKIP = "–"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status.value} {self.name:<12} {self.detail}"
        return f"{text} — {self.fix}" if self.fix else text


def exit_code(checks: Sequence[Check]) -> int:
    """1 when any check failed, else 0 (warnings and skips pass)."""
    return 1 if any(check.status is Status.FAIL for check in checks) else 0
