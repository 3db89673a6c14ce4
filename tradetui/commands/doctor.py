"""`tradetui doctor`: check that everything a paper or live session needs is in place.

    tradetui doctor [--config FILE] [--exchange upbit|bithumb] [--market KRW-BTC] [--data-dir DIR]

One line per check, ``✓`` (fine), ``!`` (works, but look at it), ``✗`` (will not work) or ``–``
(skipped), each problem with the fix. The exit status is 1 when any check failed, else 0.

* **config**: the file parses and validates (or the built-in demo is used);
* **keys**: present (shown masked) and where they came from (environment, keyring, sandbox default);
* **permissions**: a private call works (``/v1/accounts``) and ``/v1/orders/chance`` is readable,
  which needs the key's order permission (``out_of_scope`` → enable it on the exchange);
* **clock**: the offset to the exchange's ``Date`` response header, bounded from several answers
  (Bithumb's JWT carries a timestamp and stale ones are refused; warn above 1 s, fail above 5 s);
* **REST** / **WebSocket**: round trips and latency; a WebSocket connect and its first message;
* **rate limits**: the headroom the exchange reports (``Remaining-Req``, ``x-ratelimit-*``), and
  whether someone else is spending the same budget;
* **database**: it opens, its schema version, file mode 0600 and WAL journaling. The file is only
  read: nothing is created or upgraded here.

Without keys the public checks still run. Configs that do not use an exchange (the offline demo,
backtests) skip the network checks unless ``--exchange`` asks for them.

The checks live in sibling modules: :mod:`~tradetui.commands.doctor_local` (config, keys,
database), :mod:`~tradetui.commands.doctor_network` (REST, WebSocket, permissions) and
:mod:`~tradetui.commands.doctor_observations` (clock offset and rate limits, from the REST
answers), each returning :class:`~tradetui.commands.doctor_check.Check` rows;
:mod:`~tradetui.commands.doctor_run` runs them in order. This module is the command line, so
``tradetui doctor --help`` loads none of them.
"""

from __future__ import annotations

import argparse
from typing import TextIO

DEFAULT_TIMEOUT_S = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "One line per check: ✓ fine, ! look at it, ✗ will not work, – skipped. Exit status 1 when any check failed."
    )
    parser.add_argument(
        "--exchange",
        dest="doctor_exchange",
        choices=("upbit", "bithumb"),
        help="check this exchange (default: the config's; needed for configs that use none)",
    )
    parser.add_argument(
        "--market", dest="doctor_market", metavar="CODE", help="market to probe (default: the config's first)"
    )
    parser.add_argument(
        "--timeout", dest="doctor_timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S", help="per network check"
    )


def run(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Print one line per check (on ``out``, default stdout); 0 when nothing failed, 1 otherwise."""
    from tradetui.commands.doctor_run import run_doctor

    return run_doctor(args, out=out)
