"""Recorded video for the single-camera view's timeline: the segments over a window, and each segment's MP4
(with HTTP range requests, so the player can seek). Both for an open case with a reason, each read recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import FileResponse

from sereno.api.auth import ReaderDep
from sereno.api.errors import ApiError
from sereno.api.routes.search import utc
from sereno.api.schemas import iso
from sereno.governance import Purpose
from sereno.intel.governed import Reader
from sereno.video.playback import list_recordings, recording_file

router = APIRouter(tags=["recordings"])

DEFAULT_WINDOW = timedelta(hours=24)
LONGEST_WINDOW = timedelta(hours=48)  # a timeline shows a day or two; longer lists are asked for a day at a time
MP4 = {200: {"content": {"video/mp4": {}}}, 206: {"description": "the byte range asked for (Range header)"}}


def _window(r: Reader, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    end = utc(until) or r.gov.now()
    start = utc(since) or end - DEFAULT_WINDOW
    if start >= end:
        raise ApiError(400, "invalid_request", "since must be before until")
    if end - start > LONGEST_WINDOW:
        raise ApiError(400, "invalid_request", f"a window of at most {LONGEST_WINDOW.total_seconds() / 3600:.0f} h "
                                               f"can be listed; ask for one day at a time")
    return start, end


@router.get("/api/cameras/{camera_id}/recordings")
def recordings(camera_id: str, r: ReaderDep, case: str | None = None, reason: str = "",
               since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """The recorded segments of a camera that overlap the window (default: the last 24 h), oldest first. Each
    ``url`` plays the segment for the same case and reason."""
    start, end = _window(r, since, until)
    purpose = Purpose(case_id=case, reason=reason)
    query = urlencode({"case": case or "", "reason": reason})
    return [{"start": iso(s.start), "end": iso(s.end), "url": f"/api/recordings/{quote(camera_id)}/{s.id}.mp4?{query}"}
            for s in list_recordings(r, purpose, camera_id, start, end)]


@router.get("/api/recordings/{camera_id}/{segment_id}.mp4", response_class=FileResponse, responses=MP4)
def segment(camera_id: str, segment_id: str, r: ReaderDep, case: str | None = None, reason: str = "") -> FileResponse:
    """One recorded segment (MP4, H.264 as the camera sent it). Each request, ranges included, is recorded."""
    found = recording_file(r, Purpose(case_id=case, reason=reason), camera_id, segment_id)
    return FileResponse(found.path, media_type="video/mp4", headers={"Cache-Control": "no-store"})
