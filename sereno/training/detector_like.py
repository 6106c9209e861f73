"""Detector-like validation crops: plates read the way the end-to-end pipeline reads them.

A plate (a real held-out crop, or a synthetic plate rendered flat) is pasted into a 1280x720 frame showing a car
around it (``synth.vehicle_backdrop``); the real plate detector (``sereno.vision.detectors.PlateDetector``) runs on the
frame, and the reader's crop (``plate_reader.crop_with_margin``) is taken from the detection that overlaps the plate
most. So the loose boxes of the detector are measured, and a recogniser can be scored on them, without touching the
end-to-end evaluation photos.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from sereno.domain import Detection
from sereno.geometry import iou
from sereno.training.datasets import Crop
from sereno.training.synth import LAYOUTS, label_of, plate_number, render_plate, vehicle_backdrop
from sereno.vision.plate_reader import crop_with_margin

FRAME_HW = (720, 1280)
PLATE_WIDTH = (100, 260)  # pixels in the 1280x720 frame: a car from a few metres to across the street
SMALL_PLATE_WIDTH = (50, 100)  # far cars, parking-lot CCTV: where a box a few pixels off cuts a character
# A European plate is 520 mm wide, an American or Mexican one about 305 mm, so at the same distance it is this many
# times wider in the frame (the widths above are for the ~2:1 plates).
EUROPEAN_WIDTH_RATIO = 520 / 305
VEHICLE_PLATE_RATIO = (4.0, 7.0)  # a vehicle's box is this many plate widths wide
MIN_IOU = 0.3  # as in `sereno eval alpr`: below this the plate counts as missed


@dataclass(frozen=True)
class Extent:
    """How far a detected box reaches past the plate: fractions of the plate's width (left, right) and height
    (top, bottom); negative when the box cuts into the plate."""
    left: float
    right: float
    top: float
    bottom: float
    iou: float


def frame_with_plate(
    plate_bgr: np.ndarray, rng: np.random.Generator, widths: tuple[int, int] = PLATE_WIDTH
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A 1280x720 frame with the plate pasted on a car (the plate ``widths`` pixels wide), and the plate's box."""
    height, width = FRAME_HW
    ph, pw = plate_bgr.shape[:2]
    target_w = int(rng.uniform(*widths))
    target_h = max(8, round(ph * target_w / pw))
    x1 = min(max(0, int(rng.uniform(0.15, 0.85) * width - target_w / 2)), width - target_w)  # inside the frame
    y1 = min(max(0, int(rng.uniform(0.35, 0.8) * height - target_h / 2)), height - target_h)
    box = (x1, y1, x1 + target_w, y1 + target_h)
    frame = cv2.cvtColor(vehicle_backdrop(height, width, box, rng), cv2.COLOR_RGB2BGR)
    frame[y1:y1 + target_h, x1:x1 + target_w] = cv2.resize(plate_bgr, (target_w, target_h),
                                                            interpolation=cv2.INTER_AREA)
    frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.3, 1.0))
    ok, encoded = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(50, 95))])
    return (cv2.imdecode(encoded, cv2.IMREAD_COLOR) if ok else frame), box


def extent_of(detected: tuple[float, float, float, float], plate: tuple[int, int, int, int]) -> Extent:
    pw, ph = plate[2] - plate[0], plate[3] - plate[1]
    return Extent((plate[0] - detected[0]) / pw, (detected[2] - plate[2]) / pw, (plate[1] - detected[1]) / ph,
                  (detected[3] - plate[3]) / ph, iou(detected, plate))


def vehicle_box_around(plate: tuple[int, int, int, int], rng: np.random.Generator) -> tuple[int, int, int, int]:
    """Where an object detector would put the car carrying ``plate`` (x1, y1, x2, y2), clipped to the frame:
    ``VEHICLE_PLATE_RATIO`` plate widths wide (a 30-52 cm plate on a 1.8-2.5 m car, plus the box's margin), 0.6-0.9
    as high as wide, the plate in its lower half. For measuring the plate detector inside vehicles
    (``PlateDetector.detect_in``) on the drawn cars, which have no box of their own."""
    x1, y1, x2, y2 = plate
    width = (x2 - x1) * rng.uniform(*VEHICLE_PLATE_RATIO)
    height = width * rng.uniform(0.6, 0.9)
    cx = (x1 + x2) / 2 + rng.uniform(-0.1, 0.1) * width
    cy = (y1 + y2) / 2 - rng.uniform(0.1, 0.3) * height
    frame_h, frame_w = FRAME_HW
    return (max(0, int(cx - width / 2)), max(0, int(cy - height / 2)),
            min(frame_w, int(cx + width / 2)), min(frame_h, int(cy + height / 2)))


def flat_synthetic_plates(count: int, seed: int, regions: tuple[str, ...]) -> list[Crop]:
    """``count`` synthetic plates of the given regions' layouts, rendered flat and tight (no camera effects)."""
    rng = np.random.default_rng(seed)
    layouts = [layout for layout in LAYOUTS if layout.region in regions]
    plates = []
    for i in range(count):
        layout = layouts[i % len(layouts)]
        drawn = plate_number(layout, rng)
        image = cv2.cvtColor(render_plate(layout, drawn, rng, height=int(rng.integers(60, 90))), cv2.COLOR_RGB2BGR)
        plates.append(Crop(image, label_of(drawn), f"synth-{layout.name}/{i}"))
    return plates


def best_match(boxes, plate_box: tuple[int, int, int, int]):
    """The box overlapping the plate most, as `sereno eval alpr` picks it; None when it overlaps less than MIN_IOU
    (a missed plate)."""
    best = max(boxes, key=lambda box: iou(box, plate_box), default=None)
    return best if best is not None and iou(best, plate_box) >= MIN_IOU else None


def best_detection(frame: np.ndarray, plate_box: tuple[int, int, int, int], detector, vehicles=None):
    """``best_match`` among the plates ``detector`` finds in ``frame`` (told about ``vehicles``)."""
    return best_match([d.box for d in detector.detect(frame, vehicles=vehicles) if d.label == "plate"], plate_box)


def plate_frames(plates: list[Crop], seed: int, widths: tuple[int, int] = PLATE_WIDTH):
    """Each plate in a frame: yields (plate, frame, the plate's box, where its car's box would be)."""
    rng, vehicle_rng = np.random.default_rng(seed), np.random.default_rng(seed + 1)
    for plate in plates:
        frame, box = frame_with_plate(plate.image, rng, widths)
        yield plate, frame, box, vehicle_box_around(box, vehicle_rng)


def detected_frames(plates: list[Crop], detector, seed: int, widths: tuple[int, int] = PLATE_WIDTH,
                    vehicles: bool = False):
    """Each plate in a frame: yields (plate, frame, the plate's box, the detector's best box or None when missed).
    ``vehicles``: the detector is told where the car is (``vehicle_box_around``), as an object detector would."""
    for plate, frame, box, vehicle in plate_frames(plates, seed, widths):
        cars = [Detection(vehicle, 1.0, "car")] if vehicles else None
        yield plate, frame, box, best_detection(frame, box, detector, cars)


def detector_like(plates: list[Crop], detector, seed: int) -> tuple[list[Crop], list[Extent], int]:
    """Each plate in a frame, cropped from the detector's best box: the crops (in the reader's margin), the boxes'
    extents, and how many plates the detector missed."""
    crops, extents, missed = [], [], 0
    for plate, frame, box, detected in detected_frames(plates, detector, seed):
        crop = crop_with_margin(frame, detected) if detected is not None else None
        if crop is None:
            missed += 1
            continue
        extents.append(extent_of(detected, box))
        crops.append(Crop(crop, plate.text, plate.source))
    return crops, extents, missed
