"""`tradetui strategies`: what can be run, with every parameter's default and meaning.

It reads the strategy registry only: no database, data files or network, so it starts in the
time numpy and pydantic take to import.
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from tradetui.strategies import registry


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Every strategy `--strategy NAME` can run, with its parameters (`--param KEY=VALUE`)."


def run(args: argparse.Namespace) -> int:
    console = Console()
    for name in registry.available():
        cls = registry.strategy_class(name)
        table = Table(title=f"{name} — {cls.description}", title_justify="left")
        table.add_column("parameter")
        table.add_column("default", justify="right")
        table.add_column("meaning")
        for field_name, field in cls.params_type.model_fields.items():
            default = field.default
            table.add_row(
                field_name, "" if default is None else str(getattr(default, "value", default)), field.description or ""
            )
        console.print(table)
    return 0
