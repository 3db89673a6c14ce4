"""Child process for the crash tests: writes orders until it is killed or has written ``count`` of them.

    python crash_writer.py journal|repository DB_PATH FIRST_INDEX COUNT

It prints ``ready`` once the database is open, then one line per committed write, flushed
*after* the write returned: ``<step> <index>``. Whatever it printed must be in the file.
"""

from __future__ import annotations

import asyncio
import sys
from decimal import Decimal

from tradetui.core.orders import Fill, Order, OrderState, OrdType
from tradetui.core.types import Side
from tradetui.storage import SqliteOrderJournal, SqliteRepository

JOURNAL_STEPS = ("intent", "wait", "fill", "done")


def identifier(index: int) -> str:
    return f"crash-{index:08d}"


def intent(index: int) -> Order:
    return Order(
        identifier(index),
        "KRW-BTC",
        Side.BID,
        OrdType.LIMIT,
        Decimal(f"{50_000_000 + index}.5"),
        Decimal(f"0.{index % 10_000:04d}1"),
        created_ms=1_700_000_000_000 + index,
        strategy="crash",
        reason=f"row {index}",
    )


def fill(index: int) -> Fill:
    order = intent(index)
    assert order.price is not None and order.volume is not None
    return Fill(order.identifier, f"t-{index}", order.market, order.side, order.price, order.volume, Decimal("0.05"),
                order.created_ms + 2)  # fmt: skip


def order_after(step: str, index: int) -> Order:
    """The order as the child wrote it at ``step`` (``fill`` does not change the order row)."""
    order = intent(index)
    if step == "intent":
        return order
    accepted = order.to_state(OrderState.WAIT, order.created_ms + 1)
    if step in ("wait", "fill"):
        return accepted
    return accepted.with_fill(fill(index)).to_state(OrderState.DONE, order.created_ms + 3)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_journal(path: str, first: int, count: int) -> None:
    journal = SqliteOrderJournal(path, mode="live")
    say("ready")
    for index in range(first, first + count):
        for step in JOURNAL_STEPS:
            if step == "fill":
                journal.record_fill(fill(index))
            else:
                journal.record(order_after(step, index))
            say(f"{step} {index}")
    journal.close()


async def run_repository(path: str, first: int, count: int) -> None:
    repo = await SqliteRepository.open(path)
    say("ready")
    for index in range(first, first + count):
        await repo.save_order(intent(index), mode="paper")
        say(f"intent {index}")
    await repo.close()


def main(argv: list[str]) -> None:
    kind, path, first, count = argv
    if kind == "journal":
        run_journal(path, int(first), int(count))
    else:
        asyncio.run(run_repository(path, int(first), int(count)))


if __name__ == "__main__":
    main(sys.argv[1:])
