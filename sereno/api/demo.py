"""``sereno serve --demo``: the demo installation (sereno.governance.demo), sample cameras in Tijuana that loop real
public clips in real time, and a demo hotlist holding the plate one of them shows (LS15EBC), so that an alert
arrives each time that car passes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sereno.config import Settings
from sereno.domain import Camera
from sereno.governance import Governance, identity
from sereno.governance.demo import DemoAccounts, demo_login, ensure_demo_installation
from sereno.intel.governed import Reader, import_hotlist, list_hotlists
from sereno.store import Store
from sereno.video.cameras_file import load_cameras, save_cameras
from sereno.video.sources import LOOP_SUFFIX

DEMO_HOTLIST = Path(__file__).resolve().parents[2] / "examples" / "hotlist-demo.csv"
HOTLIST_NAME = "demo"
HOTLIST_MANAGER = "supervisora"  # the demo account that manages hotlists (sereno.governance.demo.PEOPLE)


@dataclass(frozen=True)
class SampleCamera:
    id: str
    name: str
    clip: str  # under <shared data>/video
    lat: float
    lon: float
    heading: float
    region: str = "auto"
    fps: float = 4.0

    def camera(self, video: Path) -> Camera:
        return Camera(id=self.id, name=self.name, lat=self.lat, lon=self.lon, heading=self.heading,
                      analysis_url=f"file://{video / self.clip}{LOOP_SUFFIX}", analysis_fps=self.fps,
                      region=self.region)


SAMPLES = (
    # The plate clip was filmed in the UK: its plate has the UK layout, so the camera expects "eu" plates.
    SampleCamera("tij-garita", "Garita San Ysidro, carril de salida", "car-approach-plate-LS15EBC.mp4",
                 32.5422, -117.0293, 200.0, region="eu", fps=5.0),
    SampleCamera("tij-via-rapida-a", "Vía Rápida Oriente, km 3", "highway-320x240-a.avi", 32.5170, -117.0105, 95.0),
    SampleCamera("tij-via-rapida-b", "Vía Rápida Poniente, km 5", "highway-320x240-b.avi", 32.5098, -116.9941, 275.0),
    SampleCamera("tij-zona-rio", "Estacionamiento Plaza Río", "parking-lot-overhead.mp4", 32.5259, -117.0197, 0.0),
    SampleCamera("tij-revolucion", "Avenida Revolución y Calle 3", "street-pedestrians-vtest.avi", 32.5339, -117.0373,
                 150.0),
)


@dataclass
class DemoSetup:
    accounts: DemoAccounts
    cameras_added: list[str] = field(default_factory=list)
    clips_missing: list[str] = field(default_factory=list)
    hotlist_imported: bool = False


def add_sample_cameras(settings: Settings, video: Path, setup: DemoSetup) -> None:
    """Add the sample cameras whose clips exist to cameras.yaml (once; a camera already there is left alone)."""
    cameras = load_cameras(settings.cameras_path)
    known = {c.id for c in cameras}
    for sample in SAMPLES:
        if not (video / sample.clip).is_file():
            setup.clips_missing.append(str(video / sample.clip))
        elif sample.id not in known:
            cameras.append(sample.camera(video))
            setup.cameras_added.append(sample.id)
    if setup.cameras_added:
        save_cameras(settings.cameras_path, cameras)


def import_demo_hotlist(gov: Governance, store: Store, settings: Settings, setup: DemoSetup) -> None:
    """The demo hotlist, imported through the gate by the demo supervisor (once)."""
    token = demo_login(gov, settings, HOTLIST_MANAGER)
    try:
        reader = Reader(gov, store, identity.resolve(gov, token), tuple(load_cameras(settings.cameras_path)))
        if not any(h.name == HOTLIST_NAME for h in list_hotlists(reader)):
            import_hotlist(reader, DEMO_HOTLIST, HOTLIST_NAME, None)
            setup.hotlist_imported = True
    finally:
        identity.logout(gov, token)


def prepare_demo(settings: Settings, video: Path) -> DemoSetup:
    """Everything ``sereno serve --demo`` needs before it starts; safe to run again."""
    with Governance.open(settings) as gov, Store.open(settings) as store:
        setup = DemoSetup(ensure_demo_installation(gov, settings))
        add_sample_cameras(settings, video, setup)
        import_demo_hotlist(gov, store, settings, setup)
    return setup
