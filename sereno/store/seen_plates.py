"""The ``seen_plates`` table: one row per distinct plate text that a stored sighting has.

Writing a sighting records its plate here with insert-or-ignore, so a plate seen before (most sightings) writes no
page of the suffix and look-alike indexes. Purging sightings must call ``forget_unused_plates`` in the same
transaction: a plate whose every sighting is gone must not stay behind, searchable or kept past its retention.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sereno.plates import confusion_key
from sereno.store.tables import SeenPlateRow, SightingRow

SEEN_PLATES = SeenPlateRow.__table__
SIGHTINGS = SightingRow.__table__
# True for a seen plate that some sighting still has (one probe of (plate_text, observed_at)).
PLATE_HAS_SIGHTINGS = select(SIGHTINGS.c.plate_text).where(SIGHTINGS.c.plate_text == SEEN_PLATES.c.plate_text).exists()
_INSERT_IGNORING_KNOWN = {
    "sqlite": sqlite.insert(SEEN_PLATES).on_conflict_do_nothing(),
    "postgresql": postgresql.insert(SEEN_PLATES).on_conflict_do_nothing(),
}


def seen_plate_rows(plates: Iterable[str | None]) -> list[dict[str, Any]]:
    """The rows for these plate texts, each once, in plate order (concurrent PostgreSQL writers then take row
    locks in the same order and cannot deadlock)."""
    return [{"plate_text": p, "plate_rev": p[::-1], "plate_key": confusion_key(p)}
            for p in sorted({p for p in plates if p})]


def record_plates(session: Session, plates: Iterable[str | None]) -> None:
    """Add the plates not yet in ``seen_plates``; known ones cost an index lookup and no write."""
    rows = seen_plate_rows(plates)
    if rows:
        session.execute(_INSERT_IGNORING_KNOWN[session.get_bind().dialect.name], rows)


def forget_unused_plates(session: Session, plates: Iterable[str | None]) -> int:
    """Delete those of ``plates`` that no sighting has any more (call after deleting sightings); returns how many."""
    candidates = sorted({p for p in plates if p})
    if not candidates:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        # Waits for writers that have recorded a plate but not yet committed its sighting (and holds new ones back
        # until this commits), so a plate is never deleted under a sighting that is being written.
        session.execute(text("LOCK TABLE seen_plates IN SHARE ROW EXCLUSIVE MODE"))
    removed = 0
    for start in range(0, len(candidates), 500):
        removed += session.execute(SEEN_PLATES.delete().where(
            SEEN_PLATES.c.plate_text.in_(candidates[start:start + 500]), ~PLATE_HAS_SIGHTINGS)).rowcount
    return removed
