"""``../shared/data`` for the benchmarks: where it is (``SERENO_SHARED_DATA`` overrides) and what to say when a
part of it is not there."""

from __future__ import annotations

import os
import sys
from pathlib import Path

SHARED = Path(os.environ.get("SERENO_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


def missing(relative: str) -> bool:
    """True, after saying on stderr what is missing and how to point at it, when ``relative`` is not there."""
    path = SHARED / relative
    if path.exists():
        return False
    print(f"error: {path} not found: set SERENO_SHARED_DATA", file=sys.stderr)
    return True
