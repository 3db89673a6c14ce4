"""`tradetui strategies`: what can be run, with every parameter's default and meaning."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tradetui.strategies import registry


def print_strategies() -> int:
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
