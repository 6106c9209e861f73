"""The public transparency report (an auditor or a supervisor): aggregates only, no plate, name or position."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from sereno.api.auth import Authenticated, ServicesDep
from sereno.api.routes.audit import _remove
from sereno.governance.report import gather, parse_period, write_report

router = APIRouter(prefix="/api/reports", tags=["reports"])
MEDIA_TYPES = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


@router.get("/transparency", response_class=FileResponse)
def transparency(principal: Authenticated, svc: ServicesDep, period: str,
                 format: Literal["md", "html", "pdf"] = "html") -> FileResponse:
    """``period``: 2026-Q4, 2026-11 or 2026. HTML and PDF include the charts; Markdown is the text alone."""
    parsed = parse_period(period)
    figures = gather(svc.gov, principal, parsed, svc.cameras())
    folder = Path(tempfile.mkdtemp(prefix="sereno-report-"))
    name = f"transparency-{parsed.label}.{format}"
    path = write_report(figures, format, folder / name)
    return FileResponse(path, media_type=MEDIA_TYPES[format], filename=name,
                        background=BackgroundTask(_remove, folder))
