"""Search inside a polygon drawn on a map: the circle around the polygon reads the area index (search.area_query),
then each row is kept only when its position lies inside the polygon.

A polygon is a ring of (lat, lon) vertices; closing it (repeating the first vertex) is optional. Edges are straight
in latitude/longitude, which at city scale is indistinguishable from the great-circle path.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from sereno.domain import Sighting
from sereno.intel.geo import haversine_m
from sereno.intel.search import SearchError, SearchFilter, area_query
from sereno.store.mapping import row_to_sighting

Ring = Sequence[tuple[float, float]]


def check_polygon(polygon: Ring) -> list[tuple[float, float]]:
    """The vertices as floats without a repeated closing vertex, or SearchError saying what is wrong."""
    points = [(float(lat), float(lon)) for lat, lon in polygon]
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        raise SearchError(f"a polygon needs at least 3 distinct corners (got {len(points)})")
    for lat, lon in points:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise SearchError(f"corner ({lat}, {lon}) is not a latitude/longitude pair (lat -90..90, lon -180..180)")
    return points


def polygon_box(polygon: Ring) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon), the same order as geo.bounding_box."""
    lats, lons = [p[0] for p in polygon], [p[1] for p in polygon]
    return min(lats), max(lats), min(lons), max(lons)


def contains(polygon: Ring, lat: float, lon: float) -> bool:
    """Even-odd rule: a ray from the point crosses the ring's edges an odd number of times when it is inside."""
    inside = False
    for (lat1, lon1), (lat2, lon2) in zip(polygon, [*polygon[1:], polygon[0]]):
        if (lat1 > lat) != (lat2 > lat):
            crossing_lon = lon1 + (lat - lat1) * (lon2 - lon1) / (lat2 - lat1)
            if lon < crossing_lon:
                inside = not inside
    return inside


def search_polygon(session: Session, polygon: Ring, f: SearchFilter = SearchFilter()) -> list[Sighting]:
    """Sightings inside the polygon, newest first."""
    points = check_polygon(polygon)
    min_lat, max_lat, min_lon, max_lon = polygon_box(points)
    centre = ((min_lat + max_lat) / 2, (min_lon + max_lon) / 2)
    radius = max(haversine_m(*centre, lat, lon) for lat, lon in points) + 1.0
    found: list[Sighting] = []
    for row in session.execute(area_query(*centre, radius, f).execution_options(yield_per=256)).mappings():
        if contains(points, row["lat"], row["lon"]):
            found.append(row_to_sighting(row))
            if len(found) >= f.limit:
                break
    return found
