"""Run many cameras at once: one thread per camera.

Threads, not processes: the heavy work (FFmpeg decoding, ONNX Runtime inference, OpenCV) runs in C and releases
the GIL, so threads use the cores; they share one database engine and need no inter-process plumbing, and memory
per camera is what its own models and frames take. A camera that fails only ends or retries its own thread.
Processes would isolate native crashes in a decoder; run several ``sereno run`` processes on disjoint camera sets
(or machines) for that, and for more cores than one process uses well.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from sereno.config import Settings
from sereno.domain import Camera
from sereno.pipeline.analysis import FrameAnalyser
from sereno.pipeline.worker import AnalysedCallback, CameraWorker, SightingCallback, SightingSink, WorkerReport
from sereno.store.media import MediaStore
from sereno.video.sources import is_live

log = logging.getLogger(__name__)


class Runner:
    def __init__(self, settings: Settings, cameras: Sequence[Camera], sink: SightingSink,
                 analyser_factory: Callable[[Camera], FrameAnalyser],
                 on_sighting: SightingCallback | None = None, on_analysed: AnalysedCallback | None = None) -> None:
        self.stop_event = threading.Event()
        media = MediaStore(settings.media_path)
        # A camera whose source is a file is processed once; live streams reconnect until stopped.
        self.workers = [CameraWorker(camera, settings, sink, media, analyser_factory, self.stop_event,
                                     once=not is_live(camera.analysis_url), on_sighting=on_sighting,
                                     on_analysed=on_analysed)
                        for camera in cameras if camera.enabled]
        self.threads: list[threading.Thread] = []

    @property
    def reports(self) -> list[WorkerReport]:
        return [w.report for w in self.workers]

    def start(self) -> None:
        for worker in self.workers:
            thread = threading.Thread(target=self._guarded, args=(worker,), name=f"camera-{worker.camera.id}",
                                      daemon=True)
            thread.start()
            self.threads.append(thread)

    @staticmethod
    def _guarded(worker: CameraWorker) -> None:
        try:
            worker.run()
        except Exception:  # a bug in one worker must not go unnoticed, nor take the others down
            log.exception("camera worker crashed", extra={"camera": worker.camera.id})

    def alive(self) -> bool:
        return any(t.is_alive() for t in self.threads)

    def accept_view(self, camera_id: str) -> bool:
        """Take a camera's current view as its normal one (tamper reference); False when no worker here runs it."""
        for worker in self.workers:
            if worker.camera.id == camera_id:
                worker.tamper.accept_view()
                return True
        return False

    def stop(self, timeout_s: float = 15.0) -> None:
        """Ask every worker to finish (each flushes its tracks into sightings) and wait for them."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout_s)


def process_file(settings: Settings, camera: Camera, source: str, sink: SightingSink, analyser: FrameAnalyser,
                 start_time: datetime | None = None, on_sighting: SightingCallback | None = None,
                 on_frame: Callable[[int], None] | None = None, stop: threading.Event | None = None) -> WorkerReport:
    """Process one file (or one stream until it ends) as fast as possible as ``camera``, in this thread."""
    worker = CameraWorker(replace(camera, analysis_url=source), settings, sink, MediaStore(settings.media_path),
                          lambda _camera: analyser, stop or threading.Event(), once=True, start_time=start_time,
                          on_sighting=on_sighting, on_frame=on_frame)
    return worker.run()
