"""Retention and the purge job: delete what expired (rows and media files), never what a case holds, count it in
the ledger. Lapsed emergency authorisations are closed here too, and what they produced is purged.

Data classes and their defaults (days; None = kept forever):
- ``sightings``: plate sightings with their crops and snapshots (30)
- ``video``: recorded segments under ``<media>/video/<camera id>/<day>/`` (30, by the segment's end time; other
  files there, such as a ``.partial`` left by a crash, by their modification time)
- ``unverified_alerts``: hotlist alerts nobody confirmed or dismissed (30)
- ``audit``: the ledger (forever; there is no way to shorten it)

An agency may set its own days per class (``set_retention``); sightings follow the agency owning the camera.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Mapping

from sqlalchemy import delete, select

from sereno.governance.cases import active_holds
from sereno.governance.context import Governance
from sereno.governance.gate import require
from sereno.governance.ledger import Kind
from sereno.governance.model import SYSTEM, Action, GovernanceError, Principal
from sereno.governance.policy import EMERGENCY_RATIFY_WITHIN
from sereno.governance.tables import EmergencyResultRow, HoldRow, RetentionRow, WarrantRow
from sereno.video.segments import VIDEO_FOLDER, parse_segment

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS: dict[str, int | None] = {
    "sightings": 30, "video": 30, "unverified_alerts": 30, "audit": None,
}
DEFAULT_AGENCY = "*"
_BATCH = 500


def set_retention(gov: Governance, actor: Principal, data_class: str, days: int, agency_id: str | None = None) -> None:
    """Change how long an agency keeps a data class (an administrator of that agency; recorded in the ledger)."""
    if data_class not in DEFAULT_RETENTION_DAYS or DEFAULT_RETENTION_DAYS[data_class] is None:
        changeable = ", ".join(k for k, v in DEFAULT_RETENTION_DAYS.items() if v is not None)
        raise GovernanceError(f"retention of {data_class!r} cannot be set; choose one of: {changeable}")
    if days < 1:
        raise GovernanceError("retention must be at least one day")
    agency = agency_id or actor.agency_id
    require(gov, actor, Action.CONFIGURE, setting="retention", data_class=data_class, days=days, agency=agency)
    if agency != actor.agency_id:
        raise GovernanceError(f"you administer {actor.agency_id}, not {agency}")
    with gov.sessions.begin() as session:
        row = session.get(RetentionRow, (agency, data_class))
        old = row.days if row else None
        if row:
            row.days = days
        else:
            session.add(RetentionRow(agency_id=agency, data_class=data_class, days=days))
    gov.ledger.append(Kind.CONFIG, actor, action="retention.set", outcome="done",
                      details={"agency": agency, "data_class": data_class, "days": days, "previous": old})


def retention_table(gov: Governance) -> dict[str, dict[str, int | None]]:
    """agency ("*" = default) -> data class -> days in force."""
    table: dict[str, dict[str, int | None]] = {DEFAULT_AGENCY: dict(DEFAULT_RETENTION_DAYS)}
    with gov.sessions() as session:
        for row in session.scalars(select(RetentionRow)):
            table.setdefault(row.agency_id, dict(table[DEFAULT_AGENCY]))[row.data_class] = row.days
    for agency, classes in table.items():
        if agency != DEFAULT_AGENCY:
            for name, days in table[DEFAULT_AGENCY].items():
                classes.setdefault(name, days)
    return table


def cutoff(table: Mapping[str, Mapping[str, int | None]], agency: str | None, data_class: str,
           now: datetime) -> datetime | None:
    """Items of this class older than the returned moment have expired (None: never)."""
    days = table.get(agency or DEFAULT_AGENCY, table[DEFAULT_AGENCY]).get(data_class)
    return None if days is None else now - timedelta(days=days)


@dataclass(frozen=True)
class HoldIndex:
    """Answers "is this held?" for sightings and for a camera at a moment (pure, built from the hold rows)."""

    sighting_ids: frozenset[str]
    windows: tuple[tuple[str | None, datetime, datetime], ...]  # (camera or None for all, start, end)

    @classmethod
    def of(cls, holds: Iterable[HoldRow]) -> "HoldIndex":
        holds = list(holds)
        return cls(frozenset(h.sighting_id for h in holds if h.sighting_id),
                   tuple((h.camera_id, h.start, h.end) for h in holds if h.start and h.end))

    def covers(self, camera_id: str, moment: datetime, sighting_id: str | None = None) -> bool:
        if sighting_id is not None and sighting_id in self.sighting_ids:
            return True
        return self.overlaps(camera_id, moment, moment)

    def overlaps(self, camera_id: str, first: datetime, last: datetime) -> bool:
        """Whether a hold covers any moment of this camera's span (a video segment) ``[first, last]``."""
        return any((cam is None or cam == camera_id) and start <= last and first <= end
                   for cam, start, end in self.windows)


@dataclass
class PurgeCounts:
    sightings: int = 0
    unverified_alerts: int = 0
    media_files: int = 0
    video_files: int = 0
    held_kept: int = 0
    emergencies_lapsed: int = 0
    emergency_files: int = 0
    missing_files: list[str] = field(default_factory=list)


def _remove_media(media_root: Path, relative: str | None, counts: PurgeCounts) -> bool:
    if not relative:
        return False
    from sereno.store.media import MediaError, MediaStore

    try:
        MediaStore(media_root).path(relative).unlink()
        return True
    except MediaError:
        log.warning("media path outside the media folder ignored", extra={"path": relative})
    except FileNotFoundError:
        counts.missing_files.append(relative)
    return False


def _purge_sightings(gov: Governance, table, holds: HoldIndex, camera_agency: Mapping[str, str | None],
                     now: datetime, counts: PurgeCounts) -> None:
    from sereno.store.seen_plates import forget_unused_plates
    from sereno.store.tables import AlertRow, SightingRow

    latest = max((cutoff(table, a, "sightings", now) for a in [None, *camera_agency.values()]),
                 key=lambda c: c or datetime.min.replace(tzinfo=timezone.utc))
    if latest is None:
        return
    with gov.sessions() as session:
        candidates = session.execute(select(SightingRow.id, SightingRow.camera_id, SightingRow.observed_at,
                                            SightingRow.plate_crop_path, SightingRow.snapshot_path,
                                            SightingRow.plate_text)
                                     .where(SightingRow.observed_at < latest)).all()
    expired = []
    for row in candidates:
        limit = cutoff(table, camera_agency.get(row.camera_id), "sightings", now)
        if limit is None or row.observed_at >= limit:
            continue
        if holds.covers(row.camera_id, row.observed_at, row.id):
            counts.held_kept += 1
            continue
        expired.append(row)
    for start in range(0, len(expired), _BATCH):
        batch = expired[start:start + _BATCH]
        ids = [r.id for r in batch]
        with gov.sessions.begin() as session:
            session.execute(delete(AlertRow).where(AlertRow.sighting_id.in_(ids)))
            session.execute(delete(SightingRow).where(SightingRow.id.in_(ids)))
            forget_unused_plates(session, (r.plate_text for r in batch))
        counts.sightings += len(batch)
        for r in batch:
            counts.media_files += _remove_media(gov.settings.media_path, r.plate_crop_path, counts)
            counts.media_files += _remove_media(gov.settings.media_path, r.snapshot_path, counts)


def _purge_unverified_alerts(gov: Governance, table, holds: HoldIndex, camera_agency: Mapping[str, str | None],
                             now: datetime, counts: PurgeCounts) -> None:
    from sereno.domain import AlertStatus
    from sereno.store.tables import AlertRow, SightingRow

    with gov.sessions() as session:
        rows = session.execute(select(AlertRow.id, AlertRow.created_at, SightingRow.id.label("sighting_id"),
                                      SightingRow.camera_id, SightingRow.observed_at)
                               .join(SightingRow, SightingRow.id == AlertRow.sighting_id)
                               .where(AlertRow.status == AlertStatus.UNVERIFIED.value)).all()
    expired = []
    for r in rows:
        limit = cutoff(table, camera_agency.get(r.camera_id), "unverified_alerts", now)
        if limit is None or r.created_at >= limit:
            continue
        if holds.covers(r.camera_id, r.observed_at, r.sighting_id):
            counts.held_kept += 1
            continue
        expired.append(r.id)
    for start in range(0, len(expired), _BATCH):
        with gov.sessions.begin() as session:
            session.execute(delete(AlertRow).where(AlertRow.id.in_(expired[start:start + _BATCH])))
    counts.unverified_alerts += len(expired)


def _video_span(camera_id: str, path: Path) -> tuple[datetime, datetime]:
    """The time a video file covers: a segment's own start and end, else its modification time."""
    segment = parse_segment(camera_id, path)
    if segment is not None:
        return segment.start, segment.end
    written = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    return written, written


def _purge_video(gov: Governance, table, holds: HoldIndex, camera_agency: Mapping[str, str | None],
                 now: datetime, counts: PurgeCounts) -> None:
    video_root = gov.settings.media_path / VIDEO_FOLDER
    if not video_root.is_dir():
        return
    for camera_dir in video_root.iterdir():
        if not camera_dir.is_dir():
            continue
        limit = cutoff(table, camera_agency.get(camera_dir.name), "video", now)
        if limit is None:
            continue
        for path in sorted(camera_dir.rglob("*"), reverse=True):  # a day's files before its folder
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()  # a day whose segments are all gone
                continue
            start, end = _video_span(camera_dir.name, path)
            if end >= limit:
                continue
            if holds.overlaps(camera_dir.name, start, end):
                counts.held_kept += 1
                continue
            path.unlink()
            counts.video_files += 1


def lapse_emergencies(gov: Governance, now: datetime, counts: PurgeCounts) -> None:
    """Emergencies not ratified within 24 h lapse; what they produced is deleted and auditors are told."""
    with gov.sessions.begin() as session:
        lapsed = [w for w in session.scalars(select(WarrantRow).where(WarrantRow.status == "pending_ratification"))
                  if now > w.valid_from + EMERGENCY_RATIFY_WITHIN]
        details = []
        for warrant in lapsed:
            warrant.status = "lapsed"
            results = list(session.scalars(select(EmergencyResultRow).where(
                EmergencyResultRow.warrant_id == warrant.id, EmergencyResultRow.purged_at.is_(None))))
            for result in results:
                counts.emergency_files += _remove_media(gov.settings.media_path, result.media_path, counts)
                result.purged_at = now
            details.append((warrant.id, warrant.case_id, warrant.capability, len(results)))
    for warrant_id, case_id, capability, purged in details:
        counts.emergencies_lapsed += 1
        gov.ledger.append(Kind.EMERGENCY, SYSTEM, action="warrant.lapsed", outcome="flagged", case_id=case_id,
                          details={"warrant_id": warrant_id, "capability": capability, "results_purged": purged,
                                   "flag": "emergency use not ratified within 24 h"})


def purge(gov: Governance, actor: Principal = SYSTEM, camera_agency: Mapping[str, str | None] | None = None,
          now: datetime | None = None) -> PurgeCounts:
    """Run the purge once. ``camera_agency`` maps camera ids to their owning agency (None = the default rules)."""
    if actor is not SYSTEM:
        require(gov, actor, Action.RUN_PURGE)
    now = now or gov.now()
    camera_agency = dict(camera_agency or {})
    table = retention_table(gov)
    holds = HoldIndex.of(active_holds(gov, now))
    counts = PurgeCounts()
    lapse_emergencies(gov, now, counts)
    _purge_unverified_alerts(gov, table, holds, camera_agency, now, counts)
    _purge_sightings(gov, table, holds, camera_agency, now, counts)
    _purge_video(gov, table, holds, camera_agency, now, counts)
    gov.ledger.append(Kind.DELETION, actor, action="retention.purge", outcome="done", details={
        "sightings": counts.sightings, "unverified_alerts": counts.unverified_alerts,
        "media_files": counts.media_files, "video_files": counts.video_files, "held_kept": counts.held_kept,
        "emergencies_lapsed": counts.emergencies_lapsed, "emergency_files": counts.emergency_files,
        "missing_files": len(counts.missing_files), "retention": table})
    log.info("purge done", extra={"sightings": counts.sightings, "alerts": counts.unverified_alerts,
                                  "held_kept": counts.held_kept})
    return counts
