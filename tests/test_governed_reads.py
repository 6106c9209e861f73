"""Every read path of sereno.intel.governed through the real gate, ledger and store: what each role gets, what the
ledger says about it, and that another agency's cameras stay out without a sharing agreement."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from sereno.config import load_settings
from sereno.domain import AlertStatus, Camera, HotlistEntry
from sereno.governance import Purpose, Refused, identity
from sereno.intel import governed
from sereno.intel.governed import NotFound, Reader
from sereno.intel.hotlists import replace_hotlist
from sereno.intel.search import SearchError, SearchFilter
from sereno.store import Store
from sereno.store.media import MediaStore
from tests.governance_world import START, STATE, build_world
from tests.test_store_core import make_sighting

# Two municipal cameras (no agency: the installation's own) and one of the state police, along Vía Rápida.
CAMERAS = (
    Camera(id="mun-1", name="Vía Rápida Oriente", lat=32.5270, lon=-117.0230, analysis_url="", heading=90.0),
    Camera(id="mun-2", name="Vía Rápida Poniente", lat=32.5250, lon=-117.0200, analysis_url=""),
    Camera(id="bc-1", name="Caseta estatal", lat=32.5230, lon=-117.0170, analysis_url="", agency=STATE),
)
SEEN = START - timedelta(hours=2)
CASE = "TIJ-2026-0001"  # the municipal investigator's vehicle theft case
STATE_CASE = "BC-2026-0001"
WHY = "vehículo robado con violencia en la Vía Rápida"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    settings = load_settings(tmp_path_factory.mktemp("governed") / "data")
    world = build_world(settings)
    with Store.open(settings) as store:
        media = MediaStore(settings.media_path)
        sightings = []
        for i, camera in enumerate(CAMERAS):
            for plate in ("ABC1234", "ABC1284"):
                s = make_sighting(plate, camera=camera.id, at=SEEN + timedelta(minutes=i), lat=camera.lat,
                                  lon=camera.lon)
                s.plate_crop_path = media.save_jpeg(f"crops/{s.id}.jpg", np.full((20, 60, 3), 200, np.uint8))
                sightings.append(s)
        with store.session() as session:
            replace_hotlist(session, "robados", [HotlistEntry("robados", "ABC1234", reason="robo")], "csv")
        alerts = store.add_sightings(sightings)
        world.store, world.sightings, world.alerts = store, sightings, alerts  # type: ignore[attr-defined]
        yield world
    world.gov.close()


def reader(world, role: str) -> Reader:  # noqa: ANN001
    return Reader(world.gov, world.store, world.people[role], CAMERAS)


def last_entries(world, n: int) -> list[dict]:  # noqa: ANN001
    return list(world.gov.ledger.entries())[-n:]


def window(hours: float = 6) -> SearchFilter:
    return SearchFilter(since=START - timedelta(hours=hours), until=START)


def test_a_plate_search_is_decided_then_its_results_recorded(world) -> None:  # noqa: ANN001
    result = governed.find_plate(reader(world, "investigator"), Purpose(CASE, WHY), "abc-1234", window())
    assert {s.camera_id for s in result.sightings} == {"mun-1", "mun-2"}  # the state camera is not ours
    assert {s.plate_text for s in result.sightings} == {"ABC1234"} and result.plates == {}
    decision, access = last_entries(world, 2)
    assert (decision["kind"], decision["outcome"], decision["action"]) == ("decision", "allowed", "search.plate")
    assert decision["details"]["reason"] == WHY and decision["details"]["case_number"] == CASE
    assert decision["details"]["scope"]["plates"] == ["ABC1234"]
    assert decision["seq"] == result.decision.ledger_seq
    assert (access["kind"], access["details"]) == ("access", {"decision_seq": decision["seq"], "items": 2})


def test_fuzzy_names_only_plates_seen_on_readable_cameras(world) -> None:  # noqa: ANN001
    result = governed.find_plate(reader(world, "investigator"), Purpose(CASE, WHY), "A8C1234", window(),
                                 fuzzy=True, max_distance=1.0)
    assert set(result.plates) == {"ABC1234", "ABC1284"}
    assert {s.camera_id for s in result.sightings} == {"mun-1", "mun-2"}


def test_refusals_raise_are_recorded_and_return_nothing(world) -> None:  # noqa: ANN001
    inv = reader(world, "investigator")
    with pytest.raises(Refused, match="forbidden purpose") as refused:
        governed.find_plate(inv, Purpose(CASE, "seguir a un periodista de Zeta"), "ABC1234", window())
    (entry,) = last_entries(world, 1)
    assert (entry["seq"], entry["outcome"], entry["details"]["code"]) == (
        refused.value.decision.ledger_seq, "refused", "forbidden_purpose")
    with pytest.raises(Refused, match="needs an open case"):
        governed.find_plate(inv, Purpose(None, WHY), "ABC1234", window())
    with pytest.raises(Refused, match="may not search.plate"):
        governed.find_plate(reader(world, "operator"), Purpose(CASE, WHY), "ABC1234", window())
    with pytest.raises(Refused, match="supervisor's approval"):  # a two-character wildcard is a bulk pull
        governed.find_plate(inv, Purpose(CASE, WHY), "AB*", window())
    assert [e["kind"] for e in last_entries(world, 3)] == ["decision"] * 3  # no access entry after a refusal


def test_bad_input_fails_before_the_gate(world) -> None:  # noqa: ANN001
    before = len(list(world.gov.ledger.entries()))
    with pytest.raises(SearchError, match="no letters or digits"):
        governed.find_route(reader(world, "investigator"), Purpose(CASE, WHY), "--", window())
    with pytest.raises(SearchError, match="at least 3"):
        governed.find_area_polygon(reader(world, "investigator"), Purpose(CASE, WHY), [(32.5, -117.0)], window())
    assert len(list(world.gov.ledger.entries())) == before


def test_another_agencys_cameras_need_a_sharing_agreement(world) -> None:  # noqa: ANN001
    state = reader(world, "state-investigator")
    purpose = Purpose(STATE_CASE, "seguimiento de un homicidio en la caseta")
    alone = governed.find_plate(state, purpose, "ABC1234", window())
    assert {s.camera_id for s in alone.sightings} == {"bc-1"}
    with pytest.raises(Refused, match="no sharing agreement") as refused:
        governed.find_plate(state, purpose, "ABC1234", SearchFilter(cameras=("mun-1",), since=SEEN, until=START))
    assert refused.value.decision.code == "no_sharing"

    agreement = identity.share(world.gov, world.people["administrator"], STATE, "convenio de colaboración 2026")
    try:
        shared = governed.find_plate(state, purpose, "ABC1234", window())
        assert {s.camera_id for s in shared.sightings} == {"bc-1", "mun-1", "mun-2"}
    finally:
        identity.revoke_sharing(world.gov, world.people["administrator"], agreement)
    again = governed.find_plate(state, purpose, "ABC1234", window())
    assert {s.camera_id for s in again.sightings} == {"bc-1"}  # revoked at once


def test_area_polygon_and_route_keep_to_readable_cameras(world) -> None:  # noqa: ANN001
    inv = reader(world, "investigator")
    purpose = Purpose(CASE, WHY)
    around = governed.find_area(inv, purpose, 32.5250, -117.0200, 400, window())
    assert {s.camera_id for s in around} == {"mun-1", "mun-2"}  # bc-1 lies inside the circle but is not ours
    (decision,) = [e for e in last_entries(world, 2) if e["kind"] == "decision"]
    area = decision["details"]["scope"]["area"]
    assert area["min_lat"] < 32.5250 < area["max_lat"] and decision["details"]["radius_m"] == 400
    triangle = [(32.5285, -117.0245), (32.5285, -117.0205), (32.5255, -117.0245)]  # only mun-1 inside
    assert {s.camera_id for s in governed.find_area_polygon(inv, purpose, triangle, window())} == {"mun-1"}
    route = governed.find_route(inv, purpose, "ABC1234", window())
    points = [f["properties"]["camera_id"] for f in route["features"] if f["geometry"]["type"] == "Point"]
    assert points == ["mun-1", "mun-2"]
    with pytest.raises(Refused, match="no time window"):  # a route over all time is a bulk pull
        governed.find_route(inv, purpose, "ABC1234", SearchFilter())


def test_one_sighting_and_its_crop(world) -> None:  # noqa: ANN001
    inv = reader(world, "investigator")
    ours = next(s for s in world.sightings if s.camera_id == "mun-1")
    theirs = next(s for s in world.sightings if s.camera_id == "bc-1")
    assert governed.view_sighting(inv, Purpose(CASE, WHY), ours.id).plate_text == ours.plate_text
    crop = governed.sighting_media(inv, Purpose(CASE, WHY), ours.id, "crop")
    assert crop.is_file() and crop.read_bytes()[:2] == b"\xff\xd8"
    (decision, access) = last_entries(world, 2)
    assert decision["details"]["sighting_id"] == ours.id and decision["details"]["media"] == "crop"
    with pytest.raises(NotFound):  # another agency's sighting looks exactly like an unknown one
        governed.view_sighting(inv, Purpose(CASE, WHY), theirs.id)
    with pytest.raises(NotFound, match="no saved snapshot|no longer on disk"):
        governed.sighting_media(inv, Purpose(CASE, WHY), ours.id, "snapshot")
    assert last_entries(world, 1)[0]["outcome"] == "error"


def test_operators_see_and_decide_alerts_on_their_agencys_cameras(world) -> None:  # noqa: ANN001
    op = reader(world, "operator")
    items = governed.list_alerts(op, governed.STANDING_ALERTS_REASON, AlertStatus.UNVERIFIED)
    assert {i.sighting.camera_id for i in items} == {"mun-1", "mun-2"}
    decision, _ = last_entries(world, 2)
    assert decision["details"]["reason"] == governed.STANDING_ALERTS_REASON
    assert governed.alert_media(op, governed.STANDING_ALERTS_REASON, items[0].alert.id, "crop").is_file()
    decided = governed.decide_alert(op, items[0].alert.id[:8], AlertStatus.CONFIRMED, "el recorte coincide")
    assert (decided.status, decided.decided_by) == (AlertStatus.CONFIRMED, "op")
    state_alert = next(a for a in world.alerts if a.sighting_id in {s.id for s in world.sightings
                                                                     if s.camera_id == "bc-1"})
    with pytest.raises(NotFound):
        governed.decide_alert(op, state_alert.id, AlertStatus.DISMISSED, "no corresponde al vehículo")
    with pytest.raises(Refused, match="may not alerts.view"):
        governed.list_alerts(reader(world, "administrator"), governed.STANDING_ALERTS_REASON)


def test_camera_positions_only_for_roles_that_may_see_them(world) -> None:  # noqa: ANN001
    seen = governed.list_cameras(reader(world, "operator"))
    assert [(v.camera.id, v.camera.lat, v.located) for v in seen][0] == ("mun-1", 32.5270, True)
    assert last_entries(world, 1)[0]["action"] == "cameras.locations"
    before = len(list(world.gov.ledger.entries()))
    hidden = governed.list_cameras(reader(world, "administrator"))
    assert [(v.camera.id, v.camera.lat, v.camera.lon, v.camera.heading, v.located) for v in hidden][0] == (
        "mun-1", None, None, None, False)
    assert len(list(world.gov.ledger.entries())) == before  # leaving positions out is not a refusal


def test_hotlists_are_managed_by_supervisors(world, tmp_path: Path) -> None:  # noqa: ANN001
    listed = tmp_path / "robados.csv"
    listed.write_text("ABC1284,robo con violencia,BC,\n")
    with pytest.raises(Refused, match="may not hotlist.manage"):
        governed.import_hotlist(reader(world, "operator"), listed, "nuevos", None)
    parsed, alerts = governed.import_hotlist(reader(world, "supervisor"), listed, "nuevos", None,
                                             lookback=START - SEEN + timedelta(hours=1))
    assert len(parsed.entries) == 1
    # ABC1284 exact and ABC1234 as a 3/8 look-alike, on three cameras: bc-1's two alerts are raised, not shown
    assert {a.hotlist_plate for a in alerts} == {"ABC1284"} and len(alerts) == 4
    (entry,) = last_entries(world, 1)
    assert (entry["kind"], entry["action"], entry["details"]["alerts_raised"]) == ("config", "hotlist.import", 6)
    assert {h.name for h in governed.list_hotlists(reader(world, "operator"))} == {"robados", "nuevos"}
    with pytest.raises(Refused):
        governed.list_hotlists(reader(world, "auditor"))
