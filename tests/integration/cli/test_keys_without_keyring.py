"""`tradetui keys` on a machine without an OS keyring (a Codespace, an SSH server): it says so
before asking for any key, and explains the alternatives (environment variables, Codespaces
secrets) instead of only failing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def _keys(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TRADETUI_")}
    return subprocess.run(
        [sys.executable, "-m", "tradetui", "keys", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={**environ, **NO_KEYRING, **(env or {})},
    )


def test_set_explains_the_alternatives_before_asking_for_keys() -> None:
    out = _keys("set", "upbit", stdin="access-key-typed-in-vain\nsecret-key-typed-in-vain\n")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    text = out.stderr
    assert "no OS keyring" in text
    assert "TRADETUI_UPBIT_ACCESS_KEY" in text and "TRADETUI_UPBIT_SECRET_KEY" in text
    assert "Codespaces secret" in text
    assert "access key:" not in out.stdout + text  # never prompted for a key it cannot store
    assert "typed-in-vain" not in out.stdout + text


def test_show_without_a_keyring_points_to_the_environment() -> None:
    out = _keys("show", "bithumb")
    assert out.returncode == 1
    assert "no OS keyring" in out.stdout + out.stderr
    assert "TRADETUI_BITHUMB_ACCESS_KEY" in out.stdout + out.stderr


def test_show_finds_keys_in_the_environment_without_a_keyring() -> None:
    out = _keys(
        "show",
        "upbit",
        env={"TRADETUI_UPBIT_ACCESS_KEY": "AKIAexampleaccess0001", "TRADETUI_UPBIT_SECRET_KEY": "sekretsekret9999"},
    )
    assert out.returncode == 0, out.stderr
    assert "AKIA…01" in out.stdout and "from env" in out.stdout
    assert "sekretsekret9999" not in out.stdout + out.stderr


def test_delete_without_a_keyring_is_one_clear_line() -> None:
    out = _keys("delete", "upbit")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "no OS keyring" in out.stderr
