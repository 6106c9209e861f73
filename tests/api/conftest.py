"""An installation served on loopback for the API tests: the governance world (tests/governance_world.py: agencies,
one user per role, cases, a controllable clock), two cameras of two agencies with sightings and their images, and
the real app under uvicorn, talked to over HTTP with httpx."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx
import numpy as np
import pyotp
import pytest
import uvicorn
from fastapi import FastAPI

from sereno.api import create_app
from sereno.api.services import Services
from sereno.config import load_settings
from sereno.domain import Box, Camera, Detection, PlateRead, Sighting
from sereno.store import Store
from sereno.store.media import MediaStore
from sereno.video.cameras_file import save_cameras
from tests.governance_world import PASSWORD, STATE, World, build_world
from tests.realdata import SHARED_DATA

LOOP_CLIP = SHARED_DATA / "video" / "highway-320x240-a.avi"
REASON = "vehículo robado con violencia en la garita, placa vista por un testigo"
CASE = "TIJ-2026-0001"
CSRF = {"X-Sereno": "1"}


class NothingFound:
    """An analyser that sees nothing: these tests are about the API and the live view, not vision (the real models
    run in test_serve_e2e.py)."""

    def __init__(self, camera: Camera | None = None) -> None:
        pass

    def detect(self, image_bgr: np.ndarray, objects: bool = True,
               regions: Sequence[Box] | None = None) -> tuple[list[Detection], list[Detection]]:
        return [], []

    def read(self, image_bgr: np.ndarray, box: Box) -> PlateRead | None:
        return None


def sighting(plate: str, camera: Camera, world: World, minutes_ago: float = 60) -> Sighting:
    at = world.clock() - timedelta(minutes=minutes_ago)
    return Sighting(camera_id=camera.id, observed_at=at, object_class="car", box=(10.0, 20.0, 300.0, 240.0),
                    plate=PlateRead(text=plate, confidence=0.93, frames=6), lat=camera.lat, lon=camera.lon,
                    first_seen=at - timedelta(seconds=2), last_seen=at, frames=6,
                    plate_crop_path=f"crops/{plate}-{camera.id}.jpg", snapshot_path=f"snaps/{plate}-{camera.id}.jpg")


def save_with_images(store: Store, media: MediaStore, found: Sighting) -> list:
    """Store a sighting as the pipeline does: its crop and snapshot on disk, then the row (and its alerts)."""
    media.save_jpeg(found.plate_crop_path, np.full((40, 120, 3), 200, np.uint8))
    media.save_jpeg(found.snapshot_path, np.full((240, 320, 3), 90, np.uint8))
    return store.add_sighting(found)


class Browser(httpx.Client):
    """An httpx client that keeps its cookies like a browser; ``with`` closes it (logged in or not)."""

    def __enter__(self) -> "Browser":
        return self


@dataclass
class Api:
    world: World
    url: str
    app: FastAPI
    services: Services
    cameras: dict[str, Camera]

    def client(self, username: str | None = None, device_id: str | None = None) -> Browser:
        """A browser-like client (cookie session); logged in as ``username`` when given."""
        client = Browser(base_url=self.url, timeout=15)
        if username:
            response = client.post("/api/session", headers=CSRF, json=self.credentials(username, device_id))
            assert response.status_code == 200, response.text
        return client

    def credentials(self, username: str, device_id: str | None = None) -> dict[str, str | None]:
        self.world.clock.advance(seconds=30)  # each code works once: every login takes the next one
        return {"username": username, "password": PASSWORD, "device_id": device_id,
                "code": pyotp.TOTP(self.world.secrets[username]).at(self.world.clock())}

    def ledger_entry(self, seq: int) -> dict:
        return next(e for e in self.world.gov.ledger.entries() if e["seq"] == seq)


class Served:
    """uvicorn in a thread on a free loopback port (the way `sereno serve` runs the app)."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None,
                                                    timeout_graceful_shutdown=1, access_log=False))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    settings = load_settings(tmp_path_factory.mktemp("api") / "data")
    world = build_world(settings)
    live = LOOP_CLIP.is_file()
    cameras = {
        # cam-1 loops real video (when the shared data is here) for the live view; cam-2 belongs to the state.
        "cam-1": Camera("cam-1", "Garita", 32.5422, -117.0293, f"file://{LOOP_CLIP}#loop", heading=200.0,
                        analysis_fps=5.0, enabled=live),
        "cam-2": Camera("cam-2", "Carretera estatal", 32.5300, -117.0100, "/nonexistent/cam-2.mp4", agency=STATE,
                        enabled=False),
    }
    save_cameras(settings.cameras_path, list(cameras.values()))
    with Store.open(settings) as store:
        media = MediaStore(settings.media_path)
        for plate, camera in (("LS15EBC", "cam-1"), ("ABC1234", "cam-1"), ("LS15EBC", "cam-2")):
            save_with_images(store, media, sighting(plate, cameras[camera], world))
    app = create_app(settings, workers=live, analyser_factory=NothingFound, clock=world.clock)
    with Served(app) as url:
        yield Api(world, url, app, app.state.services, cameras)
    world.gov.close()


@pytest.fixture(scope="module")
def investigator(api: Api) -> Iterator[httpx.Client]:
    with api.client("inv") as client:
        yield client
