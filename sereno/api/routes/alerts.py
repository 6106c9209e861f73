"""Hotlist alerts: list them with their evidence, see the crop and snapshot, confirm or dismiss with a reason.

Watching alerts is the operators' standing duty (the hotlist entry is the purpose): ``reason`` may be left out
and the standing reason is recorded instead. A decision's reason is the person's own and is required."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse

from sereno.api.auth import ReaderDep, ServicesDep
from sereno.api.routes.sightings import JPEG
from sereno.api.schemas import AlertDecisionBody, alert_json
from sereno.domain import AlertStatus
from sereno.intel.governed import STANDING_ALERTS_REASON, alert_media, decide_alert, list_alerts

router = APIRouter(prefix="/api/alerts", tags=["alerts"])


@router.get("")
def alerts(r: ReaderDep, status: AlertStatus | None = None, limit: int = 50,
           reason: str = STANDING_ALERTS_REASON) -> list[dict[str, Any]]:
    """Newest first, on the cameras you may read; each with its sighting (crop and snapshot URLs)."""
    return [alert_json(found.alert, found.sighting) for found in list_alerts(r, reason, status, min(limit, 500))]


def media(alert_id: str, which: Literal["crop", "snapshot"], r: ReaderDep, reason: str) -> FileResponse:
    return FileResponse(alert_media(r, reason, alert_id, which), media_type="image/jpeg",
                        headers={"Cache-Control": "no-store"})


@router.get("/{alert_id}/crop.jpg", response_class=FileResponse, responses=JPEG)
def crop(alert_id: str, r: ReaderDep, reason: str = STANDING_ALERTS_REASON) -> FileResponse:
    return media(alert_id, "crop", r, reason)


@router.get("/{alert_id}/snapshot.jpg", response_class=FileResponse, responses=JPEG)
def snapshot(alert_id: str, r: ReaderDep, reason: str = STANDING_ALERTS_REASON) -> FileResponse:
    return media(alert_id, "snapshot", r, reason)


def decide(alert_id: str, status: AlertStatus, body: AlertDecisionBody, r: ReaderDep,
           svc: ServicesDep) -> dict[str, Any]:
    alert = decide_alert(r, alert_id, status, body.reason)
    svc.publish_alerts([alert])  # the other screens see it decided
    return alert_json(alert, svc.evidence([alert])[alert.sighting_id])


@router.post("/{alert_id}/confirm")
def confirm(alert_id: str, body: AlertDecisionBody, r: ReaderDep, svc: ServicesDep) -> dict[str, Any]:
    """You checked the crop against the listed plate: the alert is real. Recorded with your name and reason."""
    return decide(alert_id, AlertStatus.CONFIRMED, body, r, svc)


@router.post("/{alert_id}/dismiss")
def dismiss(alert_id: str, body: AlertDecisionBody, r: ReaderDep, svc: ServicesDep) -> dict[str, Any]:
    """The crop does not show the listed plate (a misread, a look-alike). Recorded with your name and reason."""
    return decide(alert_id, AlertStatus.DISMISSED, body, r, svc)
