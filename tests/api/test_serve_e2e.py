"""End to end with the real models, as ``sereno serve`` runs: a camera loops the LS15EBC clip in real time, a
hotlist holds LS15EBC, and an operator's event stream receives the alert when the car passes. And the demo set-up
``sereno serve --demo`` relies on."""

from __future__ import annotations

import json

import pytest

from sereno.api import create_app
from sereno.api.demo import HOTLIST_NAME, SAMPLES, prepare_demo
from sereno.config import load_settings
from sereno.domain import Camera
from sereno.governance import Governance
from sereno.governance.demo import demo_code
from sereno.video.cameras_file import load_cameras, save_cameras
from tests.api.conftest import CSRF, Api, Served
from tests.api.test_api_live import events, next_of
from tests.governance_world import build_world
from tests.realdata import shared_file


@pytest.fixture
def models(settings):
    from sereno.pipeline.analysis import VisionAnalyser

    try:
        VisionAnalyser(settings)
    except Exception as exc:  # ModelMissing: the message says how to install them
        pytest.skip(f"analysis models unavailable: {exc} (run `sereno models install`)")


@pytest.mark.slow
def test_an_alert_reaches_the_browser_when_the_hotlisted_car_passes_a_live_camera(settings, models) -> None:
    clip = shared_file("video/car-approach-plate-LS15EBC.mp4")
    world = build_world(settings)
    save_cameras(settings.cameras_path, [Camera("garita", "Garita", 32.5422, -117.0293, f"file://{clip}#loop",
                                                region="eu", analysis_fps=5.0)])
    app = create_app(settings, workers=True, clock=world.clock)
    with Served(app) as url:
        api = Api(world, url, app, app.state.services, {})
        with api.client("sup") as supervisor:
            upload = supervisor.post("/api/hotlists", headers=CSRF, data={"name": "robados"},
                                     files={"file": ("robados.csv", b"plate,reason,state,expires\n"
                                                                    b"LS15EBC,robo de vehiculo,BC,\n")})
            assert upload.status_code == 200
        with api.client("op") as operator, operator.stream("GET", "/api/events",
                                                           timeout=120) as stream:
            received = events(stream)
            assert next_of(received, "hello")["alerts"] is True
            alert = next_of(received, "alert", give_up_after_s=90)  # one pass of the clip is 5 s, then a pause
        assert alert["read_plate"] == "LS15EBC" and alert["match_kind"] == "exact"
        assert alert["sighting"]["camera_id"] == "garita" and alert["sighting"]["crop_url"]
    world.gov.close()


def test_the_demo_set_up_makes_accounts_sample_cameras_and_the_hotlist_once(tmp_path) -> None:
    video = shared_file("video")
    settings = load_settings(tmp_path / "demo")
    first = prepare_demo(settings, video)
    assert first.accounts.created and first.hotlist_imported
    assert first.cameras_added == [s.id for s in SAMPLES] and first.clips_missing == []
    cameras = {c.id: c for c in load_cameras(settings.cameras_path)}
    assert cameras["tij-garita"].region == "eu" and cameras["tij-garita"].analysis_url.endswith("#loop")
    assert all(32.4 < c.lat < 32.6 and -117.1 < c.lon < -116.9 for c in cameras.values())  # Tijuana
    again = prepare_demo(settings, video)
    assert not again.accounts.created and not again.hotlist_imported and again.cameras_added == []
    with Governance.open(settings) as gov:
        imports = [e for e in gov.ledger.entries() if e["action"] == "hotlist.import"]
        assert [(e["actor"], e["details"]["list_name"]) for e in imports] == [("supervisora", HOTLIST_NAME)]
        assert len(demo_code(gov, settings, "operador")) == 6
    saved = json.loads(first.accounts.path.read_text())
    assert {a["username"] for a in saved["accounts"]} >= {"admin", "supervisora", "investigador", "operador"}
