"""Hotlists: the lists loaded, and importing one (a supervisor), which matches the last 24 hours at once."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, UploadFile

from sereno.api.auth import ReaderDep, ServicesDep
from sereno.api.schemas import iso
from sereno.intel.governed import import_hotlist, list_hotlists

router = APIRouter(prefix="/api/hotlists", tags=["hotlists"])


@router.get("")
def hotlists(r: ReaderDep) -> list[dict[str, Any]]:
    return [{"name": h.name, "format": h.format, "imported_at": iso(h.imported_at), "entries": h.entries,
             "active": h.active, "rejected": h.rejected} for h in list_hotlists(r)]


@router.post("")
def upload(r: ReaderDep, svc: ServicesDep, file: UploadFile, name: Annotated[str, Form()],
           format: Annotated[str | None, Form(description="ncic, openalpr or csv (default: detected)")] = None,
           ) -> dict[str, Any]:
    """Import (or replace) a list. Bad lines are reported with their line number and skipped; the good ones load.
    Sightings of the last 24 hours are matched at once and their alerts go out like live ones."""
    with tempfile.TemporaryDirectory(prefix="sereno-hotlist-") as folder:
        path = Path(folder) / (Path(file.filename or "hotlist.txt").name or "hotlist.txt")
        path.write_bytes(file.file.read())
        parsed, alerts = import_hotlist(r, path, name.strip(), format or None)
    svc.publish_alerts(alerts)
    return {"imported": len(parsed.entries), "format": parsed.format,
            "problems": [{"line": p.line, "reason": p.reason} for p in parsed.problems], "alerts": len(alerts)}
