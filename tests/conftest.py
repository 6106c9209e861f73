"""Shared fixtures. Real data comes from ../shared/data; tests that need it skip with a reason when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sereno.config import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("SERENO_SHARED_DATA", REPO.parent / "shared" / "data"))


def shared_file(relative: str) -> Path:
    """A file from ../shared/data, or skip the test saying what is missing."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real data not present: {path} (clone with ../shared beside the repository)")
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh data directory. Models are shared from the developer's data dir when installed there."""
    models = os.environ.get("SERENO_MODELS_DIR")
    return load_settings(tmp_path / "data", models_dir=Path(models) if models else None)
