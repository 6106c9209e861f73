"""Search: plate exact / wildcard / fuzzy, filters, area with exact distances, route as GeoJSON, the CLI, and
query plans that read indexes instead of the whole table."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from sereno.cli import app
from sereno.config import Settings
from sereno.intel.geo import haversine_m
from sereno.intel.search import (
    SearchError, SearchFilter, area_query, fuzzy_candidates_query, fuzzy_plates, plate_exact_query,
    plate_wildcard_query, route_query, search_area, search_fuzzy, search_plate, search_route,
)
from sereno.store import Store
from sereno.store.seen_plates import forget_unused_plates
from sereno.store.tables import SeenPlateRow, SightingRow
from tests.cli_world import camera, cli_world, log_in
from tests.governance_world import STATE
from tests.test_store_core import make_sighting

T0 = datetime(2026, 11, 20, 21, 0, tzinfo=timezone.utc)
# Three cameras along Paseo de los Heroes (Tijuana), about 300 m apart, and one far away in Mexicali.
CAMERAS = {"c1": (32.5270, -117.0230), "c2": (32.5250, -117.0200), "c3": (32.5230, -117.0170),
           "far": (32.6245, -115.4523)}
PLATES = ["ABC1234", "ABD1234", "ABC1284", "XBC1234", "RDZ5832", "MXA1207", "ABC12345"]


def sightings_along_the_avenue() -> list:
    """Each plate at c1, c2 and c3 ten minutes apart, one far away in Mexicali, one without a position, one unread."""
    batch = []
    for i, plate in enumerate(PLATES):
        for j, cam in enumerate(("c1", "c2", "c3")):
            lat, lon = CAMERAS[cam]
            batch.append(make_sighting(plate, camera=cam, at=T0 + timedelta(minutes=10 * i + j), lat=lat, lon=lon))
    batch.append(make_sighting("ABC1234", camera="far", at=T0 + timedelta(days=1), lat=CAMERAS["far"][0],
                               lon=CAMERAS["far"][1]))
    batch.append(make_sighting("ABC1234", camera="mobile", at=T0 + timedelta(days=2), lat=None, lon=None))
    batch.append(make_sighting(None, camera="c1", at=T0, lat=CAMERAS["c1"][0], lon=CAMERAS["c1"][1]))  # no plate
    return batch


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from sereno.config import load_settings

    with Store.open(load_settings(tmp_path_factory.mktemp("search") / "data")) as s:
        s.add_sightings(sightings_along_the_avenue())
        yield s


def plates_of(found) -> list[str | None]:
    return [s.plate_text for s in found]


def test_exact_finds_every_sighting_newest_first_and_normalises_the_query(store: Store) -> None:
    with store.session() as s:
        found = search_plate(s, "abc-1234")
    assert plates_of(found) == ["ABC1234"] * 5
    times = [x.observed_at for x in found]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize("pattern, expected", [
    ("ABC*", {"ABC1234", "ABC1284", "ABC12345"}),
    ("AB?1234", {"ABC1234", "ABD1234"}),
    ("A?C1234", {"ABC1234"}),
    ("*1234", {"ABC1234", "ABD1234", "XBC1234"}),
    ("?BC1234", {"ABC1234", "XBC1234"}),
    ("ABC12?4", {"ABC1234", "ABC1284"}),
    ("A*4", {"ABC1234", "ABD1234", "ABC1284"}),
    ("*5832*", {"RDZ5832"}),
    ("AB??2?4", {"ABC1234", "ABD1234", "ABC1284"}),
])
def test_wildcards(store: Store, pattern: str, expected: set[str]) -> None:
    with store.session() as s:
        assert set(plates_of(search_plate(s, pattern, SearchFilter(limit=1000)))) == expected


def test_fuzzy_finds_lookalike_misreads_and_one_edit_but_not_more(store: Store) -> None:
    with store.session() as s:
        near = fuzzy_plates(s, "A8C1234", max_distance=1.0)  # B read as 8
        assert near["ABC1234"] == pytest.approx(0.2)
        assert set(near) == {"ABC1234", "ABC1284"}  # 8/B 0.2 (+ 3/8 0.5)
        # one unrelated edit (1.0) on top of the 8/B look-alike (0.2)
        assert set(fuzzy_plates(s, "A8C1234", max_distance=1.2)) == {
            "ABC1234", "ABD1234", "XBC1234", "ABC1284", "ABC12345"}
        assert set(fuzzy_plates(s, "A8C1234", max_distance=0.3)) == {"ABC1234"}
        assert plates_of(search_fuzzy(s, "RDZ5B32", 0.5)) == ["RDZ5832"] * 3
        assert search_fuzzy(s, "QQQ9999", 1.0) == []
        with pytest.raises(SearchError, match="outside"):
            fuzzy_plates(s, "ABC1234", max_distance=5)


def test_camera_time_and_limit_filters(store: Store) -> None:
    with store.session() as s:
        assert {x.camera_id for x in search_plate(s, "ABC1234", SearchFilter(cameras=("c2", "far")))} == {"c2", "far"}
        window = SearchFilter(since=T0, until=T0 + timedelta(minutes=1))
        assert [(x.camera_id, x.observed_at) for x in search_plate(s, "ABC1234", window)] == [
            ("c2", T0 + timedelta(minutes=1)), ("c1", T0)]
        assert len(search_plate(s, "ABC*", SearchFilter(limit=2))) == 2
    with pytest.raises(SearchError, match="empty"):
        SearchFilter(since=T0, until=T0 - timedelta(hours=1))
    with pytest.raises(SearchError, match="no plate characters"):
        plate_wildcard_query("*-*")


def test_area_search_keeps_exactly_the_sightings_inside_the_radius(store: Store) -> None:
    centre = CAMERAS["c1"]
    to_c2 = haversine_m(*centre, *CAMERAS["c2"])
    assert 300 < to_c2 < 400
    with store.session() as s:
        day = SearchFilter(since=T0 - timedelta(hours=1), until=T0 + timedelta(hours=3), limit=1000)
        inside = search_area(s, *centre, to_c2 + 1, day)
        just_short = search_area(s, *centre, to_c2 - 1, day)
        assert {x.camera_id for x in inside} == {"c1", "c2"}
        assert {x.camera_id for x in just_short} == {"c1"}
        assert len(inside) == 2 * len(PLATES) + 1  # the unread plate at c1 counts as a sighting too
        assert search_area(s, *centre, 50, SearchFilter(since=T0 + timedelta(days=3))) == []
        wide = search_area(s, *centre, 300_000, SearchFilter(limit=1000))  # beyond the cell budget: scan path
        assert {x.camera_id for x in wide} == {"c1", "c2", "c3", "far"}
        with pytest.raises(SearchError, match="latitude"):
            search_area(s, 123.0, 0.0, 100)


def test_route_is_a_geojson_path_in_time_order(store: Store) -> None:
    with store.session() as s:
        route = search_route(s, "ABC1234")
    points = [f for f in route["features"] if f["geometry"]["type"] == "Point"]
    (line,) = [f for f in route["features"] if f["geometry"]["type"] == "LineString"]
    assert [p["properties"]["camera_id"] for p in points] == ["c1", "c2", "c3", "far"]
    assert line["geometry"]["coordinates"] == [[CAMERAS[c][1], CAMERAS[c][0]] for c in ("c1", "c2", "c3", "far")]
    assert len(route["properties"]["unplaced_sightings"]) == 1  # the mobile camera sighting without a position


def test_queries_read_indexes_not_the_whole_table(store: Store) -> None:
    window = SearchFilter(since=T0, until=T0 + timedelta(hours=2))
    by_plate = ("sightings", "ix_sightings_plate_time")
    queries = {
        "exact": (plate_exact_query("ABC1234"), [by_plate]),
        "prefix": (plate_wildcard_query("ABC*"), [by_plate]),
        "one unknown": (plate_wildcard_query("A?C1234"), [by_plate]),
        "suffix": (plate_wildcard_query("*1234"), [("seen_plates", "ix_seen_plates_rev"), by_plate]),
        "fuzzy": (fuzzy_candidates_query("A8C1234", 1.0), [("seen_plates", "ix_seen_plates_key"), by_plate]),
        "area": (area_query(*CAMERAS["c1"], 500, window), [("sightings", "ix_sightings_cell_time")]),
        "route": (route_query("ABC1234"), [by_plate]),
    }
    with store.engine.connect() as conn:
        for name, (query, indexes) in queries.items():
            sql = str(query.compile(dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}))
            plan = [row[3] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql))]
            for table, index in indexes:
                assert any(step.startswith(f"SEARCH {table} USING") and index in step for step in plan), \
                    f"{name}: {plan}"
            assert not any(step.startswith("SCAN") for step in plan), f"{name}: {plan}"


def test_a_plate_whose_sightings_are_gone_is_found_by_no_search(tmp_path) -> None:
    with Store.open_url(f"sqlite:///{tmp_path / 'gone.db'}") as store:
        store.add_sightings([make_sighting("ABC1234", at=T0), make_sighting("XYZ1234", at=T0)])
        with store.session() as s:
            s.execute(SightingRow.__table__.delete().where(SightingRow.plate_text == "ABC1234"))
            assert fuzzy_plates(s, "A8C1234") == {}  # its seen_plates row is still there: searches join sightings
            assert plates_of(search_plate(s, "*1234")) == ["XYZ1234"]
            assert forget_unused_plates(s, ["ABC1234", "XYZ1234"]) == 1  # what a purge calls: only the orphan
            assert set(s.scalars(select(SeenPlateRow.plate_text))) == {"XYZ1234"}


def test_cli_searches_name_a_case_and_a_reason_and_keep_to_readable_cameras(settings: Settings) -> None:
    cameras = [camera(c, *CAMERAS[c]) for c in ("c1", "c2", "c3")] + [camera("far", *CAMERAS["far"], agency=STATE)]
    world = cli_world(settings, cameras)
    with Store.open(settings) as s:
        s.add_sightings(sightings_along_the_avenue())
    log_in(world, settings, "inv")
    runner = CliRunner()
    base = ["--data-dir", str(settings.data_dir), "search"]
    purpose = ["--case", "TIJ-2026-0001", "--reason", "robo de vehículo en Paseo de los Héroes"]

    def search(*args: str, code: int = 0) -> str:
        out = runner.invoke(app, base + list(args))
        assert out.exit_code == code, out.output
        return out.stdout if code == 0 else out.output

    assert [r["sighting"]["camera_id"] for r in json.loads(search("plate", "ABC1234", *purpose, "--json"))] == [
        "c3", "c2", "c1"]  # far belongs to the state police, mobile to no configured camera
    assert [r["sighting"]["camera_id"] for r in json.loads(search("plate", "ABC1234", "--camera", "c1", *purpose,
                                                                  "--json"))] == ["c1"]
    fuzzy = json.loads(search("plate", "A8C1234", "--fuzzy", "--max-distance", "0.3", *purpose, "--json"))
    assert {r["sighting"]["plate"]["text"] for r in fuzzy} == {"ABC1234"}
    assert [round(r["distance"], 6) for r in fuzzy] == [0.2] * 3
    area = search("area", "--lat", "32.527", "--lon", "-117.023", "--radius", "100", "--since", "2026-11-20T20:00",
                  "--until", "2026-11-20T23:00", *purpose, "--json")
    assert {r["sighting"]["camera_id"] for r in json.loads(area)} == {"c1"}
    route = search("route", "ABC1234", "--since", "2026-11-20T20:00", "--until", "2026-11-21T20:00", *purpose,
                   "--geojson")
    assert json.loads(route)["type"] == "FeatureCollection"
    assert "is not a time" in search("plate", "ABC1234", "--since", "yesterday-ish", *purpose, code=1)
    assert "3 sightings" in search("plate", "ABC1234", *purpose)

    assert "Missing option '--case'" in search("plate", "ABC1234", "--reason", "robo de vehículo", code=2)
    refused = search("plate", "ABC1234", "--case", "TIJ-2026-0001", "--reason", "seguir a un periodista", code=1)
    assert "forbidden purpose" in refused and "ledger entry #" in refused and "ABC1234" not in refused
    assert "no time window" in search("route", "ABC1234", *purpose, code=1)
    assert "no sharing agreement" in search("plate", "ABC1234", "--camera", "far", *purpose, code=1)
    log_in(world, settings, "op")
    assert "may not search.plate" in search("plate", "ABC1234", *purpose, code=1)
    world.gov.close()
