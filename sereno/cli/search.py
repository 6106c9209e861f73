"""``sereno search plate|area|route``: find sightings. ``--json`` for machines."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Optional

import typer
from rich.table import Table

from sereno.cli.common import console, fail, print_json, settings
from sereno.domain import Sighting
from sereno.intel.search import (
    SearchError, SearchFilter, fuzzy_plates, search_area, search_plate, search_plates, search_route,
)
from sereno.plates import normalize_plate, plate_distance
from sereno.store import Store, StoreError

app = typer.Typer(no_args_is_help=True)


def open_store(ctx: typer.Context) -> Store:
    """The store of the chosen data directory, or a clean failure naming the database and the reason."""
    try:
        return Store.open(settings(ctx))
    except StoreError as exc:
        fail(str(exc))

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_when(text: str | None, option: str) -> datetime | None:
    """ISO 8601 (no zone = UTC) or a time ago: 30m, 6h, 7d."""
    if text is None:
        return None
    rel = _RELATIVE.match(text.strip().lower())
    if rel:
        return datetime.now(timezone.utc) - timedelta(**{_UNITS[rel.group(2)]: float(rel.group(1))})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r} is not a time", hint="use ISO 8601 like 2026-11-20T21:00 (UTC unless it has "
             "an offset such as -08:00) or a time ago like 30m, 6h, 7d")
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def _filter(camera: list[str] | None, since: str | None, until: str | None, limit: int) -> SearchFilter:
    try:
        return SearchFilter(cameras=tuple(camera or ()), since=parse_when(since, "--since"),
                            until=parse_when(until, "--until"), limit=limit)
    except SearchError as exc:
        fail(str(exc))


def _show(sightings: list[Sighting], as_json: bool, title: str, distance_to: str | None = None) -> None:
    if as_json:
        print_json([{"sighting": s, **({"distance": plate_distance(distance_to, s.plate_text or "")}
                                       if distance_to else {})} for s in sightings])
        return
    if not sightings:
        console.print(f"No sightings for {title}.")
        return
    columns = ["seen (UTC)", "plate", "conf.", "camera", "lat, lon", "class", "plate crop", "sighting"]
    table = Table(*(columns[:2] + (["distance"] if distance_to else []) + columns[2:]), title=title)
    for s in sightings:
        cells = [s.observed_at.strftime("%Y-%m-%d %H:%M:%S"), s.plate_text or "-"]
        if distance_to:
            cells.append(f"{plate_distance(distance_to, s.plate_text or ''):.1f}")
        cells += [f"{s.plate.confidence:.2f}" if s.plate else "-", s.camera_id,
                  f"{s.lat:.5f}, {s.lon:.5f}" if s.lat is not None and s.lon is not None else "-",
                  s.object_class, s.plate_crop_path or "-", s.id[:8]]
        table.add_row(*cells)
    console.print(table)
    console.print(f"{len(sightings)} sightings, newest first.")


CAMERA = typer.Option(None, "--camera", "-c", help="Only these cameras (repeat the option).")
SINCE = typer.Option(None, "--since", help="From this time: ISO 8601 (UTC unless an offset) or 30m / 6h / 7d ago.")
UNTIL = typer.Option(None, "--until", help="Up to this time (same forms as --since).")
LIMIT = typer.Option(100, "--limit", min=1, help="At most this many results.")
JSON = typer.Option(False, "--json", help="Machine-readable output.")


@app.command("plate")
def plate(
    ctx: typer.Context,
    pattern: str = typer.Argument(..., help="A plate (ABC1234), a wildcard (ABC*, A?C123, *1234) or, with "
                                  "--fuzzy, a possibly misread plate."),
    fuzzy: bool = typer.Option(False, "--fuzzy", help="Also plates within --max-distance (look-alike characters "
                               "such as O/0, B/8 cost little)."),
    max_distance: float = typer.Option(1.0, "--max-distance", help="Fuzzy: confusion-weighted edit distance."),
    camera: Optional[list[str]] = CAMERA, since: Optional[str] = SINCE, until: Optional[str] = UNTIL,
    limit: int = LIMIT, as_json: bool = JSON,
) -> None:
    """Sightings of a plate: exact, wildcard or fuzzy."""
    f = _filter(camera, since, until, limit)
    with open_store(ctx) as store, store.session() as session:
        try:
            if fuzzy:
                plates = fuzzy_plates(session, pattern, max_distance)
                found = search_plates(session, plates, f)
            else:
                found = search_plate(session, pattern, f)
        except SearchError as exc:
            fail(str(exc))
    _show(found, as_json, f"plate {pattern}" + (f" (fuzzy, distance <= {max_distance})" if fuzzy else ""),
          distance_to=normalize_plate(pattern) if fuzzy else None)
    if fuzzy and not as_json and plates:
        console.print("plates within the distance: " + ", ".join(f"{p} ({d:.1f})" for p, d in
                                                                 sorted(plates.items(), key=lambda t: t[1])))


@app.command("area")
def area(
    ctx: typer.Context,
    lat: float = typer.Option(..., "--lat", help="Latitude of the centre (decimal degrees)."),
    lon: float = typer.Option(..., "--lon", help="Longitude of the centre (decimal degrees)."),
    radius: float = typer.Option(200.0, "--radius", "-r", help="Radius in metres."),
    camera: Optional[list[str]] = CAMERA, since: Optional[str] = SINCE, until: Optional[str] = UNTIL,
    limit: int = LIMIT, as_json: bool = JSON,
) -> None:
    """Sightings within --radius metres of a point, in a time window."""
    f = _filter(camera, since, until, limit)
    with open_store(ctx) as store, store.session() as session:
        try:
            found = search_area(session, lat, lon, radius, f)
        except SearchError as exc:
            fail(str(exc))
    _show(found, as_json, f"within {radius:g} m of {lat}, {lon}")


@app.command("route")
def route(
    ctx: typer.Context,
    plate: str = typer.Argument(..., help="The exact plate."),
    camera: Optional[list[str]] = CAMERA, since: Optional[str] = SINCE, until: Optional[str] = UNTIL,
    limit: int = typer.Option(1000, "--limit", min=1, help="At most this many sightings."),
    geojson: bool = typer.Option(False, "--geojson", "--json", help="Print the GeoJSON FeatureCollection."),
) -> None:
    """The route of a plate: its sightings in time order with camera positions (GeoJSON with --geojson)."""
    f = _filter(camera, since, until, limit)
    with open_store(ctx) as store, store.session() as session:
        try:
            collection = search_route(session, plate, f)
        except SearchError as exc:
            fail(str(exc))
    if geojson:
        print_json(collection)
        return
    points = [ft for ft in collection["features"] if ft["geometry"]["type"] == "Point"]
    unplaced = collection["properties"]["unplaced_sightings"]
    if not points and not unplaced:
        console.print(f"No sightings of {normalize_plate(plate)}.")
        return
    table = Table("#", "seen (UTC)", "camera", "lat, lon", "sighting", title=f"route of {normalize_plate(plate)}")
    for ft in points:
        p, (lon_, lat_) = ft["properties"], ft["geometry"]["coordinates"]
        table.add_row(str(p["order"] + 1), p["observed_at"][:19].replace("T", " "), p["camera_id"],
                      f"{lat_:.5f}, {lon_:.5f}", p["sighting_id"][:8])
    console.print(table)
    if unplaced:
        console.print(f"{len(unplaced)} sightings have no position and are not on the route.")
    console.print("Use --geojson for a map layer (Points in time order and the LineString through them).")
