"""Live view: the latest analysed frame of each camera, as JPEG, with the analysis overlay on request; and the
overlay alone (``overlay_json``), which the browser draws over the video of the recording stream.

The camera workers hand every analysed frame to ``FrameHub.publish`` (the worker's ``on_analysed`` hook): that
only keeps a reference, so a camera nobody watches costs nothing here. A watcher asks for ``jpeg(camera,
overlay)``: the frame is encoded once per new frame and overlay mode, however many people watch, so encoding never
runs faster than the analysis rate.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import cv2
import numpy as np

from sereno.domain import Camera, Detection, Frame
from sereno.pipeline.tracker import PlateObservation

log = logging.getLogger(__name__)

JPEG_QUALITY = 80
HOLD_S = 1.0  # boxes stay on screen this long after the last frame that found them (detection skips frames)
BOUNDARY = "frame"
COLOURS = {"plate": (0, 215, 255), "person": (255, 160, 60)}  # BGR; vehicles use the default
VEHICLE_COLOUR = (80, 220, 80)


@dataclass(frozen=True, slots=True)
class LiveFrame:
    version: int
    image: np.ndarray  # BGR, as analysed
    at: datetime  # stream time of the frame
    objects: tuple[Detection, ...]
    plates: tuple[PlateObservation, ...]


class FrameHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, LiveFrame] = {}
        self._held: dict[str, tuple[datetime, tuple[Detection, ...], tuple[PlateObservation, ...]]] = {}
        self._encoded: dict[tuple[str, bool], tuple[int, bytes]] = {}
        self._encoding: dict[tuple[str, bool], threading.Lock] = {}

    def publish(self, camera: Camera, frame: Frame, objects: list[Detection],
                plates: list[PlateObservation]) -> None:
        """The worker hook. Never raises: a live-view problem must not stop a camera."""
        try:
            with self._lock:
                seen_at, held_objects, held_plates = self._held.get(camera.id, (frame.timestamp, (), ()))
                if objects or plates:
                    self._held[camera.id] = (frame.timestamp, tuple(objects), tuple(plates))
                    held_objects, held_plates = tuple(objects), tuple(plates)
                elif (frame.timestamp - seen_at).total_seconds() > HOLD_S:
                    held_objects, held_plates = (), ()
                previous = self._latest.get(camera.id)
                self._latest[camera.id] = LiveFrame((previous.version + 1) if previous else 1, frame.image,
                                                    frame.timestamp, held_objects, held_plates)
        except Exception:  # noqa: BLE001  (logged; the camera goes on)
            log.exception("live view could not take a frame", extra={"camera": camera.id})

    def version(self, camera_id: str) -> int:
        with self._lock:
            latest = self._latest.get(camera_id)
        return latest.version if latest else 0

    def latest(self, camera_id: str) -> LiveFrame | None:
        with self._lock:
            return self._latest.get(camera_id)

    def jpeg(self, camera_id: str, overlay: bool) -> tuple[int, bytes] | None:
        """(version, JPEG bytes) of the newest frame, encoded at most once per version and mode."""
        key = (camera_id, overlay)
        with self._lock:
            lock = self._encoding.setdefault(key, threading.Lock())
        with lock:  # concurrent watchers wait for one encoding instead of each doing it
            frame = self.latest(camera_id)
            if frame is None:
                return None
            with self._lock:
                cached = self._encoded.get(key)
            if cached and cached[0] == frame.version:
                return cached
            image = draw_overlay(frame) if overlay else frame.image
            ok, data = cv2.imencode(".jpg", image, [int(cv2.IMWRITE_JPEG_QUALITY), JPEG_QUALITY])
            if not ok:
                return None
            encoded = (frame.version, data.tobytes())
            with self._lock:
                self._encoded[key] = encoded
            return encoded


def _label(image: np.ndarray, text: str, x: int, y: int, colour: tuple[int, int, int], scale: float) -> None:
    (width, height), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    top = max(0, y - height - base - 2)
    cv2.rectangle(image, (x, top), (x + width + 4, top + height + base + 2), colour, -1)
    cv2.putText(image, text, (x + 2, top + height + 1), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA)


def draw_overlay(frame: LiveFrame) -> np.ndarray:
    """A copy of the frame with object boxes (class and score) and plate boxes with the text read."""
    image = frame.image.copy()
    side = max(image.shape[:2])
    thickness = max(1, side // 400)
    scale = max(0.4, side / 1600)
    for d in frame.objects:
        colour = COLOURS.get(d.label, VEHICLE_COLOUR)
        x1, y1, x2, y2 = (int(v) for v in d.box)
        cv2.rectangle(image, (x1, y1), (x2, y2), colour, thickness)
        _label(image, f"{d.label} {d.score:.2f}", x1, y1, colour, scale)
    for p in frame.plates:
        x1, y1, x2, y2 = (int(v) for v in p.detection.box)
        cv2.rectangle(image, (x1, y1), (x2, y2), COLOURS["plate"], thickness + 1)
        text = f"{p.read.text} {p.read.confidence:.2f}" if p.read else "plate"
        _label(image, text, x1, y2 + int(24 * scale) + 4, COLOURS["plate"], scale)
    return image


def epoch_ms(at: datetime) -> float:
    return round(at.timestamp() * 1000, 1)


def overlay_json(frame: LiveFrame) -> dict[str, Any]:
    """What the analysis found in a frame, for drawing over the video: boxes in the analysed frame's pixels (its
    ``width`` and ``height``), ``at`` its stream time (ms since 1970) to match the video's."""
    height, width = frame.image.shape[:2]
    return {"type": "overlay", "at": epoch_ms(frame.at), "width": width, "height": height,
            "objects": [{"label": d.label, "score": round(d.score, 2), "box": [round(v, 1) for v in d.box]}
                        for d in frame.objects],
            "plates": [{"text": p.read.text if p.read else None,
                        "confidence": round(p.read.confidence, 2) if p.read else None,
                        "box": [round(v, 1) for v in p.detection.box]} for p in frame.plates]}


def mjpeg_part(jpeg: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
            + jpeg + b"\r\n")
