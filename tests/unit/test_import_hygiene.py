"""Layering: lower packages never import higher ones; the headless path never loads textual."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_headless_path_does_not_load_textual() -> None:
    code = (
        "import sys, tradetui.cli, tradetui.headless.runner, tradetui.commands.run, tradetui.commands.backtest_run;"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports")
    if lint is None:
        pytest.fail("lint-imports (import-linter, in the dev extra) is not installed")
    out = subprocess.run([lint], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stdout + out.stderr


def test_core_imports_only_the_standard_library() -> None:
    code = (
        "import sys; before=set(sys.modules); import tradetui.core.rules, tradetui.core.orders, "
        "tradetui.core.events, tradetui.core.ports, tradetui.core.clock, tradetui.core.plans, tradetui.core.trades;"
        "third=('numpy','pandas','pydantic','sqlmodel','httpx');"
        "bad=[m for m in set(sys.modules)-before if m.split('.')[0] in third];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"
