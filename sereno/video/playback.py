"""Recorded video, read through the gate: the segments of a camera over a window, and one segment's file.

Both are ``Action.VIEW_VIDEO`` (investigators and supervisors, for an open case, with a reason); the scope given to
the gate names the camera, its owner and the window, so the ledger says exactly which minutes of which street were
watched. Like ``sereno.intel.governed``: ``Refused`` (already in the ledger) when the gate says no, ``NotFound`` for a
camera or segment that does not exist or that this reader may not see (the two look the same).
"""

from __future__ import annotations

from datetime import datetime

from sereno.domain import Camera
from sereno.governance import Action, Decision, Purpose, Scope, governed_read
from sereno.governance.ownership import installation_agency, readable_cameras
from sereno.intel.governed import NotFound, Reader
from sereno.video.segments import Segment, SegmentNotFound, find_segment, list_segments, parse_segment_id


def _camera(r: Reader, camera_id: str) -> Camera:
    camera = next((c for c in r.cameras if c.id == camera_id), None)
    if camera is None:
        raise NotFound(f"no camera {camera_id!r}; the configured cameras are listed by GET /api/cameras")
    return camera


def _scope(r: Reader, camera: Camera, start: datetime, end: datetime) -> Scope:
    owner = camera.agency or installation_agency(r.gov)
    return Scope(cameras=(camera.id,), start=start, end=end, owners=(owner,) if owner else ())


def _readable(r: Reader, decision: Decision, camera: Camera) -> bool:
    return camera.id in readable_cameras(r.cameras, decision.owners, installation_agency(r.gov))


def list_recordings(r: Reader, purpose: Purpose, camera_id: str, since: datetime, until: datetime) -> list[Segment]:
    """The closed segments of a camera that overlap ``[since, until)`` (aware datetimes), oldest first."""
    camera = _camera(r, camera_id)

    def fetch(decision: Decision) -> list[Segment]:
        if not _readable(r, decision, camera):
            return []
        return list_segments(r.gov.settings.media_path, camera.id, since, until)

    return governed_read(r.gov, r.principal, Action.VIEW_VIDEO, purpose, _scope(r, camera, since, until), fetch)


def recording_file(r: Reader, purpose: Purpose, camera_id: str, segment_id: str) -> Segment:
    """One segment (its ``path`` is the MP4 file), by the id a listing gave."""
    camera = _camera(r, camera_id)
    try:
        start, end = parse_segment_id(segment_id)
    except SegmentNotFound as exc:
        raise NotFound(str(exc)) from exc

    def fetch(decision: Decision) -> Segment:
        try:
            if not _readable(r, decision, camera):
                raise SegmentNotFound(f"no recording {segment_id} for camera {camera_id} that you may see")
            return find_segment(r.gov.settings.media_path, camera.id, segment_id)
        except SegmentNotFound as exc:
            raise NotFound(str(exc)) from exc

    return governed_read(r.gov, r.principal, Action.VIEW_VIDEO, purpose, _scope(r, camera, start, end), fetch,
                         segment=segment_id)
