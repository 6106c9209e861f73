"""Recorded video segments: where each one lives, and which ones cover a time window.

A segment is ``<media>/video/<camera id>/<YYYY-MM-DD>/<start>_<end>.mp4`` (UTC, e.g.
``20260301T120000.000Z_20260301T120100.033Z.mp4``; the day is the start's). The file name is the index: the
recorder writes ``<start>.mp4.partial`` and renames it to its final name when the segment is closed, so a listing
(and the purge) never needs a database and never shows half a file. Segment ``n`` ends exactly where ``n + 1``
starts when the stream did not break in between.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sereno.video.cameras_file import CAMERA_ID

VIDEO_FOLDER = "video"  # under the media folder; the retention purge walks the same folder
PARTIAL_SUFFIX = ".partial"
_STAMP = "%Y%m%dT%H%M%S"
_STAMP_PATTERN = r"\d{8}T\d{6}\.\d{3}Z"
SEGMENT_ID = re.compile(rf"^({_STAMP_PATTERN})_({_STAMP_PATTERN})$")
LONGEST_SEGMENT = timedelta(hours=1)  # how far before a window's start a segment that reaches into it may begin


class SegmentNotFound(LookupError):
    """No such segment (unknown camera, malformed id, or deleted by the purge)."""


@dataclass(frozen=True, slots=True)
class Segment:
    camera_id: str
    start: datetime
    end: datetime
    path: Path

    @property
    def id(self) -> str:
        return segment_id(self.start, self.end)

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def format_stamp(moment: datetime) -> str:
    moment = moment.astimezone(timezone.utc)
    return f"{moment.strftime(_STAMP)}.{moment.microsecond // 1000:03d}Z"


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text[:-1], f"{_STAMP}.%f").replace(tzinfo=timezone.utc)


def segment_id(start: datetime, end: datetime) -> str:
    return f"{format_stamp(start)}_{format_stamp(end)}"


def camera_folder(media_root: Path, camera_id: str) -> Path:
    if not CAMERA_ID.match(camera_id):  # ids come from URLs too: never let one walk out of the media folder
        raise SegmentNotFound(f"{camera_id!r} is not a camera id")
    return Path(media_root) / VIDEO_FOLDER / camera_id


def partial_path(media_root: Path, camera_id: str, start: datetime) -> Path:
    """Where an open segment is written; renamed by ``final_path`` once closed."""
    day = start.astimezone(timezone.utc).date().isoformat()
    return camera_folder(media_root, camera_id) / day / f"{format_stamp(start)}.mp4{PARTIAL_SUFFIX}"


def final_path(media_root: Path, camera_id: str, start: datetime, end: datetime) -> Path:
    day = start.astimezone(timezone.utc).date().isoformat()
    return camera_folder(media_root, camera_id) / day / f"{segment_id(start, end)}.mp4"


def parse_segment(camera_id: str, path: Path) -> Segment | None:
    """The segment a closed file holds; None for anything else (a ``.partial``, a stray file)."""
    if path.suffix != ".mp4":
        return None
    match = SEGMENT_ID.match(path.stem)
    if not match:
        return None
    return Segment(camera_id, parse_stamp(match.group(1)), parse_stamp(match.group(2)), path)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def list_segments(media_root: Path, camera_id: str, since: datetime, until: datetime) -> list[Segment]:
    """Closed segments of one camera that overlap ``[since, until)``, oldest first."""
    folder = camera_folder(media_root, camera_id)
    found = []
    for day in _days((since - LONGEST_SEGMENT).astimezone(timezone.utc).date(),
                     until.astimezone(timezone.utc).date()):
        day_folder = folder / day.isoformat()
        if not day_folder.is_dir():
            continue
        for path in day_folder.iterdir():
            segment = parse_segment(camera_id, path)
            if segment is not None and segment.end > since and segment.start < until:
                found.append(segment)
    return sorted(found, key=lambda s: s.start)


def parse_segment_id(wanted_id: str) -> tuple[datetime, datetime]:
    """A segment id's start and end; ``SegmentNotFound`` when it is not an id."""
    match = SEGMENT_ID.match(wanted_id)
    if not match:
        raise SegmentNotFound(f"{wanted_id!r} is not a segment id (expected START_END, e.g. "
                              f"20260301T120000.000Z_20260301T120100.033Z)")
    return parse_stamp(match.group(1)), parse_stamp(match.group(2))


def find_segment(media_root: Path, camera_id: str, wanted_id: str) -> Segment:
    """The closed segment with this id (from a listing); ``SegmentNotFound`` otherwise."""
    start, end = parse_segment_id(wanted_id)
    path = final_path(media_root, camera_id, start, end)
    if not path.is_file():
        raise SegmentNotFound(f"no recording {wanted_id} for camera {camera_id} (never recorded, or deleted when "
                              f"its retention ended)")
    return Segment(camera_id, start, end, path)
