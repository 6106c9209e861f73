"""The same store, matching and search code on a real PostgreSQL server (scratch database per test session).

Server: SERENO_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres); skipped with the reason when
it cannot be reached.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from sereno.domain import AlertStatus, CameraState, CameraStatus, HotlistEntry, MatchKind
from sereno.intel.alerts import decide_alert, list_alerts
from sereno.intel.hotlists import list_hotlists, replace_hotlist
from sereno.intel.search import SearchFilter, search_area, search_fuzzy, search_plate, search_route
from sereno.store import Store
from sereno.store.db import make_engine
from sereno.store.seen_plates import forget_unused_plates
from sereno.store.tables import SeenPlateRow, SightingRow
from tests.test_store_core import (
    CORE_TABLES, T0, assert_upgraded_and_searchable, make_sighting, sightings_written_at_0003,
)

pytestmark = pytest.mark.postgres
SERVER_URL = os.environ.get("SERENO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="module")
def scratch_database():
    """Makes scratch databases on the server (``scratch_database()`` -> URL); drops them at the end."""
    try:
        admin = make_engine(SERVER_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means: skip, saying why
        pytest.skip(f"PostgreSQL not reachable at {SERVER_URL} ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                    "start it with scripts/services.sh or set SERENO_TEST_PG_URL")
    names = []

    def make() -> str:
        names.append(f"sereno_test_{uuid.uuid4().hex[:10]}")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[-1]}"'))
        return make_url(admin.url).set(database=names[-1]).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def pg_url(scratch_database) -> str:  # noqa: ANN001
    return scratch_database()


@pytest.fixture(scope="module")
def store(pg_url: str):
    with Store.open_url(pg_url) as s:
        yield s


def test_migrations_run_on_postgresql_and_plates_use_byte_order(store: Store) -> None:
    assert CORE_TABLES <= set(inspect(store.engine).get_table_names())
    with store.engine.connect() as conn:
        collations = conn.execute(text("SELECT table_name, column_name, collation_name FROM information_schema.columns "
                                       "WHERE column_name IN ('plate_text', 'plate_rev')")).all()
    assert sorted(collations) == [("seen_plates", "plate_rev", "C"), ("seen_plates", "plate_text", "C"),
                                  ("sightings", "plate_text", "C")]
    Store.open_url(store.engine.url.render_as_string(hide_password=False)).close()  # at head: no-op


def test_write_match_decide_and_search_on_postgresql(store: Store) -> None:
    with store.session() as s:
        replace_hotlist(s, "stolen", [HotlistEntry("stolen", "RDZ5832", reason="con reporte de robo")], "csv")
        (summary,) = list_hotlists(s)
    assert summary.active == 1
    plates = ["RDZ5872", "ABC1239", "ABC1234", "XYZ9999"]
    sightings = [make_sighting(p, camera=f"c{i}", at=T0 + timedelta(minutes=i), lat=32.52 + i * 0.001, lon=-117.02)
                 for i, p in enumerate(plates)]
    (alert,) = store.add_sightings(sightings)
    assert (alert.match_kind, alert.hotlist_plate) == (MatchKind.CONFUSION, "RDZ5832")
    with store.session() as s:
        decide_alert(s, alert.id, AlertStatus.DISMISSED, "Ofc. Ruiz", "crop shows a 7")
    with store.session() as s:
        assert [i.alert.decided_by for i in list_alerts(s, AlertStatus.DISMISSED)] == ["Ofc. Ruiz"]
        assert [x.plate_text for x in search_plate(s, "ABC123?")] == ["ABC1234", "ABC1239"]
        assert [x.plate_text for x in search_plate(s, "*9")] == ["XYZ9999", "ABC1239"]
        assert [x.plate_text for x in search_plate(s, "ABC*", SearchFilter(cameras=("c1",)))] == ["ABC1239"]
        assert {x.plate_text for x in search_fuzzy(s, "A8C1234", 0.3)} == {"ABC1234"}
        near = search_area(s, 32.52, -117.02, 150, SearchFilter(since=T0, until=T0 + timedelta(hours=1)))
        assert [x.camera_id for x in near] == ["c1", "c0"]
        route = search_route(s, "RDZ5872")
        (back,) = search_plate(s, "ABC1234")
    assert route["features"][0]["properties"]["camera_id"] == "c0"
    assert back == sightings[2]
    with store.session() as s:  # what a retention purge does: the sightings go, then the plates nobody has
        s.execute(SightingRow.__table__.delete().where(SightingRow.plate_text == "XYZ9999"))
        assert forget_unused_plates(s, ["XYZ9999", "ABC1234"]) == 1
    with store.session() as s:
        assert search_plate(s, "*9999") == [] and "XYZ9999" not in s.scalars(select(SeenPlateRow.plate_text)).all()


def test_a_postgresql_database_at_0003_is_upgraded_and_stays_searchable(scratch_database) -> None:  # noqa: ANN001
    url = scratch_database()
    assert_upgraded_and_searchable(url, sightings_written_at_0003(url))


def test_camera_status_on_postgresql(store: Store) -> None:
    store.set_camera_status(CameraStatus("gate-3", CameraState.ERROR, reason="401 Unauthorized"))
    store.set_camera_status(CameraStatus("gate-3", CameraState.ONLINE))
    assert store.camera_statuses()["gate-3"].state is CameraState.ONLINE
