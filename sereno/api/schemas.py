"""The JSON the API speaks: request bodies (pydantic, so they appear in the OpenAPI schema) and the one shape of
each domain object in answers (plain functions over sereno.domain, so every route serialises a Sighting alike)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, Field

from sereno.domain import Alert, CameraStatus, Sighting
from sereno.governance.feeds import FeedGrant
from sereno.intel.governed import CameraView


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if moment else None


# --- answers ------------------------------------------------------------------------------------------------------

def sighting_json(s: Sighting, media_base: str, media_query: dict[str, str] | None = None) -> dict[str, Any]:
    """A sighting. ``media_base`` is where its crop and snapshot are served (``/api/sightings/ID`` for searches,
    ``/api/alerts/ID`` for alerts), ``media_query`` the case and reason those reads state."""
    query = f"?{urlencode(media_query)}" if media_query else ""
    plate = s.plate
    return {
        "id": s.id, "camera_id": s.camera_id, "observed_at": iso(s.observed_at),
        "plate": plate.text if plate else None, "confidence": plate.confidence if plate else None,
        "object_class": s.object_class, "lat": s.lat, "lon": s.lon, "box": list(s.box), "frames": s.frames,
        "crop_url": f"{media_base}/crop.jpg{query}" if s.plate_crop_path else None,
        "snapshot_url": f"{media_base}/snapshot.jpg{query}" if s.snapshot_path else None,
        "candidates": [[{"char": c.char, "prob": c.prob} for c in position] for position in plate.candidates]
        if plate else [],
        "corrections": [{"position": c.position, "original": c.original, "corrected": c.corrected,
                         "reason": c.reason} for c in plate.corrections] if plate else [],
    }


def alert_json(alert: Alert, sighting: Sighting) -> dict[str, Any]:
    """An alert with the evidence to check before acting: the hotlist entry, the match kind and the sighting."""
    return {
        "id": alert.id, "status": alert.status.value, "list_name": alert.list_name,
        "hotlist_plate": alert.hotlist_plate, "read_plate": alert.read_plate, "match_kind": alert.match_kind.value,
        "reason": alert.reason, "distance": alert.distance, "created_at": iso(alert.created_at),
        "decided_by": alert.decided_by, "decided_at": iso(alert.decided_at),
        "decision_reason": alert.decision_reason,
        "sighting": sighting_json(sighting, f"/api/alerts/{alert.id}"),
    }


def camera_json(view: CameraView, recording: bool) -> dict[str, Any]:
    c, status = view.camera, view.status
    return {
        "id": c.id, "name": c.name, "kind": c.kind.value, "lat": c.lat, "lon": c.lon, "heading": c.heading,
        "located": view.located, "enabled": c.enabled,
        "state": status.state.value if status else ("stopped" if not c.enabled else "unknown"),
        "reason": status.reason if status else "", "last_frame_at": iso(status.last_frame_at) if status else None,
        "recording": recording,
    }


def camera_event(status: CameraStatus) -> dict[str, Any]:
    return {"id": status.camera_id, "state": status.state.value, "reason": status.reason,
            "since": iso(status.since), "last_frame_at": iso(status.last_frame_at)}


def feed_json(grant: FeedGrant) -> dict[str, Any]:
    return {"id": grant.id, "camera_id": grant.camera_id, "username": grant.username, "minutes": grant.minutes,
            "reason": grant.reason, "status": grant.status, "requested_at": iso(grant.requested_at),
            "decided_by": grant.decided_by, "decided_at": iso(grant.decided_at),
            "expires_at": iso(grant.expires_at)}


# --- requests -----------------------------------------------------------------------------------------------------

class LoginBody(BaseModel):
    username: str
    password: str
    code: str = Field(description="The 6-digit code of the authenticator app")
    device_id: str | None = Field(None, description="The registered device (tablet) this session is bound to")


class Purposeful(BaseModel):
    """Reads of personal data state the open case and why (recorded in the ledger)."""

    case: str | None = Field(None, description="Case number (or id)")
    reason: str = ""


class AreaSearchBody(Purposeful):
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    polygon: list[tuple[float, float]] | None = Field(None, description="[[lat, lon], ...] corners")
    since: datetime | None = None
    until: datetime | None = None
    camera: list[str] = []
    limit: int = Field(100, ge=1, le=1000)


class AlertDecisionBody(BaseModel):
    reason: str


class CaseBody(BaseModel):
    number: str
    offense: str
    description: str = ""
    lead: str | None = Field(None, description="Username of the lead investigator (default: you)")


class WarrantBody(BaseModel):
    capability: str
    court: str
    judge: str
    reference: str
    start: datetime
    end: datetime
    valid_from: datetime
    valid_until: datetime
    cameras: list[str] = []
    area: tuple[float, float, float, float] | None = Field(None, description="[min_lat, min_lon, max_lat, max_lon]")
    targets: list[str] = []


class ApprovalBody(BaseModel):
    reason: str


class AcceptViewBody(BaseModel):
    reason: str = Field(description="Why the view changed (who re-aimed the camera, work order...), for the ledger")


class FeedRequestBody(BaseModel):
    camera_id: str
    minutes: int
    reason: str


class FeedDecisionBody(BaseModel):
    reason: str = ""
