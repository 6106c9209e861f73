"""The governance dataclasses: who asks (Principal), for what (Purpose, Scope), and the answer (Decision).

Like sereno.domain, these are the one representation: the gate takes them, the ledger records them, the CLI prints
them.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    OPERATOR = "operator"  # watches live alerts in the monitoring center
    INVESTIGATOR = "investigator"  # searches for a case
    SUPERVISOR = "supervisor"  # approves wide searches, activates accounts, places and releases holds
    AUDITOR = "auditor"  # reads the ledger and oversight views; no personal data
    ADMINISTRATOR = "administrator"  # manages accounts and settings; no personal data, cannot alter the ledger


class AgencyLevel(StrEnum):
    MUNICIPAL = "municipal"
    STATE = "state"
    FEDERAL = "federal"


class Capability(StrEnum):
    """What only a judge can authorise (a warrant names exactly one)."""

    FACE_SEARCH = "face_search"
    FACE_WATCHLIST = "face_watchlist"
    EXTENDED_RETENTION = "extended_retention"
    CROSS_AGENCY_SHARING = "cross_agency_sharing"


class Action(StrEnum):
    SEARCH_PLATE = "search.plate"
    SEARCH_AREA = "search.area"
    SEARCH_ROUTE = "search.route"
    VIEW_SIGHTING = "view.sighting"  # one sighting with its plate crop and snapshot
    VIEW_VIDEO = "view.video"
    VIEW_LIVE = "view.live"  # live camera video at the centre (a tablet also needs a supervisor's feed grant)
    VIEW_ALERTS = "alerts.view"
    DECIDE_ALERT = "alerts.decide"
    MANAGE_HOTLIST = "hotlist.manage"
    FACE_SEARCH = "face.search"
    FACE_WATCHLIST = "face.watchlist"
    EXPORT_EVIDENCE = "evidence.export"
    VIEW_CAMERA_LOCATIONS = "cameras.locations"
    ACCEPT_CAMERA_VIEW = "cameras.accept_view"  # a camera re-aimed on purpose: its new view becomes the normal one
    MANAGE_CASES = "cases.manage"
    RECORD_WARRANT = "warrants.record"
    DECLARE_EMERGENCY = "warrants.emergency"
    PLACE_HOLD = "holds.place"
    RELEASE_HOLD = "holds.release"
    APPROVE_WIDE_SEARCH = "approvals.grant"
    ACTIVATE_ACCOUNT = "accounts.activate"
    READ_LEDGER = "audit.read"
    EXPORT_LEDGER = "audit.export"
    PUBLISH_REPORT = "report.transparency"
    MANAGE_ACCOUNTS = "accounts.manage"
    MANAGE_SHARING = "sharing.manage"
    CONFIGURE = "config.change"
    RUN_PURGE = "retention.purge"


class Outcome(StrEnum):
    ALLOWED = "allowed"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated person (or the system job) acting now."""

    user_id: str
    username: str
    agency_id: str | None
    role: Role
    session_id: str | None = None
    device_id: str | None = None


SYSTEM = Principal(user_id="system", username="system", agency_id=None, role=Role.ADMINISTRATOR)


@dataclass(frozen=True, slots=True)
class Purpose:
    """Why: the case (id or number) and a free-text reason; optionally the one warrant the request relies on
    (otherwise any warrant of the case that covers it). Approvals of wide searches are found by scope."""

    case_id: str | None
    reason: str
    warrant_id: str | None = None


@dataclass(frozen=True, slots=True)
class Area:
    """A latitude/longitude box."""

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def km2(self) -> float:
        mid = math.radians((self.min_lat + self.max_lat) / 2)
        height = (self.max_lat - self.min_lat) * 111.32
        width = (self.max_lon - self.min_lon) * 111.32 * math.cos(mid)
        return abs(height * width)

    def contains(self, other: "Area") -> bool:
        return (self.min_lat <= other.min_lat and self.min_lon <= other.min_lon
                and other.max_lat <= self.max_lat and other.max_lon <= self.max_lon)


@dataclass(frozen=True, slots=True)
class Scope:
    """What: plates, cameras, area, time window, targets (face subjects), and the data owners asked for.

    Empty ``cameras`` means every camera; empty ``owners`` means every agency the principal may read.
    """

    plates: tuple[str, ...] = ()
    cameras: tuple[str, ...] = ()
    area: Area | None = None
    start: datetime | None = None
    end: datetime | None = None
    targets: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["start"] = self.start.isoformat() if self.start else None
        doc["end"] = self.end.isoformat() if self.end else None
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in doc.items()}

    def fingerprint(self) -> str:
        """Stable hash of the exact request: an approval covers this scope and no other."""
        text = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def window_hours(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class CaseInfo:
    id: str
    number: str
    offense: str
    agency_id: str
    lead_user_id: str
    status: str  # "open" or "closed"


@dataclass(frozen=True, slots=True)
class WarrantInfo:
    id: str
    case_id: str
    capability: Capability
    cameras: tuple[str, ...]  # cameras the judge named; empty when the warrant is defined by area only
    area: Area | None
    start: datetime
    end: datetime
    targets: tuple[str, ...]
    valid_from: datetime
    valid_until: datetime
    emergency: bool = False
    ratified: bool = False
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    code: str  # "ok", or why it was refused: "role", "forbidden_purpose", "needs_warrant", ...
    message: str  # said to the user, in plain words
    action: Action
    principal: Principal
    purpose: Purpose | None
    scope: Scope
    owners: tuple[str, ...] = ()  # agencies whose data the caller may return (filter by these)
    warrant_id: str | None = None
    approval_id: str | None = None
    ledger_seq: int | None = None  # the ledger entry that recorded this decision
    details: dict[str, Any] = field(default_factory=dict)


class Refused(Exception):
    """Raised by governed_read when the gate says no. ``decision`` carries the reason (already in the ledger)."""

    def __init__(self, decision: Decision):
        super().__init__(decision.message)
        self.decision = decision


class GovernanceError(Exception):
    """Bad input to a governance command; the message says what and how to fix it."""
