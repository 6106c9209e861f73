"""One sighting, its plate crop and its context snapshot (an open case and a reason, each read recorded)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse

from sereno.api.auth import ReaderDep
from sereno.api.routes.search import sightings_json
from sereno.governance import Purpose
from sereno.intel.governed import sighting_media, view_sighting

router = APIRouter(prefix="/api/sightings", tags=["sightings"])
JPEG = {200: {"content": {"image/jpeg": {}}}}


@router.get("/{sighting_id}")
def sighting(sighting_id: str, r: ReaderDep, case: str | None = None, reason: str = "") -> dict[str, Any]:
    purpose = Purpose(case_id=case, reason=reason)
    return sightings_json([view_sighting(r, purpose, sighting_id)], purpose)[0]


def media(sighting_id: str, which: Literal["crop", "snapshot"], r: ReaderDep, case: str | None,
          reason: str) -> FileResponse:
    path = sighting_media(r, Purpose(case_id=case, reason=reason), sighting_id, which)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/{sighting_id}/crop.jpg", response_class=FileResponse, responses=JPEG)
def crop(sighting_id: str, r: ReaderDep, case: str | None = None, reason: str = "") -> FileResponse:
    return media(sighting_id, "crop", r, case, reason)


@router.get("/{sighting_id}/snapshot.jpg", response_class=FileResponse, responses=JPEG)
def snapshot(sighting_id: str, r: ReaderDep, case: str | None = None, reason: str = "") -> FileResponse:
    return media(sighting_id, "snapshot", r, case, reason)
