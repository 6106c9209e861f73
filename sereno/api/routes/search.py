"""Searches (an investigator's or a supervisor's, for an open case, with a reason): plate, area, route."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Query

from sereno.api.auth import ReaderDep
from sereno.api.schemas import AreaSearchBody, sighting_json
from sereno.domain import Sighting
from sereno.governance import Purpose
from sereno.intel.governed import find_area, find_area_polygon, find_plate, find_route
from sereno.intel.search import SearchError, SearchFilter

router = APIRouter(prefix="/api/search", tags=["search"])

Cameras = Annotated[list[str], Query(description="Only these cameras (repeat the parameter)")]


def utc(moment: datetime | None) -> datetime | None:
    """A time without a zone is UTC, like the CLI's."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def search_filter(camera: list[str], since: datetime | None, until: datetime | None, limit: int) -> SearchFilter:
    return SearchFilter(cameras=tuple(camera), since=utc(since), until=utc(until), limit=limit)


def sightings_json(found: list[Sighting], purpose: Purpose) -> list[dict[str, Any]]:
    """Sightings of a search, whose crops and snapshots are then read for the same case and reason."""
    query = {"case": purpose.case_id or "", "reason": purpose.reason}
    return [sighting_json(s, f"/api/sightings/{s.id}", query) for s in found]


@router.get("/plate")
def plate(r: ReaderDep, pattern: str, case: str | None = None, reason: str = "", fuzzy: bool = False,
          max_distance: Annotated[float, Query(gt=0, le=2)] = 1.0, camera: Cameras = [],
          since: datetime | None = None, until: datetime | None = None,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Exact plate, wildcard (``*`` any run, ``?`` one character) or ``fuzzy`` (look-alike characters, within
    ``max_distance``). ``plates``: for fuzzy searches, each plate found and its distance."""
    purpose = Purpose(case_id=case, reason=reason)
    result = find_plate(r, purpose, pattern, search_filter(camera, since, until, limit), fuzzy, max_distance)
    return {"sightings": sightings_json(result.sightings, purpose), "plates": result.plates,
            "ledger_seq": result.decision.ledger_seq}


@router.post("/area")
def area(body: AreaSearchBody, r: ReaderDep) -> dict[str, Any]:
    """Sightings inside a circle (``lat``, ``lon``, ``radius_m``) or a ``polygon``, within a time window."""
    purpose = Purpose(case_id=body.case, reason=body.reason)
    f = search_filter(body.camera, body.since, body.until, body.limit)
    if body.polygon:
        found = find_area_polygon(r, purpose, [tuple(corner) for corner in body.polygon], f)
    elif None not in (body.lat, body.lon, body.radius_m):
        found = find_area(r, purpose, body.lat, body.lon, body.radius_m, f)
    else:
        raise SearchError("give a circle (lat, lon, radius_m) or a polygon ([[lat, lon], ...])")
    return {"sightings": sightings_json(found, purpose)}


@router.get("/route")
def route(r: ReaderDep, plate: str, case: str | None = None, reason: str = "", since: datetime | None = None,
          until: datetime | None = None) -> dict[str, Any]:
    """The sightings of one plate in time order, as a GeoJSON FeatureCollection (a line and its points)."""
    return find_route(r, Purpose(case_id=case, reason=reason), plate, search_filter([], since, until, 1000))
