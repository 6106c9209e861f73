"""The web pages of the monitoring center and the officers' tablets: static files only (no build step).

The API app (sereno.api) serves ``STATIC_DIR`` at ``/static`` and ``INDEX_HTML`` at ``/``; every page takes its
data from the API, so nothing here reads the store or the gate.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
INDEX_HTML = STATIC_DIR / "index.html"
