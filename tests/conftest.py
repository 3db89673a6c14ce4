"""Shared fixtures: the recorded market data beside the project, skipped cleanly when absent."""

from __future__ import annotations

from pathlib import Path

import plotext  # noqa: F401  (loaded up front: the app loads it after its first frame, tests draw at once)
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"recorded market data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def btc_1m_file(shared_data: Path) -> Path:
    path = shared_data / "upbit_KRW-BTC_1m_20250901_20251004.csv.gz"
    if not path.exists():
        pytest.skip(f"{path.name} not in {shared_data}")
    return path
