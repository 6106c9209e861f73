"""The domain dataclasses that flow through the whole house.

Vision returns them, the pipeline fills them, the store persists them, the CLI and API serialise them.
Do not invent a second representation per layer: add a field here instead.

Conventions
- Times are timezone-aware UTC ``datetime`` objects.
- Boxes are pixel coordinates ``(x1, y1, x2, y2)`` in the frame they were found in.
- Plate text is normalised: upper-case ASCII letters and digits, no spaces or separators.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is only needed for type checking here
    import numpy as np

Box = tuple[float, float, float, float]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


ID_CLOCK_WRAP = 1 << 32  # microseconds: the clock part of an id wraps every 71.6 minutes
_id_clock_lock = threading.Lock()
_last_id_clock = -1


def id_from_clock(microseconds: int) -> str:
    """The id layout: 8 hex digits of a microsecond clock (wrapped), then 24 random hex digits (96 bits)."""
    return f"{microseconds % ID_CLOCK_WRAP:08x}{secrets.token_hex(12)}"


def _id_clock() -> int:
    """The wrapped microsecond clock, strictly increasing within the process (across the wrap too)."""
    global _last_id_clock
    with _id_clock_lock:
        now = time.time_ns() // 1000 % ID_CLOCK_WRAP
        ahead = (now - _last_id_clock) % ID_CLOCK_WRAP
        if _last_id_clock >= 0 and not 0 < ahead < ID_CLOCK_WRAP // 2:  # same microsecond, or the clock stepped back
            now = (_last_id_clock + 1) % ID_CLOCK_WRAP
        _last_id_clock = now
        return now


def new_id() -> str:
    """A unique id of 32 hex digits (the shape of a UUID's hex), random in its last 96 bits.

    It starts with a wrapping microsecond clock so that ids made close together sort close together: a table's
    primary-key index then takes new rows at one moving place instead of at random pages all over it (the write
    path at 10 million sightings, docs/store-and-search.md). The clock wraps (every 71.6 minutes) rather than
    counting from an epoch as a UUIDv7 does, so that the 8-digit prefixes the CLI shows and accepts still differ
    between ids made in the same minute."""
    return id_from_clock(_id_clock())


class CameraKind(StrEnum):
    FIXED = "fixed"
    PTZ = "ptz"


@dataclass(frozen=True, slots=True)
class Camera:
    id: str
    name: str
    lat: float
    lon: float
    analysis_url: str
    heading: float | None = None  # degrees clockwise from north; None for PTZ without a home position
    kind: CameraKind = CameraKind.FIXED
    recording_url: str | None = None
    analysis_fps: float = 5.0
    agency: str | None = None  # owning agency id (governance); None = the installation's own
    enabled: bool = True
    region: str = "auto"  # plate formats expected at this camera: "auto" or "mx", "us", "eu", "br", "ar"


class CameraState(StrEnum):
    STARTING = "starting"
    ONLINE = "online"
    OFFLINE = "offline"  # source unreachable or ended; will retry
    ERROR = "error"  # source unusable (bad URL, undecodable); will retry with long backoff
    TAMPERED = "tampered"  # frames arrive but the view is dark, covered, turned away or blurred (reason says which)
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class CameraStatus:
    camera_id: str
    state: CameraState
    reason: str = ""
    since: datetime = field(default_factory=utcnow)
    last_frame_at: datetime | None = None
    frames_decoded: int = 0
    frames_analysed: int = 0


@dataclass(slots=True)
class Frame:
    camera_id: str
    index: int  # decoded frame number in the stream
    timestamp: datetime  # stream timestamp (UTC)
    image: "np.ndarray"  # BGR, HxWx3, uint8


@dataclass(frozen=True, slots=True)
class Detection:
    box: Box
    score: float
    label: str  # "plate", or a COCO class: "car", "truck", "bus", "motorcycle", "bicycle", "person"


@dataclass(frozen=True, slots=True)
class CharCandidate:
    char: str
    prob: float


@dataclass(frozen=True, slots=True)
class Correction:
    """A character changed by format-aware correction. Recorded, never hidden."""

    position: int
    original: str
    corrected: str
    reason: str  # e.g. "mx:@@@#### expects a digit"


@dataclass(frozen=True, slots=True)
class PlateRead:
    text: str  # normalised best reading (after correction)
    confidence: float  # 0..1
    raw_text: str = ""  # what the recogniser produced before correction
    region: str | None = None  # "mx", "us", "eu", "br", "ar" or None when no format matched
    pattern: str | None = None  # the matched format, e.g. "@@@####"
    candidates: tuple[tuple[CharCandidate, ...], ...] = ()  # per position, best first
    corrections: tuple[Correction, ...] = ()
    box: Box | None = None  # plate box in the frame
    frames: int = 1  # number of frame reads merged into this one (consensus)


@dataclass(slots=True)
class Track:
    """One object followed across frames by the pipeline."""

    id: int
    camera_id: str
    label: str
    box: Box
    first_seen: datetime
    last_seen: datetime
    hits: int = 1
    plate_reads: list[PlateRead] = field(default_factory=list)


@dataclass(slots=True)
class Sighting:
    """One passing object (usually a vehicle) at one camera: the unit that is stored, searched and matched."""

    camera_id: str
    observed_at: datetime  # stream time of the best frame (UTC)
    object_class: str  # "car", "truck", "bus", "motorcycle", "person", or "vehicle" when only a plate was seen
    box: Box
    plate: PlateRead | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    lat: float | None = None  # camera position at the time of the sighting
    lon: float | None = None
    plate_crop_path: str | None = None  # relative to the media folder
    snapshot_path: str | None = None  # relative to the media folder
    frames: int = 1
    id: str = field(default_factory=new_id)

    @property
    def plate_text(self) -> str | None:
        return self.plate.text if self.plate else None


@dataclass(frozen=True, slots=True)
class HotlistEntry:
    list_name: str
    plate: str  # normalised
    reason: str = ""  # e.g. "stolen vehicle"
    state: str = ""  # issuing state / province / country
    expires: date | None = None
    description: str = ""
    source_line: int | None = None  # line number in the imported file


class MatchKind(StrEnum):
    EXACT = "exact"
    CONFUSION = "confusion"  # matched only after allowing look-alike characters (O/0, I/1, B/8, ...)


class AlertStatus(StrEnum):
    UNVERIFIED = "unverified"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


@dataclass(slots=True)
class Alert:
    sighting_id: str
    list_name: str
    hotlist_plate: str
    read_plate: str
    match_kind: MatchKind
    reason: str = ""  # the hotlist entry's reason
    distance: float = 0.0  # confusion-weighted distance between read and listed plate
    status: AlertStatus = AlertStatus.UNVERIFIED
    created_at: datetime = field(default_factory=utcnow)
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    id: str = field(default_factory=new_id)
