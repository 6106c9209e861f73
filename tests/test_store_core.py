"""The store: schema from migrations, round trips, camera state, media files, and no lost writes on a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, Table, func, inspect, insert, select

from sereno.config import Settings
from sereno.domain import CameraState, CameraStatus, CharCandidate, Correction, PlateRead, Sighting, new_id
from sereno.plates import confusion_key
from sereno.store import Store
from sereno.store.base import Base
from sereno.store.db import make_engine
from sereno.store.mapping import sighting_to_row
from sereno.store.media import MediaError, MediaStore
from sereno.store.migrate import upgrade
from sereno.store.tables import SeenPlateRow, SightingRow

T0 = datetime(2026, 11, 20, 21, 0, tzinfo=timezone.utc)
CORE_TABLES = {"sightings", "seen_plates", "camera_status", "hotlists", "hotlist_entries", "alerts"}


def make_sighting(plate: str | None = "ABC1234", camera: str = "cam1", at: datetime = T0,
                  lat: float | None = 32.5149, lon: float | None = -117.0382, **plate_fields) -> Sighting:
    """A sighting as the pipeline would produce it (shared by the store, search and alert tests)."""
    read = PlateRead(text=plate, confidence=plate_fields.pop("confidence", 0.91), **plate_fields) if plate else None
    return Sighting(camera_id=camera, observed_at=at, object_class="car", box=(10.0, 20.0, 300.0, 240.0),
                    plate=read, lat=lat, lon=lon, first_seen=at - timedelta(seconds=2), last_seen=at,
                    plate_crop_path=f"crops/{plate}.jpg" if plate else None, snapshot_path="snaps/s.jpg", frames=7)


@pytest.fixture
def store(settings: Settings):
    with Store.open(settings) as s:
        yield s


def test_open_creates_the_data_dir_and_migrates_to_head(settings: Settings) -> None:
    assert not settings.data_dir.exists()
    with Store.open(settings) as store:
        with store.engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
        assert heads, "no Alembic revision recorded"
        assert CORE_TABLES <= set(inspect(store.engine).get_table_names())
    with Store.open(settings):  # opening again is a no-op, not an error
        pass


def test_migrations_create_exactly_the_tables_the_code_maps(store: Store) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diffs if any(t in repr(d) for t in CORE_TABLES)]
    assert ours == []


def test_each_plate_is_recorded_once_however_often_it_is_seen(store: Store) -> None:
    store.add_sightings([make_sighting("ABC1234"), make_sighting("ABC1234"), make_sighting(None)])
    store.add_sighting(make_sighting("ABC1234"))
    store.add_sighting(make_sighting("XBC1234"))
    with store.session() as session:
        rows = session.execute(select(SeenPlateRow.__table__).order_by(SeenPlateRow.plate_text)).all()
    assert [tuple(r) for r in rows] == [("ABC1234", "4321CBA", confusion_key("ABC1234")),
                                        ("XBC1234", "4321CBX", confusion_key("XBC1234"))]


def sightings_written_at_0003(url: str) -> list[Sighting]:
    """A database brought to revision 0003, with sightings as that store wrote them (reversed plate and look-alike
    key on each row). Shared with the PostgreSQL tests."""
    engine = make_engine(url)
    upgrade(engine, "0003_feed_grants")
    sightings = [make_sighting(p, at=T0 + timedelta(minutes=i)) for i, p in
                 enumerate(["ABC1234", "ABC1234", "XYZ9234", "RDZ5832", None])]
    rows = [sighting_to_row(s) | {"plate_rev": s.plate_text[::-1] if s.plate_text else None,
                                  "plate_key": confusion_key(s.plate_text) if s.plate_text else None}
            for s in sightings]
    for row in rows:
        for column in ("observed_at", "first_seen", "last_seen"):
            row[column] = row[column].astimezone(timezone.utc).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(insert(Table("sightings", MetaData(), autoload_with=conn)), rows)
    engine.dispose()
    return sightings


def assert_upgraded_and_searchable(url: str, sightings: list[Sighting]) -> None:
    from sereno.intel.search import fuzzy_plates, search_plate

    with Store.open_url(url) as store:
        assert {"plate_rev", "plate_key"}.isdisjoint(c["name"] for c in inspect(store.engine).get_columns("sightings"))
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(SeenPlateRow)) == 3
            assert [s.plate_text for s in search_plate(session, "*234")] == ["XYZ9234", "ABC1234", "ABC1234"]
            assert set(fuzzy_plates(session, "A8C1234")) == {"ABC1234"}  # B read as 8
            assert [s.id for s in search_plate(session, "RDZ5832")] == [sightings[3].id]


def test_a_database_at_0003_is_upgraded_and_its_sightings_stay_searchable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    assert_upgraded_and_searchable(url, sightings_written_at_0003(url))


def test_sighting_round_trip_keeps_every_field(store: Store) -> None:
    original = make_sighting(
        "LS15EBC", raw_text="LS1SEBC", region="eu", pattern="@@##@@@",
        candidates=((CharCandidate("L", 0.9), CharCandidate("1", 0.05)), (CharCandidate("S", 0.8),)),
        corrections=(Correction(3, "S", "5", "eu:@@##@@@ expects a digit"),), box=(1.0, 2.0, 3.0, 4.0), frames=5)
    assert store.add_sighting(original) == []
    with store.session() as session:
        from sereno.intel.search import search_plate
        (back,) = search_plate(session, "LS15EBC")
    assert back == original
    assert back.observed_at.tzinfo is not None


def test_ids_made_one_after_another_sort_together_yet_differ_in_the_prefix_the_cli_shows() -> None:
    ids = [new_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert len({i[:8] for i in ids}) == len(ids)  # `sereno alerts list` shows 8 digits, and accepts them
    # In creation order, so that new rows land next to each other in the primary-key index (but for the clock's
    # wrap, every 71.6 minutes, should it fall within these few milliseconds).
    assert sum(a > b for a, b in zip(ids, ids[1:])) <= 1


def test_naive_times_are_refused_with_a_clear_message(store: Store) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        store.add_sighting(make_sighting(at=datetime(2026, 1, 1)))


def test_camera_status_is_replaced_and_readable(store: Store) -> None:
    store.set_camera_status(CameraStatus("cam1", CameraState.ONLINE, frames_decoded=10))
    store.set_camera_status(CameraStatus("cam2", CameraState.ERROR, reason="rtsp: 404 Not Found"))
    store.set_camera_status(CameraStatus("cam1", CameraState.OFFLINE, reason="connection reset", frames_decoded=99))
    states = store.camera_statuses()
    assert {k: (v.state, v.reason) for k, v in states.items()} == {
        "cam1": (CameraState.OFFLINE, "connection reset"), "cam2": (CameraState.ERROR, "rtsp: 404 Not Found")}
    assert states["cam1"].frames_decoded == 99


def test_media_store_writes_readable_jpegs_and_refuses_escaping_paths(tmp_path: Path) -> None:
    import cv2

    media = MediaStore(tmp_path / "media")
    image = np.zeros((40, 120, 3), np.uint8)
    image[:, 60:] = (0, 0, 255)
    rel = media.save_jpeg("2026/11/20/cam1/crop.jpg", image, quality=95)
    assert rel == "2026/11/20/cam1/crop.jpg"
    decoded = cv2.imread(str(media.path(rel)))
    assert decoded.shape == image.shape and decoded[20, 100, 2] > 200
    assert [p.name for p in media.path(rel).parent.iterdir()] == ["crop.jpg"]  # no temp files left behind
    for bad in ("../outside.jpg", "/etc/x.jpg", "a/../../b.jpg", ""):
        with pytest.raises(MediaError):
            media.path(bad)


WRITER = textwrap.dedent("""
    import sys
    from datetime import datetime, timezone
    from sereno.domain import PlateRead, Sighting
    from sereno.store import Store
    store = Store.open_url(sys.argv[1])
    i = 0
    while True:
        s = Sighting(camera_id="cam1", observed_at=datetime.now(timezone.utc), object_class="car",
                     box=(0, 0, 1, 1), plate=PlateRead(f"KIL{i:04d}", 0.9), lat=32.5, lon=-117.0)
        store.add_sighting(s)
        print(s.id, flush=True)  # reported only after the commit returned
        i += 1
""")


def test_a_killed_writer_loses_no_reported_sighting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    Store.open_url(url).close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    reported = []
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            reported.append(line.strip())
            if len(reported) >= 150:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Store.open_url(url) as store, store.session() as session:
        stored = set(session.execute(select(SightingRow.id)).scalars())
    assert len(reported) == 150
    assert set(reported) <= stored


def test_a_damaged_database_file_is_named_with_the_reason(settings: Settings) -> None:
    from typer.testing import CliRunner

    from sereno.cli import app
    from sereno.store import StoreError

    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "sereno.db").write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(StoreError, match="sereno.db: file is not a database"):
        Store.open(settings)
    out = CliRunner().invoke(app, ["--data-dir", str(settings.data_dir), "alerts", "list"])
    assert out.exit_code == 1 and "file is not a database" in out.output and "Traceback" not in out.output


def test_two_processes_opening_a_new_database_at_once_both_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    code = "import sys; from sereno.store import Store; Store.open_url(sys.argv[1]).close(); print('ok')"
    procs = [subprocess.Popen([sys.executable, "-c", code, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in results]
