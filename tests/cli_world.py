"""The governance world of tests/governance_world.py, for tests that drive the CLI: one person's session is stored
where `sereno login` stores it, and the camera list names the cameras whose sightings the test reads."""

from __future__ import annotations

from sereno.config import Settings
from sereno.domain import Camera, utcnow
from sereno.governance.session_file import save_token
from sereno.video.cameras_file import save_cameras
from tests.governance_world import World, build_world


def cli_world(settings: Settings, cameras: list[Camera]) -> World:
    """The world on ``settings``' data directory, its clock set to now: the CLI checks sessions on the real clock."""
    world = build_world(settings)
    world.clock.now = utcnow()
    save_cameras(settings.cameras_path, cameras)
    return world


def log_in(world: World, settings: Settings, username: str) -> None:
    """What `sereno login` leaves behind for this person."""
    save_token(settings, world.login(username))


def camera(camera_id: str, lat: float = 32.5149, lon: float = -117.0382, agency: str | None = None) -> Camera:
    return Camera(id=camera_id, name=camera_id, lat=lat, lon=lon, analysis_url="rtsp://10.0.0.5/sub", agency=agency)
