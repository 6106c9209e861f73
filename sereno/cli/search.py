"""``sereno search plate|area|route``: find sightings for a case, through the gate (sereno.intel.governed): each
search names an open case and a reason, both written to the ledger before anything is read. ``--json`` for
machines."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from sereno.cli.common import console, fail, parse_when, print_json
from sereno.cli.gov_common import CASE_OPTION, REASON_OPTION, reader
from sereno.domain import Sighting
from sereno.governance import Purpose
from sereno.intel import governed
from sereno.intel.search import SearchError, SearchFilter
from sereno.plates import normalize_plate, plate_distance

app = typer.Typer(no_args_is_help=True)


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
    case: str = CASE_OPTION, reason: str = REASON_OPTION,
    camera: Optional[list[str]] = CAMERA, since: Optional[str] = SINCE, until: Optional[str] = UNTIL,
    limit: int = LIMIT, as_json: bool = JSON,
) -> None:
    """Sightings of a plate: exact, wildcard or fuzzy. Wider than 31 days, or a wildcard fixing fewer than 4
    characters, needs a supervisor's approval of the exact request."""
    f = _filter(camera, since, until, limit)
    with reader(ctx) as r:
        result = governed.find_plate(r, Purpose(case, reason), pattern, f, fuzzy, max_distance)
    _show(result.sightings, as_json, f"plate {pattern}" + (f" (fuzzy, distance <= {max_distance})" if fuzzy else ""),
          distance_to=normalize_plate(pattern) if fuzzy else None)
    if fuzzy and not as_json and result.plates:
        console.print("plates within the distance: " + ", ".join(f"{p} ({d:.1f})" for p, d in
                                                                 sorted(result.plates.items(), key=lambda t: t[1])))


@app.command("area")
def area(
    ctx: typer.Context,
    lat: float = typer.Option(..., "--lat", help="Latitude of the centre (decimal degrees)."),
    lon: float = typer.Option(..., "--lon", help="Longitude of the centre (decimal degrees)."),
    radius: float = typer.Option(200.0, "--radius", "-r", help="Radius in metres."),
    case: str = CASE_OPTION, reason: str = REASON_OPTION,
    camera: Optional[list[str]] = CAMERA, since: Optional[str] = SINCE, until: Optional[str] = UNTIL,
    limit: int = LIMIT, as_json: bool = JSON,
) -> None:
    """Sightings within --radius metres of a point, in a time window (--since, --until). Without a supervisor's
    approval of the exact request: at most 1 km2 and 72 h."""
    f = _filter(camera, since, until, limit)
    with reader(ctx) as r:
        found = governed.find_area(r, Purpose(case, reason), lat, lon, radius, f)
    _show(found, as_json, f"within {radius:g} m of {lat}, {lon}")


@app.command("route")
def route(
    ctx: typer.Context,
    plate: str = typer.Argument(..., help="The exact plate."),
    case: str = CASE_OPTION, reason: str = REASON_OPTION,
    camera: Optional[list[str]] = CAMERA, since: Optional[str] = SINCE, until: Optional[str] = UNTIL,
    limit: int = typer.Option(1000, "--limit", min=1, help="At most this many sightings."),
    geojson: bool = typer.Option(False, "--geojson", "--json", help="Print the GeoJSON FeatureCollection."),
) -> None:
    """The route of a plate: its sightings in time order with camera positions (GeoJSON with --geojson). Needs a
    time window (--since); more than 72 h needs a supervisor's approval of the exact request."""
    f = _filter(camera, since, until, limit)
    with reader(ctx) as r:
        collection = governed.find_route(r, Purpose(case, reason), plate, f)
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
