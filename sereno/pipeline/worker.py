"""One camera's worker: frames -> motion gate -> vision -> tracker -> sightings (committed) -> alerts.

Live sources reconnect with backoff after a failure or the end of the stream; files are processed once.
Every state change (starting / online / offline / error + reason) goes to the store, so ``sereno cameras list``
shows it. Nothing a camera does can raise out of ``run()``: a dead camera never stops the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sereno.config import Settings
from sereno.domain import Alert, Camera, CameraKind, CameraState, CameraStatus, Detection, Frame, Sighting, utcnow
from sereno.pipeline.analysis import FrameAnalyser
from sereno.pipeline.sightings import save_media, sighting_from_track
from sereno.pipeline.tracker import PlateObservation, Tracker, TrackState
from sereno.store.media import MediaStore
from sereno.video.backoff import Backoff
from sereno.video.motion import MotionGate
from sereno.video.sources import FrameSource, SourceError, describe
from sereno.video.tamper import TamperDetector

log = logging.getLogger(__name__)

STATUS_EVERY_S = 10.0  # how often an online camera's counters are written to the store
ERROR_BACKOFF_FACTOR = 5.0  # an unusable source (bad URL, undecodable) is retried much more slowly
OBJECT_EVERY = 3  # run the object detector on every 3rd frame that passes the motion gate (it costs the most)
# Plates are looked for in the whole frame on every other object-detection frame, elsewhere only where vehicles are:
# a car the object detector misses is still found by its plate, then followed around it (Tracker.regions).
SWEEP_EVERY = 2 * OBJECT_EVERY


class SightingSink(Protocol):
    def add_sighting(self, sighting: Sighting) -> list[Alert]: ...

    def set_camera_status(self, status: CameraStatus) -> None: ...


SightingCallback = Callable[[Sighting, list[Alert]], None]
# Called with every analysed frame and what was found in it (empty lists when the motion gate skipped it): the
# live view. Runs on the camera's thread, so it must be quick (keep a reference, encode elsewhere).
AnalysedCallback = Callable[[Camera, Frame, list[Detection], list[PlateObservation]], None]


@dataclass
class WorkerReport:
    """Live counters of one worker, read by the CLI's status table (written by the worker thread only)."""

    camera_id: str
    state: CameraState = CameraState.STARTING
    reason: str = ""
    frames_decoded: int = 0
    frames_analysed: int = 0
    frames_inferred: int = 0  # analysed frames that passed the motion gate
    sightings: int = 0
    plates: int = 0
    alerts: int = 0
    errors: int = 0
    last_plate: str = ""
    warnings: list[str] = field(default_factory=list)


class CameraWorker:
    def __init__(self, camera: Camera, settings: Settings, sink: SightingSink, media: MediaStore,
                 analyser_factory: Callable[[Camera], FrameAnalyser], stop: threading.Event, once: bool = False,
                 start_time: datetime | None = None, on_sighting: SightingCallback | None = None,
                 on_frame: Callable[[int], None] | None = None, backoff: Backoff | None = None,
                 on_analysed: AnalysedCallback | None = None) -> None:
        self.camera = camera
        self.settings = settings
        self.sink = sink
        self.media = media
        self.analyser_factory = analyser_factory
        self.stop = stop
        self.once = once
        self.start_time = start_time
        self.on_sighting = on_sighting
        self.on_frame = on_frame
        self.on_analysed = on_analysed
        self.backoff = backoff or Backoff()
        self.report = WorkerReport(camera.id)
        # Kept across reconnects: a camera turned or covered while its stream was down is still caught.
        self.tamper = TamperDetector(check_turned=camera.kind != CameraKind.PTZ)  # PTZ cameras turn on purpose
        self._state_since = utcnow()
        self._last_frame_at: datetime | None = None
        self._last_problem = ""  # the latest failure since the source last worked

    # -- state ------------------------------------------------------------------------------------------------
    def _set_state(self, state: CameraState, reason: str = "") -> None:
        if state != self.report.state or reason != self.report.reason:
            self._state_since = utcnow()
            level = logging.WARNING if state in (CameraState.OFFLINE, CameraState.ERROR, CameraState.TAMPERED) \
                else logging.INFO
            log.log(level, "camera %s", state.value, extra={"camera": self.camera.id, "reason": reason})
        self.report.state, self.report.reason = state, reason
        self._write_status()

    def _write_status(self) -> None:
        status = CameraStatus(self.camera.id, self.report.state, self.report.reason, self._state_since,
                              self._last_frame_at, self.report.frames_decoded, self.report.frames_analysed)
        try:
            self.sink.set_camera_status(status)
        except Exception:  # the status table is informative; never let it stop the camera
            log.exception("could not record camera status", extra={"camera": self.camera.id})

    # -- main loop --------------------------------------------------------------------------------------------
    def run(self) -> WorkerReport:
        self._set_state(CameraState.STARTING)
        try:
            analyser = self.analyser_factory(self.camera)
        except Exception as exc:
            self._set_state(CameraState.ERROR, f"analysis models unavailable: {exc}")
            return self.report
        while not self.stop.is_set():
            failure = self._run_source(analyser)
            if self.once and failure is not None:
                self._set_state(CameraState.ERROR, failure.reason)
                return self.report
            if self.once or self.stop.is_set():
                break
            state = CameraState.ERROR if failure is not None and not failure.retry else CameraState.OFFLINE
            delay = self.backoff.next_delay() * (ERROR_BACKOFF_FACTOR if state == CameraState.ERROR else 1.0)
            reason = failure.reason if failure is not None else "stream ended"
            self._last_problem = reason
            self._set_state(state, f"{reason}; retrying in {delay:.0f} s")
            self.stop.wait(delay)
        if not self.stop.is_set():
            self._set_state(CameraState.STOPPED, "end of file")
        else:  # keep the last problem visible in `sereno cameras list` after a shutdown
            self._set_state(CameraState.STOPPED, f"stopped; last problem: {self._last_problem}" if self._last_problem
                            else "stopped")
        return self.report

    def _run_source(self, analyser: FrameAnalyser) -> SourceError | None:
        """Process one connection (or the whole file); returns the failure, None when the stream just ended."""
        fps = self.camera.analysis_fps or self.settings.analysis_fps
        source = FrameSource(self.camera.id, self.camera.analysis_url, fps, start_time=self.start_time)
        gate = MotionGate(self.settings.motion_threshold)
        tracker = Tracker(self.camera.id, timeout_s=max(2.0, 3.0 / fps))
        decoded_before, analysed_before = self.report.frames_decoded, self.report.frames_analysed
        failure: SourceError | None = None
        last_status = time.monotonic()
        try:
            for frame in source:
                alarm = self.tamper.check(frame.image, frame.timestamp)  # "dark", "covered", ... or None
                seen = CameraState.TAMPERED if alarm else CameraState.ONLINE
                if (self.report.state, self.report.reason) != (seen, alarm or ""):
                    if self.report.state not in (CameraState.ONLINE, CameraState.TAMPERED):  # the source works again
                        self.backoff.reset()
                        self._last_problem = ""
                    self._set_state(seen, alarm or "")
                self._last_frame_at = frame.timestamp
                self.report.frames_decoded = decoded_before + source.stats.frames_decoded
                self.report.frames_analysed = analysed_before + source.stats.frames_analysed
                objects, plates = self._analyse(analyser, gate, tracker, frame)
                if self.on_analysed:
                    self.on_analysed(self.camera, frame, objects, plates)
                self._emit(tracker.update(frame, objects, plates))
                if self.on_frame:
                    self.on_frame(frame.index)
                if time.monotonic() - last_status > STATUS_EVERY_S:
                    last_status = time.monotonic()
                    self._write_status()
                if self.stop.is_set():
                    break
        except SourceError as exc:
            failure = exc
            log.warning("source failed", extra={"camera": self.camera.id, "source": describe(self.camera.analysis_url),
                                                "reason": exc.reason})
        finally:
            self.report.frames_decoded = decoded_before + source.stats.frames_decoded
            self.report.frames_analysed = analysed_before + source.stats.frames_analysed
            self._emit(tracker.flush())
        shortfall = source.shortfall() if not source.live else None
        if shortfall:
            log.warning(shortfall, extra={"camera": self.camera.id})
            self.report.warnings.append(shortfall)
        return failure

    def _analyse(self, analyser: FrameAnalyser, gate: MotionGate, tracker: Tracker,
                 frame: Frame) -> tuple[list[Detection], list[PlateObservation]]:
        """Detections for one frame: none on a still scene; objects every ``OBJECT_EVERY`` gated frames (the
        tracker carries vehicles in between); plates every gated frame, looked for where the vehicles are and in
        the whole frame every ``SWEEP_EVERY`` gated frames (a car the object detector misses still shows its
        plate); read only where still needed."""
        if not gate.should_analyse(frame.image):
            return [], []
        gated = self.report.frames_inferred
        self.report.frames_inferred += 1
        regions = None if gated % SWEEP_EVERY == 0 else tracker.regions(frame.timestamp)
        try:
            objects, plate_boxes = analyser.detect(frame.image, objects=gated % OBJECT_EVERY == 0, regions=regions)
            plates = [PlateObservation(box, analyser.read(frame.image, box.box)
                                       if tracker.claim_read(box.box, frame.timestamp) else None)
                      for box in plate_boxes]
        except Exception:  # a model failing on one frame must not end the camera
            self.report.errors += 1
            log.exception("analysis failed on a frame; skipped", extra={"camera": self.camera.id,
                                                                        "frame": frame.index})
            return [], []
        return objects, plates

    def _emit(self, ended: list[TrackState]) -> None:
        for state in ended:
            try:
                sighting = sighting_from_track(state, self.camera)
                save_media(sighting, state, self.media)
                alerts = self.sink.add_sighting(sighting)
            except Exception:  # logged with the track: one bad track (or a database hiccup) must not end the camera
                self.report.errors += 1
                log.exception("could not store a sighting", extra={"camera": self.camera.id, "track": state.track.id,
                                                                   "reads": len(state.track.plate_reads)})
                continue
            self.report.sightings += 1
            self.report.alerts += len(alerts)
            if sighting.plate is not None:
                self.report.plates += 1
                self.report.last_plate = sighting.plate.text
            if self.on_sighting:
                self.on_sighting(sighting, alerts)
