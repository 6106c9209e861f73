"""A real Sereno site for the browser tests: the demo installation made through the real account API, sample
cameras looping real clips, the demo hotlist (it lists LS15EBC, the plate the border camera sees), a car's route
past three cameras (real photo and plate, stored through the Store API), and the API app with its camera workers
served by uvicorn on a free loopback port.

The governance clock is the real one plus an offset the tests can move (a tablet's feed grant expires without
waiting for it). ``python -m tests.web.site`` serves the same site by hand, for looking at the pages.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import uvicorn

from sereno.api import create_app
from sereno.api.demo import SAMPLES, prepare_demo
from sereno.config import Settings, load_settings
from sereno.domain import PlateRead, Sighting, utcnow
from sereno.governance import GovernanceError, identity
from sereno.governance.demo import DemoAccounts, demo_code, demo_login
from sereno.store import Store
from sereno.store.media import MediaStore
from sereno.video.cameras_file import load_cameras, save_cameras

# The border camera reads the hotlisted plate; one highway camera gives the wall a second moving picture. The
# other sample cameras stay configured but disabled (they show as stopped), which keeps two shared cores free.
LIVE_CAMERAS = {"tij-garita": 5.0, "tij-via-rapida-a": 2.0}
STARTUP_S = 60
RECORDING_SEGMENT_S = 5  # short recorded segments, so that the camera page has some to play within the tests

# The route: a real US photo whose plate is labelled CCLVN3 (openalpr benchmark), seen at three cameras that do not
# run here, so searches over them find exactly these sightings.
ROUTE_PHOTO = "alpr/openalpr-us-endtoend/1e241dc8-8f18-4955-8988-03a0ab49f813.jpg"
ROUTE_PLATE = "CCLVN3"
ROUTE_PLATE_BOX = (569, 318, 63, 31)  # x, y, width, height in the photo (its label file)
ROUTE_STOPS = (("tij-revolucion", 50), ("tij-zona-rio", 35), ("tij-via-rapida-b", 20))  # camera, minutes ago


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Clock:
    """The server's governance clock: now, plus an offset a test moves forward."""

    offset: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return utcnow() + self.offset


@dataclass
class Site:
    url: str
    settings: Settings
    accounts: DemoAccounts
    clock: Clock
    app: object
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def gov(self):  # noqa: ANN201  (the running app's Governance)
        return self.app.state.services.gov

    def password(self, username: str) -> str:
        return self.accounts.get(username).password

    def code(self, username: str) -> str:
        """A 6-digit code the login accepts now (by the server's clock), as `sereno demo code` prints it. Each
        code works once: when this account used every code valid now, wait for the next one (at most 30 s)."""
        try:
            return demo_code(self.gov, self.settings, username)
        except GovernanceError:
            time.sleep(identity.TOTP_STEP_SECONDS - self.clock().timestamp() % identity.TOTP_STEP_SECONDS + 0.5)
            return demo_code(self.gov, self.settings, username)

    def register_tablet(self, label: str) -> str:
        """A tablet registered by the demo administrator, as `sereno admin device-add` does; returns its id."""
        token = demo_login(self.gov, self.settings, "admin")
        try:
            return identity.register_device(self.gov, identity.resolve(self.gov, token), label)
        finally:
            identity.logout(self.gov, token)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def store_route(settings: Settings, shared: Path) -> list[Sighting]:
    """The route car's sightings, with the photo as snapshot and its plate as crop, as a camera worker stores them."""
    photo = cv2.imread(str(shared / ROUTE_PHOTO))
    x, y, w, h = ROUTE_PLATE_BOX
    media = MediaStore(settings.media_path)
    cameras = {c.id: c for c in load_cameras(settings.cameras_path)}
    now = utcnow()
    sightings = []
    for camera_id, minutes_ago in ROUTE_STOPS:
        camera = cameras[camera_id]
        s = Sighting(camera_id=camera_id, observed_at=now - timedelta(minutes=minutes_ago), object_class="car",
                     box=(x - 120.0, y - 160.0, x + w + 120.0, y + h + 60.0), lat=camera.lat, lon=camera.lon,
                     plate=PlateRead(text=ROUTE_PLATE, confidence=0.93, raw_text=ROUTE_PLATE, region="us",
                                     box=(float(x), float(y), float(x + w), float(y + h)), frames=6), frames=9)
        s.plate_crop_path = media.save_jpeg(f"route/{s.id}-plate.jpg", photo[y:y + h, x:x + w])
        s.snapshot_path = media.save_jpeg(f"route/{s.id}-context.jpg", photo)
        sightings.append(s)
    with Store.open(settings) as store:
        assert store.add_sightings(sightings) == []  # not on any hotlist
    return sightings


def prepare(data_dir: Path, shared: Path) -> tuple[Settings, DemoAccounts]:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "sereno.yaml").write_text(f"recording_segment_s: {RECORDING_SEGMENT_S}\n", encoding="utf-8")
    settings = load_settings(data_dir)
    setup = prepare_demo(settings, shared / "video")
    cameras = [replace(c, enabled=c.id in LIVE_CAMERAS, analysis_fps=LIVE_CAMERAS.get(c.id, c.analysis_fps))
               for c in load_cameras(settings.cameras_path)]
    assert {c.id for c in cameras} == {s.id for s in SAMPLES}, "a sample clip is missing from the shared data"
    save_cameras(settings.cameras_path, cameras)
    store_route(settings, shared)
    return settings, setup.accounts


def start(data_dir: Path, shared: Path, port: int | None = None) -> Site:
    """``shared``: the shared data folder (video/ and alpr/)."""
    settings, accounts = prepare(data_dir, shared)
    clock = Clock()
    app = create_app(settings, workers=True, clock=clock)
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, name="sereno-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the test server did not start on port {port}")
        time.sleep(0.1)
    return Site(f"http://127.0.0.1:{port}", settings, accounts, clock, app, server, thread)


if __name__ == "__main__":  # serve the test site by hand: python -m tests.web.site DATA_DIR [PORT]
    import sys

    from tests.realdata import SHARED_DATA

    site = start(Path(sys.argv[1]), SHARED_DATA, int(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(f"{site.url}  (codes: sereno -d {sys.argv[1]} demo code USERNAME)", flush=True)
    try:
        while site.thread.is_alive():
            time.sleep(1)
    finally:
        site.stop()
        os._exit(0)
