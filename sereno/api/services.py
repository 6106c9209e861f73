"""What the API's routes share for the life of the process: the governance, the store, the camera list, the event
hub, the live frames, and (under ``sereno serve``) the camera workers and recorders that feed the last two and the
live video."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from sereno.api.events import EventHub
from sereno.api.live import FrameHub
from sereno.api.schemas import alert_json, camera_event
from sereno.config import Settings
from sereno.domain import Alert, Camera, CameraStatus, Sighting
from sereno.governance import Governance, Principal
from sereno.governance.demo import is_demo_installation
from sereno.intel.governed import Reader
from sereno.pipeline.analysis import FrameAnalyser
from sereno.pipeline.runner import Runner
from sereno.governance.camera_alarms import CameraAlarmSink
from sereno.store import Store
from sereno.store.mapping import row_to_sighting
from sereno.store.tables import SightingRow
from sereno.video.cameras_file import load_cameras
from sereno.video.live_mux import LiveFeed
from sereno.video.recorder import RecorderPool


class PublishingSink:
    """The workers' sink: the store, plus a ``camera`` event whenever a camera's state or reason changes."""

    def __init__(self, store: Store, events: EventHub) -> None:
        self.store = store
        self.events = events
        self._last: dict[str, tuple[str, str]] = {}

    def add_sighting(self, sighting: Sighting) -> list[Alert]:
        return self.store.add_sighting(sighting)

    def set_camera_status(self, status: CameraStatus) -> None:
        self.store.set_camera_status(status)
        if self._last.get(status.camera_id) != (status.state.value, status.reason):
            self._last[status.camera_id] = (status.state.value, status.reason)
            self.events.publish("camera", camera_event(status))

    def __getattr__(self, name: str) -> Any:  # whatever else the workers ask of the store
        return getattr(self.store, name)


@dataclass
class Services:
    settings: Settings
    gov: Governance
    store: Store
    events: EventHub = field(default_factory=EventHub)
    frames: FrameHub = field(default_factory=FrameHub)
    runner: Runner | None = None  # while the camera workers run in this process
    recorder: RecorderPool | None = None
    # Streams record what they hand out (an access entry per alert and client) on this one thread, in order, so
    # that a slow ledger never holds up the next delivery; close() waits for every record.
    stream_records: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="stream-records"))
    closing: bool = False  # set at shutdown: open streams end
    # (session, camera) -> (monotonic time the recorded live-view decision stops being reused, the grant's end)
    live_views: dict[tuple[str | None, str], tuple[float, datetime | None]] = field(default_factory=dict)
    _cameras: tuple[Camera, ...] = ()
    _cameras_stamp: float | None = None

    @classmethod
    def open(cls, settings: Settings, clock: Callable[[], datetime] | None = None) -> "Services":
        gov = Governance.open(settings, clock=clock) if clock else Governance.open(settings)
        return cls(settings=settings, gov=gov, store=Store.open(settings))

    def cameras(self) -> tuple[Camera, ...]:
        """The configured cameras (cameras.yaml), read again when the file changes."""
        path = self.settings.cameras_path
        stamp = path.stat().st_mtime if path.exists() else None
        if stamp != self._cameras_stamp:
            self._cameras, self._cameras_stamp = tuple(load_cameras(path)), stamp
        return self._cameras

    def camera(self, camera_id: str) -> Camera | None:
        return next((c for c in self.cameras() if c.id == camera_id), None)

    def reader(self, principal: Principal) -> Reader:
        return Reader(self.gov, self.store, principal, self.cameras())

    @property
    def demo(self) -> bool:
        """A demonstration installation (``sereno demo`` / ``sereno serve --demo`` made its accounts)."""
        return is_demo_installation(self.settings)

    # -- alerts to the event stream ------------------------------------------------------------------------------
    def on_sighting(self, sighting: Sighting, alerts: list[Alert]) -> None:
        """The workers' ``on_sighting`` hook: each alert goes to the clients that may read its camera."""
        for alert in alerts:
            self.events.publish("alert", alert_json(alert, sighting), camera_id=sighting.camera_id)

    def evidence(self, alerts: Sequence[Alert]) -> dict[str, Sighting]:
        """The sightings behind alerts the caller already read through the gate, by sighting id."""
        if not alerts:
            return {}
        table = SightingRow.__table__
        with self.store.session() as session:
            rows = session.execute(select(table).where(table.c.id.in_([a.sighting_id for a in alerts]))).mappings()
            return {row["id"]: row_to_sighting(row) for row in rows}

    def publish_alerts(self, alerts: Sequence[Alert]) -> None:
        """Alerts raised or decided outside the workers (a hotlist import, a confirmation): to every screen that
        may read their camera."""
        sightings = self.evidence(alerts)
        for alert in alerts:
            if alert.sighting_id in sightings:
                self.on_sighting(sightings[alert.sighting_id], [alert])

    # -- camera workers ------------------------------------------------------------------------------------------
    def start_workers(self, analyser_factory: Callable[[Camera], FrameAnalyser]) -> int:
        """Run the enabled cameras in this process (threads); returns how many. Their sightings are stored, their
        alerts and state changes published, their analysed frames kept for the live view, their video recorded in
        segments for playback."""
        cameras = [c for c in self.cameras() if c.enabled]
        sink = CameraAlarmSink(PublishingSink(self.store, self.events), self.gov.ledger)
        self.runner = Runner(self.settings, cameras, sink, analyser_factory,
                             on_sighting=self.on_sighting, on_analysed=self.frames.publish)
        self.runner.start()
        self.recorder = RecorderPool(self.settings, cameras, self.runner.stop_event)
        self.recorder.start()
        return len(self.runner.workers)

    def accept_view(self, camera_id: str) -> bool:
        """A re-aimed camera's new view becomes its normal one; False when this process does not run the camera."""
        return self.runner is not None and self.runner.accept_view(camera_id)

    def live_feed(self, camera_id: str) -> LiveFeed | None:
        """The camera's video from its recording stream for the live view, when this process records it."""
        return self.recorder.live(camera_id) if self.recorder is not None else None

    def recording(self, camera: Camera) -> bool:
        """Whether this process is recording the camera's video now (for playback of segments)."""
        return self.recorder is not None and self.recorder.recording(camera.id)

    def close(self) -> None:
        self.closing = True
        self.events.close()
        self.stream_records.shutdown(wait=True)
        if self.runner is not None:
            self.runner.stop()
        if self.recorder is not None:
            self.recorder.stop()
        self.store.close()
        self.gov.close()
