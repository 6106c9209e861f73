"""The ledger for auditors: browse it, verify it, the oversight views, and the export outsiders verify."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from sqlalchemy import select
from starlette.background import BackgroundTask

from sereno.api.auth import Authenticated, ServicesDep
from sereno.governance.gate import require
from sereno.governance.ledger import row_to_entry, stamp
from sereno.governance.model import Action
from sereno.governance.oversight import oversight as oversight_views
from sereno.governance.tables import LedgerEntryRow

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("/entries")
def entries(principal: Authenticated, svc: ServicesDep, after: int = 0,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Ledger entries after sequence number ``after``, oldest first (page with ``next_after``)."""
    require(svc.gov, principal, Action.READ_LEDGER, after=after, limit=limit)
    with svc.gov.sessions() as session:
        rows = session.scalars(select(LedgerEntryRow).where(LedgerEntryRow.seq > after)
                               .order_by(LedgerEntryRow.seq).limit(limit))
        found = [row_to_entry(row) for row in rows]
    return {"entries": found, "next_after": found[-1]["seq"] if found else after, "total": svc.gov.ledger.count()}


@router.get("/verify")
def verify(principal: Authenticated, svc: ServicesDep) -> dict[str, Any]:
    """Recompute every hash, link, signature and Merkle checkpoint; name the first broken entry."""
    require(svc.gov, principal, Action.READ_LEDGER, what="verify")
    report = svc.gov.ledger.verify()
    return {"ok": report.ok, "entries": report.entries, "checkpoints": report.checkpoints,
            "problem": str(report.problem) if report.problem else None,
            "first_bad_seq": report.problem.seq if report.problem else None, "key_id": svc.gov.key.id}


@router.get("/oversight")
def oversight(principal: Authenticated, svc: ServicesDep, since: str | None = None,
              until: str | None = None) -> dict[str, Any]:
    """Who read personal data for which case and why, and the anomalies (outside shift, one plate across cases,
    cases that only search, refusals, emergencies not ratified, bootstrap activations)."""
    searches, found = oversight_views(svc.gov, principal, since, until)
    return {"searches": searches, "anomalies": vars(found), "total_anomalies": found.total()}


@router.get("/export", response_class=FileResponse, responses={200: {"content": {"application/zip": {}}}})
def export(principal: Authenticated, svc: ServicesDep) -> FileResponse:
    """A bundle any auditor verifies elsewhere with the public key alone (python verify_ledger.py BUNDLE.zip)."""
    require(svc.gov, principal, Action.EXPORT_LEDGER, destination="download")
    folder = Path(tempfile.mkdtemp(prefix="sereno-export-"))
    name = f"sereno-ledger-{stamp(svc.gov.now())[:19].replace(':', '')}.zip"
    path = svc.gov.ledger.export(folder / name, principal)
    return FileResponse(path, media_type="application/zip", filename=name,
                        background=BackgroundTask(_remove, folder))


def _remove(folder: Path) -> None:
    for item in folder.iterdir():
        item.unlink()
    folder.rmdir()
