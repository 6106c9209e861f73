"""Hotlist matching: each new sighting against the active entries of every hotlist, exact and confusion-tolerant.

Hot path: the entries live in a HotlistIndex keyed by look-alike confusion keys (sereno.plates.confusion_key,
sereno.intel.neighbours), so a read plate costs one or a few dict lookups, then each candidate is checked exactly.
The index is rebuilt only when the hotlists change (one small query per batch tells), so matching costs no
database query per sighting.

A confusion match is marked as such: a 3 read as a 7 has sent armed officers after innocent drivers, so every alert
starts UNVERIFIED and names how it matched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sereno.domain import Alert, MatchKind, Sighting, utcnow
from sereno.intel.neighbours import key_variants
from sereno.plates import confusion_key, only_confusions, plate_distance
from sereno.store.tables import AlertRow, HotlistEntryRow, HotlistRow, SightingRow

SIGHTINGS = SightingRow.__table__

# Total cost of look-alike substitutions a confusion match may need: two cheap ones (O/0 + B/8, or 3/7 + I/1).
CONFUSION_BUDGET = 1.0
EXPAND_UP_TO = 5000  # entries; about 200 look-alike keys each, so at most ~1M dict keys (~100 MB)


@dataclass(frozen=True, slots=True)
class ListedPlate:
    list_name: str
    plate: str
    reason: str
    expires: date | None

    def active_on(self, day: date) -> bool:
        return self.expires is None or self.expires >= day


def lookalike_keys(read_plate: str) -> frozenset[str]:
    """The confusion keys of every plate that ``read_plate`` could be, up to look-alike characters."""
    return key_variants(confusion_key(read_plate), CONFUSION_BUDGET, confusions_only=True)


def classify_match(read_plate: str, listed_plate: str) -> tuple[MatchKind, float] | None:
    """EXACT, CONFUSION (same length, only look-alike differences, within the budget) or None."""
    if read_plate == listed_plate:
        return MatchKind.EXACT, 0.0
    if only_confusions(read_plate, listed_plate):
        distance = plate_distance(read_plate, listed_plate)
        if distance <= CONFUSION_BUDGET:
            return MatchKind.CONFUSION, distance
    return None


class HotlistIndex:
    """Listed plates by confusion key. Pure: built from entries, answers which alerts a sighting raises."""

    def __init__(self, entries: Sequence[ListedPlate], version: Any = None) -> None:
        self.version = version
        self.size = len(entries)
        # Look-alike keys are symmetric, so a small list can be expanded once (every key each entry could be
        # misread as) and a read then costs one dict lookup; a big list (NCIC) would not fit, so there each read
        # expands its own key instead.
        self.expanded = len(entries) <= EXPAND_UP_TO
        self.by_key: dict[str, list[ListedPlate]] = defaultdict(list)
        for e in entries:
            for key in lookalike_keys(e.plate) if self.expanded else (confusion_key(e.plate),):
                self.by_key[key].append(e)

    def __len__(self) -> int:
        return self.size

    def candidates(self, read: str) -> list[ListedPlate]:
        if self.expanded:
            return self.by_key.get(confusion_key(read), [])
        return [e for key in lookalike_keys(read) for e in self.by_key.get(key, ())]

    def alerts_for(self, sighting_id: str, read: str | None, today: date) -> list[Alert]:
        """One alert per (list, listed plate) that a sighting's read plate matches, closest first."""
        if not read or not self.by_key:
            return []
        alerts: dict[tuple[str, str], Alert] = {}
        for entry in self.candidates(read):
            verdict = classify_match(read, entry.plate)
            if verdict is None or not entry.active_on(today) or (entry.list_name, entry.plate) in alerts:
                continue
            kind, distance = verdict
            alerts[(entry.list_name, entry.plate)] = Alert(
                sighting_id=sighting_id, list_name=entry.list_name, hotlist_plate=entry.plate, read_plate=read,
                match_kind=kind, reason=entry.reason, distance=distance)
        return sorted(alerts.values(), key=lambda a: (a.distance, a.list_name, a.hotlist_plate))

    def match(self, sightings: Sequence[Sighting], today: date | None = None) -> list[Alert]:
        day = today or utcnow().date()
        return [a for s in sightings for a in self.alerts_for(s.id, s.plate_text, day)]


# Built once, on the Core table: it runs before every write, and building an ORM query each time cost more than
# running it.
_VERSION_QUERY = select(func.count(), func.max(HotlistRow.__table__.c.imported_at),
                        func.coalesce(func.sum(HotlistRow.__table__.c.entry_count), 0))


def hotlists_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever a list is imported, replaced or removed (cheap: reads the small hotlists table)."""
    return tuple(session.execute(_VERSION_QUERY).one())


def load_hotlist_index(session: Session) -> HotlistIndex:
    version = hotlists_version(session)
    rows = session.execute(select(HotlistRow.name, HotlistEntryRow.plate, HotlistEntryRow.reason,
                                  HotlistEntryRow.expires)
                           .join(HotlistRow, HotlistRow.id == HotlistEntryRow.hotlist_id))
    return HotlistIndex([ListedPlate(*r) for r in rows], version)


def current_index(session: Session, cached: HotlistIndex | None) -> HotlistIndex:
    """``cached`` if the hotlists have not changed since it was built, else a fresh one."""
    if cached is not None and cached.version == hotlists_version(session):
        return cached
    return load_hotlist_index(session)


def match_recent(session: Session, list_name: str, since: datetime, today: date | None = None) -> list[Alert]:
    """Alerts for sightings since ``since`` that match the list ``list_name`` and have no alert from it yet.

    Run after an import, so a plate listed now is found where it passed an hour ago. Reads the time index once
    and checks each read plate against the list in memory; does not write anything.
    """
    entries = session.execute(
        select(HotlistRow.name, HotlistEntryRow.plate, HotlistEntryRow.reason, HotlistEntryRow.expires)
        .join(HotlistRow, HotlistRow.id == HotlistEntryRow.hotlist_id).where(HotlistRow.name == list_name))
    index = HotlistIndex([ListedPlate(*r) for r in entries])
    recent = session.execute(
        select(SIGHTINGS.c.id, SIGHTINGS.c.plate_text)
        .where(SIGHTINGS.c.observed_at >= since, SIGHTINGS.c.plate_text.is_not(None))
        .execution_options(yield_per=5000))
    hits = [(sid, plate) for sid, plate in recent if index.candidates(plate)]
    if not hits:
        return []
    ids = sorted({sid for sid, _ in hits})
    already = {tuple(r) for start in range(0, len(ids), 5000) for r in session.execute(
        select(AlertRow.sighting_id, AlertRow.hotlist_plate)
        .where(AlertRow.list_name == list_name, AlertRow.sighting_id.in_(ids[start:start + 5000])))}
    day = today or utcnow().date()
    found = [a for sid, plate in hits for a in index.alerts_for(sid, plate, day)]
    return [a for a in found if (a.sighting_id, a.hotlist_plate) not in already]
