"""Geometry on the sphere, and the grid cells that index sighting positions.

A cell is a square of CELL_DEG degrees; every sighting stores the cell it lies in, so an area search reads a few
index ranges (one per cell under the bounding box) and checks the exact distance only on those rows.
"""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_008.8
CELL_DEG = 0.005  # about 550 m of latitude; at 32 deg N (the border cities) about 470 m of longitude
_COLUMNS = round(360 / CELL_DEG)
MAX_CELLS = 400  # beyond this many cells a time-ordered scan with a box filter is cheaper


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that contains the circle."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _row_col(lat: float, lon: float) -> tuple[int, int]:
    return math.floor((lat + 90) / CELL_DEG), math.floor((lon + 180) / CELL_DEG) % _COLUMNS


def cell_of(lat: float, lon: float) -> int:
    row, col = _row_col(lat, lon)
    return row * _COLUMNS + col


def cells_covering(lat: float, lon: float, radius_m: float) -> list[int] | None:
    """The cells under the circle's bounding box, or None when there are more than MAX_CELLS."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_m)
    row0, col0 = _row_col(min_lat, min_lon)
    row1, col1 = _row_col(max_lat, max_lon)
    if col1 < col0:  # the box crosses the antimeridian: rare enough to take the scan path
        return None
    count = (row1 - row0 + 1) * (col1 - col0 + 1)
    if count > MAX_CELLS:
        return None
    return [r * _COLUMNS + c for r in range(row0, row1 + 1) for c in range(col0, col1 + 1)]
