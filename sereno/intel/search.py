"""Search over sightings: plate (exact, wildcard, fuzzy), area, route.

Query builders are pure (they return SQLAlchemy ``Select`` objects); the ``search_*`` functions take a Session and
return domain Sightings. Every query is shaped to read an index range, never the whole table:
- exact: (plate_text, observed_at);
- wildcard: up to two ``?`` are expanded into exact plates, otherwise the longer literal prefix (plate_text) is read
  as a range, or the suffix as a range of seen_plates.plate_rev whose plates are then read through
  (plate_text, observed_at); a pattern with no literal end (``*12*``) walks the time index;
- fuzzy: look-alike keys generated from the query (sereno.intel.neighbours) read through seen_plates
  (plate_key, plate_text), keeping only plates that some sighting still has;
- area: the grid cells under the circle's bounding box read through (cell, observed_at), exact haversine after.
Plate and area results come newest first; a route comes in time order.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from sereno.domain import Sighting
from sereno.intel.geo import bounding_box, cells_covering, haversine_m
from sereno.intel.neighbours import key_variants
from sereno.plates import PLATE_CHARS, confusion_key, normalize_plate, plate_distance
from sereno.store.mapping import row_to_sighting
from sereno.store.seen_plates import PLATE_HAS_SIGHTINGS
from sereno.store.tables import SeenPlateRow, SightingRow

SIGHTINGS = SightingRow.__table__
SEEN_PLATES = SeenPlateRow.__table__
MAX_FUZZY_DISTANCE = 2.0
MAX_EXPANDED_WILDCARDS = 2  # 36**2 = 1,296 exact look-ups still beat a range read of a one-letter prefix
_PATTERN_CHARS = re.compile(r"^[A-Z0-9*?]+$")


class SearchError(ValueError):
    """The search request cannot be run; the message says what is wrong and how to fix it."""


@dataclass(frozen=True, slots=True)
class SearchFilter:
    cameras: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise SearchError(f"limit must be at least 1 (got {self.limit})")
        if self.since and self.until and self.since > self.until:
            raise SearchError(f"time window is empty: since {self.since.isoformat()} is after until "
                              f"{self.until.isoformat()}")


def _filtered(query: Select[Any], f: SearchFilter, newest_first: bool = True) -> Select[Any]:
    if f.cameras:
        query = query.where(SIGHTINGS.c.camera_id.in_(f.cameras))
    if f.since:
        query = query.where(SIGHTINGS.c.observed_at >= f.since)
    if f.until:
        query = query.where(SIGHTINGS.c.observed_at <= f.until)
    order = SIGHTINGS.c.observed_at.desc() if newest_first else SIGHTINGS.c.observed_at.asc()
    return query.order_by(order).limit(f.limit)


def clean_pattern(pattern: str) -> str:
    """Normalise a plate pattern, keeping the wildcards ``*`` (any run) and ``?`` (one character)."""
    text = "".join(normalize_plate(ch) if ch not in "*?" else ch for ch in pattern)
    text = re.sub(r"\*+", "*", text)
    if not text or not _PATTERN_CHARS.match(text) or text == "*":
        raise SearchError(f"plate pattern {pattern!r} has no plate characters; use letters and digits with "
                          "optional wildcards, e.g. ABC1234, ABC*, A?C123")
    return text


def _next_prefix(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _range(column: Any, prefix: str) -> Any:
    return and_(column >= prefix, column < _next_prefix(prefix))


def _literal_ends(pattern: str) -> tuple[str, str]:
    prefix = re.match(r"^[A-Z0-9]*", pattern).group(0)  # type: ignore[union-attr]
    suffix = re.search(r"[A-Z0-9]*$", pattern).group(0)  # type: ignore[union-attr]
    return prefix, suffix


def _expand(pattern: str) -> list[str]:
    parts = pattern.split("?")
    return ["".join(itertools.chain.from_iterable(zip(parts, fill + ("",))))
            for fill in itertools.product(PLATE_CHARS, repeat=len(parts) - 1)]


def plate_exact_query(plate: str, f: SearchFilter = SearchFilter()) -> Select[Any]:
    return _filtered(select(SIGHTINGS).where(SIGHTINGS.c.plate_text == normalize_plate(plate)), f)


def plate_wildcard_query(pattern: str, f: SearchFilter = SearchFilter()) -> Select[Any]:
    pattern = clean_pattern(pattern)
    like = pattern.replace("*", "%").replace("?", "_")
    query = select(SIGHTINGS).where(SIGHTINGS.c.plate_text.like(like))
    if "*" not in pattern and pattern.count("?") <= MAX_EXPANDED_WILDCARDS:
        return _filtered(query.where(SIGHTINGS.c.plate_text.in_(_expand(pattern))), f)
    prefix, suffix = _literal_ends(pattern)
    if prefix and len(prefix) >= len(suffix):
        query = query.where(_range(SIGHTINGS.c.plate_text, prefix))
    elif suffix:
        ending = select(SEEN_PLATES.c.plate_text).where(_range(SEEN_PLATES.c.plate_rev, suffix[::-1]),
                                                        SEEN_PLATES.c.plate_text.like(like))
        query = query.where(SIGHTINGS.c.plate_text.in_(ending))
    return _filtered(query, f)


def fuzzy_candidates_query(plate: str, max_distance: float) -> Select[Any]:
    """Plates some sighting has whose confusion key lies within max_distance of the query's key (a superset)."""
    keys = key_variants(confusion_key(plate), max_distance)
    return select(SEEN_PLATES.c.plate_text).where(SEEN_PLATES.c.plate_key.in_(sorted(keys)), PLATE_HAS_SIGHTINGS)


def plates_query(plates: Iterable[str], f: SearchFilter = SearchFilter()) -> Select[Any]:
    return _filtered(select(SIGHTINGS).where(SIGHTINGS.c.plate_text.in_(sorted(set(plates)))), f)


def _sightings(session: Session, query: Select[Any]) -> list[Sighting]:
    return [row_to_sighting(r) for r in session.execute(query).mappings()]


def search_plate(session: Session, pattern: str, f: SearchFilter = SearchFilter()) -> list[Sighting]:
    """Exact plate, or a wildcard pattern when it contains ``*`` or ``?``. Newest first."""
    if "*" in pattern or "?" in pattern:
        return _sightings(session, plate_wildcard_query(pattern, f))
    plate = normalize_plate(pattern)
    if not plate:
        raise SearchError(f"plate {pattern!r} has no letters or digits")
    return _sightings(session, plate_exact_query(plate, f))


def fuzzy_plates(session: Session, plate: str, max_distance: float = 1.0) -> dict[str, float]:
    """Plates seen whose confusion-weighted edit distance to ``plate`` is <= max_distance, with that distance."""
    plate = normalize_plate(plate)
    if not plate:
        raise SearchError(f"plate {plate!r} has no letters or digits")
    if not 0 <= max_distance <= MAX_FUZZY_DISTANCE:
        raise SearchError(f"max distance {max_distance} is outside 0..{MAX_FUZZY_DISTANCE}; "
                          "1.0 allows one unrelated edit or a few look-alike swaps")
    seen = session.execute(fuzzy_candidates_query(plate, max_distance)).scalars()
    distances = {p: plate_distance(plate, p) for p in seen}
    return {p: d for p, d in distances.items() if d <= max_distance + 1e-9}


def search_plates(session: Session, plates: Iterable[str], f: SearchFilter = SearchFilter()) -> list[Sighting]:
    """Sightings of any of these exact plates. Newest first."""
    plates = list(plates)
    return _sightings(session, plates_query(plates, f)) if plates else []


def search_fuzzy(session: Session, plate: str, max_distance: float = 1.0,
                 f: SearchFilter = SearchFilter()) -> list[Sighting]:
    """Sightings of plates within max_distance of ``plate`` (sereno.plates.plate_distance). Newest first."""
    return search_plates(session, fuzzy_plates(session, plate, max_distance), f)


def area_query(lat: float, lon: float, radius_m: float, f: SearchFilter = SearchFilter()) -> Select[Any]:
    """Sightings in the circle's bounding box (no limit: the exact distance is checked while reading)."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_m)
    query = select(SIGHTINGS).where(SIGHTINGS.c.lat.between(min_lat, max_lat),
                                    SIGHTINGS.c.lon.between(min_lon, max_lon))
    cells = cells_covering(lat, lon, radius_m)
    if cells is not None:
        query = query.where(SIGHTINGS.c.cell.in_(cells))
    return _filtered(query, f).limit(None)


def search_area(session: Session, lat: float, lon: float, radius_m: float,
                f: SearchFilter = SearchFilter()) -> list[Sighting]:
    """Sightings within radius_m metres of (lat, lon), newest first."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise SearchError(f"point ({lat}, {lon}) is not a latitude/longitude pair (lat -90..90, lon -180..180)")
    if radius_m <= 0:
        raise SearchError(f"radius must be positive metres (got {radius_m})")
    found: list[Sighting] = []
    for row in session.execute(area_query(lat, lon, radius_m, f).execution_options(yield_per=256)).mappings():
        if haversine_m(lat, lon, row["lat"], row["lon"]) <= radius_m:
            found.append(row_to_sighting(row))
            if len(found) >= f.limit:
                break
    return found


def route_query(plate: str, f: SearchFilter = SearchFilter()) -> Select[Any]:
    return _filtered(select(SIGHTINGS).where(SIGHTINGS.c.plate_text == normalize_plate(plate)), f,
                     newest_first=False)


def route_geojson(sightings: Sequence[Sighting]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: one Point per placed sighting (in time order) and the LineString through them."""
    placed = [s for s in sightings if s.lat is not None and s.lon is not None]
    points = [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
        "properties": {"sighting_id": s.id, "camera_id": s.camera_id, "observed_at": s.observed_at.isoformat(),
                       "plate": s.plate_text, "confidence": s.plate.confidence if s.plate else None, "order": i},
    } for i, s in enumerate(placed)]
    features = points
    if len(placed) >= 2:
        features = points + [{
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[s.lon, s.lat] for s in placed]},
            "properties": {"plate": placed[0].plate_text, "sightings": len(placed),
                           "from": placed[0].observed_at.isoformat(), "to": placed[-1].observed_at.isoformat()},
        }]
    placed_ids = {s.id for s in placed}
    return {"type": "FeatureCollection", "features": features,
            "properties": {"unplaced_sightings": [s.id for s in sightings if s.id not in placed_ids]}}


def search_route(session: Session, plate: str, f: SearchFilter = SearchFilter(limit=1000)) -> dict[str, Any]:
    """The route of a plate: its sightings in time order as GeoJSON."""
    if not normalize_plate(plate):
        raise SearchError(f"plate {plate!r} has no letters or digits")
    return route_geojson(_sightings(session, route_query(plate, f)))
