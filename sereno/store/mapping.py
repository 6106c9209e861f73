"""The one place where domain dataclasses become rows and rows become dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sereno.domain import (
    Alert, AlertStatus, CameraState, CameraStatus, CharCandidate, Correction, HotlistEntry, MatchKind, PlateRead,
    Sighting,
)
from sereno.intel.geo import cell_of
from sereno.plates import confusion_key


def _box(value: Any) -> tuple[float, float, float, float] | None:
    return None if value is None else tuple(float(v) for v in value)  # type: ignore[return-value]


def sighting_to_row(s: Sighting) -> dict[str, Any]:
    plate = s.plate
    has_position = s.lat is not None and s.lon is not None
    return {
        "id": s.id,
        "camera_id": s.camera_id,
        "observed_at": s.observed_at,
        "first_seen": s.first_seen,
        "last_seen": s.last_seen,
        "object_class": s.object_class,
        "box": list(s.box),
        "frames": s.frames,
        "plate_text": plate.text if plate else None,
        "plate_confidence": plate.confidence if plate else None,
        "plate_raw": plate.raw_text if plate else None,
        "plate_region": plate.region if plate else None,
        "plate_pattern": plate.pattern if plate else None,
        "plate_candidates": [[[c.char, c.prob] for c in pos] for pos in plate.candidates] if plate else None,
        "plate_corrections": [[c.position, c.original, c.corrected, c.reason] for c in plate.corrections]
        if plate else None,
        "plate_box": list(plate.box) if plate and plate.box else None,
        "plate_frames": plate.frames if plate else None,
        "plate_crop_path": s.plate_crop_path,
        "snapshot_path": s.snapshot_path,
        "lat": s.lat,
        "lon": s.lon,
        "cell": cell_of(s.lat, s.lon) if has_position else None,  # type: ignore[arg-type]
    }


def row_to_sighting(row: Mapping[str, Any]) -> Sighting:
    plate = None
    if row["plate_text"] is not None:
        plate = PlateRead(
            text=row["plate_text"],
            confidence=row["plate_confidence"] or 0.0,
            raw_text=row["plate_raw"] or "",
            region=row["plate_region"],
            pattern=row["plate_pattern"],
            candidates=tuple(
                tuple(CharCandidate(ch, float(p)) for ch, p in pos) for pos in row["plate_candidates"] or ()
            ),
            corrections=tuple(Correction(int(p), o, c, r) for p, o, c, r in row["plate_corrections"] or ()),
            box=_box(row["plate_box"]),
            frames=row["plate_frames"] or 1,
        )
    return Sighting(
        id=row["id"],
        camera_id=row["camera_id"],
        observed_at=row["observed_at"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        object_class=row["object_class"],
        box=_box(row["box"]),  # type: ignore[arg-type]
        frames=row["frames"],
        plate=plate,
        plate_crop_path=row["plate_crop_path"],
        snapshot_path=row["snapshot_path"],
        lat=row["lat"],
        lon=row["lon"],
    )


def camera_status_to_row(s: CameraStatus) -> dict[str, Any]:
    return {
        "camera_id": s.camera_id, "state": s.state.value, "reason": s.reason, "since": s.since,
        "last_frame_at": s.last_frame_at, "frames_decoded": s.frames_decoded, "frames_analysed": s.frames_analysed,
    }


def row_to_camera_status(row: Mapping[str, Any]) -> CameraStatus:
    return CameraStatus(
        camera_id=row["camera_id"], state=CameraState(row["state"]), reason=row["reason"], since=row["since"],
        last_frame_at=row["last_frame_at"], frames_decoded=row["frames_decoded"],
        frames_analysed=row["frames_analysed"],
    )


def hotlist_entry_to_row(e: HotlistEntry, hotlist_id: int) -> dict[str, Any]:
    return {
        "hotlist_id": hotlist_id, "plate": e.plate, "plate_key": confusion_key(e.plate), "reason": e.reason,
        "state": e.state, "expires": e.expires, "description": e.description, "source_line": e.source_line,
    }


def row_to_hotlist_entry(row: Mapping[str, Any], list_name: str) -> HotlistEntry:
    return HotlistEntry(
        list_name=list_name, plate=row["plate"], reason=row["reason"], state=row["state"], expires=row["expires"],
        description=row["description"], source_line=row["source_line"],
    )


def alert_to_row(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id, "sighting_id": a.sighting_id, "list_name": a.list_name, "hotlist_plate": a.hotlist_plate,
        "read_plate": a.read_plate, "match_kind": a.match_kind.value, "reason": a.reason, "distance": a.distance,
        "status": a.status.value, "created_at": a.created_at, "decided_by": a.decided_by,
        "decided_at": a.decided_at, "decision_reason": a.decision_reason,
    }


def row_to_alert(row: Mapping[str, Any]) -> Alert:
    return Alert(
        id=row["id"], sighting_id=row["sighting_id"], list_name=row["list_name"],
        hotlist_plate=row["hotlist_plate"], read_plate=row["read_plate"], match_kind=MatchKind(row["match_kind"]),
        reason=row["reason"], distance=row["distance"], status=AlertStatus(row["status"]),
        created_at=row["created_at"], decided_by=row["decided_by"], decided_at=row["decided_at"],
        decision_reason=row["decision_reason"],
    )
