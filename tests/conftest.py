"""Shared fixtures. Real data comes from ../shared/data; tests that need it skip with a reason when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sereno.config import Settings, load_settings

from tests.realdata import SHARED_DATA, shared_file  # noqa: F401  (re-exported for tests)

# Rich wraps CLI output at the terminal width; a wide, fixed width keeps messages on one line whatever the
# length of the temporary paths in them (set before any test imports the CLI, which creates its consoles).
os.environ["COLUMNS"] = "240"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings on a fresh data directory. SERENO_MODELS_DIR (set by scripts/test.sh) shares installed models."""
    return load_settings(tmp_path / "data")
