"""Loading a test directory's helper module (``audit.py``, ``venue.py``, ``peer.py``, ...) by path.

The tests run with ``--import-mode=importlib``, so a test module cannot import the plain modules
beside it. Each helper is loaded once, under a key named after its directory, and shared through
``sys.modules`` by every test module that asks for it. (``pythonpath`` in pyproject.toml puts this
directory on ``sys.path``.)"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_sibling(test_file: str, name: str) -> ModuleType:
    """The module ``name``.py in the directory of ``test_file`` (pass ``__file__``)."""
    path = Path(test_file).with_name(f"{name}.py")
    key = f"{path.parent.name}_test_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, path)
        assert spec is not None and spec.loader is not None, f"no helper module {path}"
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]
