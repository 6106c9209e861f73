"""What the worker asks of vision for one analysed frame: objects, plate boxes, and plate readings on demand.

Detection and reading are separate calls so that the worker reads only the plates it still needs (a track that
already has enough agreeing reads is not read again), runs the object detector on a subset of frames, and runs the
plate detector on the whole frame only now and then (``regions=None``), otherwise only where the tracked vehicles
are, each enlarged so that a far car's plate is found (docs/video-pipeline.md).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from sereno.config import Settings
from sereno.domain import Box, Detection, PlateRead
from sereno.geometry import scaled
from sereno.pipeline.tracker import PLATED_LABELS, plate_worth_reading


class FrameAnalyser(Protocol):
    def detect(self, image_bgr: np.ndarray, objects: bool = True,
               regions: Sequence[Box] | None = None) -> tuple[list[Detection], list[Detection]]:
        """Objects (vehicles, persons; empty when ``objects`` is False) and plate boxes in one frame.

        Plates are looked for in the whole frame when ``regions`` is None, else only inside ``regions`` (where
        tracked vehicles should be) and inside the vehicles just detected."""
        ...

    def read(self, image_bgr: np.ndarray, box: Box) -> PlateRead | None:
        """The reading of the plate in ``box``; None when nothing plate-like can be read."""
        ...


VEHICLE_MARGIN = 1.1  # a detected vehicle's box, scaled this much, is where its plate is looked for


# Workers start together, one thread each: loading (first imports, the ONNX graph rebuilt for the frame shape) one
# at a time avoids races seen in parallel loads ("AST constructor recursion depth mismatch" from one camera).
_LOADING = threading.Lock()


class VisionAnalyser:
    """The real models: ObjectDetector + PlateDetector + PlateReader. One instance per worker thread.

    Raises ``sereno.vision.models.ModelMissing`` (telling the user to run ``sereno models install``) when the
    detector models are not installed.
    """

    def __init__(self, settings: Settings, threads: int | None = None, region: str = "auto",
                 thorough: bool = False) -> None:
        """``thorough``: the plate detector's extra passes (inside vehicles, and around each plate to tighten its
        box). On video they are off by default: an approaching car's plate grows from frame to frame and is read
        when close; on the LS15EBC clip they cost ~40% more CPU for the same reading (measured before 2026-12-05;
        the detail step now also looks at the whole frame in 1280 px, so more)."""
        from sereno.vision.detectors import ObjectDetector, PlateDetector
        from sereno.vision.plate_reader import SURE_READ, PlateReader

        with _LOADING:
            self.objects = ObjectDetector(settings, threads=threads)
            self.plates = PlateDetector(settings, threads=threads, detail=thorough, refine=thorough)
            self.reader = PlateReader(settings, region=region, threads=threads, sure_read=SURE_READ)

    def detect(self, image_bgr: np.ndarray, objects: bool = True,
               regions: Sequence[Box] | None = None) -> tuple[list[Detection], list[Detection]]:
        found = self.objects.detect(image_bgr) if objects else []
        if regions is None:
            return found, self.plates.detect(image_bgr, vehicles=[d for d in found if d.label in PLATED_LABELS])
        vehicles = [scaled(d.box, VEHICLE_MARGIN) for d in found if plate_worth_reading(d.label, d.box)]
        return found, self.plates.detect_in(image_bgr, [*regions, *vehicles])

    def read(self, image_bgr: np.ndarray, box: Box) -> PlateRead | None:
        return self.reader.read(image_bgr, box)
