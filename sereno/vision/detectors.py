"""Plate and object detectors: an ONNX YOLOv8 session each, created once, pure post-processing around it.

``ObjectDetector`` finds vehicles and persons (COCO YOLOv8n). ``PlateDetector`` finds licence plates (fastanpr's
YOLOv8n): one pass on the whole frame, then a closer look where small plates hide (see ``PlateDetector.detect``).
Both return ``sereno.domain.Detection`` boxes in frame pixels. One instance per worker thread.
"""

from __future__ import annotations

import ast
import logging
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from sereno.config import Settings
from sereno.domain import Box, Detection
from sereno.geometry import area, intersection
from sereno.vision import yolo
from sereno.vision.images import shrunk
from sereno.vision.models import (OBJECT_DETECTOR, PLATE_DETECTOR, QUANTIZED_PLATE_DETECTOR, ModelMissing,
                                  model_path)
from sereno.vision.onnx import OpenVinoSession, Session, make_session
from sereno.vision.yolo_graph import GraphLayoutError, retarget

log = logging.getLogger(__name__)

OBJECT_LABELS = ("car", "truck", "bus", "motorcycle", "bicycle", "person")
VEHICLE_LABELS = frozenset({"car", "truck", "bus", "motorcycle"})
# Ultralytics' own default is 0.25; a little stricter for objects, since a false vehicle costs a tracker slot.
DEFAULT_OBJECT_THRESHOLD = 0.3
DEFAULT_PLATE_THRESHOLD = 0.25
NMS_IOU = 0.45
OBJECT_SIZE = 640  # the COCO model's own fixed input; used as the long side if a model takes any size
MAX_SHAPES = 4  # input shapes a fixed-size detector is re-targeted to (one per camera aspect; photos vary more)


class ModelFormatError(Exception):
    """An installed model does not look like a YOLOv8 detector; reinstall it."""


class YoloSession:
    """An ONNX YOLOv8 detector: letterbox in, candidates out (before NMS). Fixed or dynamic input size.

    A fixed square graph (the COCO detector) is re-targeted to each image's aspect and size
    (``sereno.vision.yolo_graph``): a 1280x720 frame runs at 640x384 instead of 640x640. One session per input
    shape, created on first use and kept (a camera has one shape); beyond ``MAX_SHAPES`` shapes, or without the
    ``onnx`` package, the graph's own square input.
    """

    def __init__(self, path: Path, threads: int, runtime_name: str = "auto") -> None:
        self.path = path
        self.threads = threads
        self.runtime_name = runtime_name
        self.session = make_session(path, threads=threads, runtime_name=runtime_name)
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        height, width = model_input.shape[2:]
        self.fixed_size = height if isinstance(height, int) and height == width else None
        self.names = class_names(self.session.get_modelmeta().custom_metadata_map, path)
        # vehicle regions, whose shapes vary from frame to frame, are padded to multiples of this
        self.region_step = OpenVinoSession.SHAPE_STEP if isinstance(self.session, OpenVinoSession) else yolo.STRIDE
        self._by_shape: dict[tuple[int, int], Session] = {}
        self._retarget_failed = False

    def candidates(
        self, image_bgr: np.ndarray, size: int, labels: Mapping[int, str], thresholds: Mapping[str, float],
        step: int = yolo.STRIDE,
    ) -> yolo.Candidates:
        """``image_bgr`` at ``size`` (long side), padded to multiples of ``step`` (a multiple of the stride)."""
        shape = yolo.input_shape(image_bgr.shape[:2], size, square=False)
        canvas = yolo.padded_shape(shape, step)
        session = self._session_for(canvas)
        if session is None:  # a fixed graph that could not be re-targeted: pad to its square
            shape = canvas = (self.fixed_size, self.fixed_size)
            session = self.session
        tensor, transform = yolo.letterbox(image_bgr, shape, canvas)
        output = session.run(None, {self.input_name: tensor})[0]
        return yolo.decode(output, transform, labels, thresholds, image_bgr.shape[:2])

    def _session_for(self, shape: tuple[int, int]) -> Session | None:
        if self.fixed_size is None or shape == (self.fixed_size, self.fixed_size):
            return self.session
        if shape in self._by_shape:
            return self._by_shape[shape]
        if self._retarget_failed or len(self._by_shape) >= MAX_SHAPES:
            return None
        try:
            retargeted = retarget(self.path.read_bytes(), *shape)
        except (ImportError, GraphLayoutError) as exc:  # still correct, only slower: say so once
            self._retarget_failed = True
            log.warning("object detector runs at its square input (%s): %s", self.fixed_size, exc,
                        extra={"model": self.path.name})
            return None
        with tempfile.NamedTemporaryFile(suffix=".onnx") as handle:  # the runtime reads it while creating the session
            handle.write(retargeted)
            handle.flush()
            self._by_shape[shape] = make_session(Path(handle.name), threads=self.threads,
                                                 runtime_name=self.runtime_name)
        log.debug("detector re-targeted", extra={"model": self.path.name, "input": f"{shape[1]}x{shape[0]}"})
        return self._by_shape[shape]


def class_names(metadata: Mapping[str, str], path: Path) -> dict[int, str]:
    """Class id -> name from the ``names`` entry Ultralytics writes into the ONNX metadata."""
    try:
        names = ast.literal_eval(metadata["names"])
        return {int(k): str(v) for k, v in names.items()}
    except (KeyError, ValueError, SyntaxError, AttributeError) as exc:
        raise ModelFormatError(f"{path}: no class names in the model metadata ({exc}); "
                               "reinstall it: sereno models install --force") from exc


def _plate_model(settings: Settings, precision: str) -> Path:
    if precision == "float":
        return model_path(settings, PLATE_DETECTOR)
    if precision != "int8":
        raise ValueError(f"plate detector precision {precision!r}: use int8 or float")
    if not QUANTIZED_PLATE_DETECTOR.exists():
        raise ModelMissing(f"{QUANTIZED_PLATE_DETECTOR} is missing from this checkout: restore it (git checkout) "
                           "or set plate_detector_precision: float")
    return QUANTIZED_PLATE_DETECTOR


def _threads(settings: Settings, threads: int | None) -> int:
    return threads if threads is not None else settings.onnx_threads


class ObjectDetector:
    """Vehicles and persons: car, truck, bus, motorcycle, bicycle, person.

    ``thresholds`` overrides the minimum score per label (default 0.3 for all).
    """

    def __init__(
        self, settings: Settings, threads: int | None = None, thresholds: Mapping[str, float] | None = None
    ) -> None:
        self.model = YoloSession(model_path(settings, OBJECT_DETECTOR), _threads(settings, threads),
                                 settings.inference_runtime)
        self.labels = {i: name for i, name in self.model.names.items() if name in OBJECT_LABELS}
        missing = set(OBJECT_LABELS) - set(self.labels.values())
        if missing:
            raise ModelFormatError(f"the object detector has no class {', '.join(sorted(missing))}; "
                                   "reinstall it: sereno models install --force")
        unknown = set(thresholds or {}) - set(OBJECT_LABELS)
        if unknown:
            raise ValueError(f"thresholds for unknown labels {', '.join(sorted(unknown))}; "
                             f"labels are {', '.join(OBJECT_LABELS)}")
        self.thresholds = {label: DEFAULT_OBJECT_THRESHOLD for label in OBJECT_LABELS} | dict(thresholds or {})
        log.debug("object detector ready", extra={"thresholds": self.thresholds})

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        found = self.model.candidates(image_bgr, OBJECT_SIZE, self.labels, self.thresholds)
        return yolo.to_detections(found, yolo.nms(found, NMS_IOU))


class PlateDetector:
    """Licence plates (label "plate") in a BGR frame, in three steps (see ``docs/detection.md`` for the figures):

    1. the whole frame at ``size`` pixels (long side);
    2. detail passes for plates too small at that scale: the whole frame again at up to twice that size (when it
       is larger than ``size``), and inside each vehicle the caller passes (from an ``ObjectDetector``),
       enlarged to ``region_input`` px (``region_size``: a plate is about a sixth of its vehicle's width, and
       the detector finds plates reliably from about 120 px wide in its input); ``detail=False`` skips this step;
       and, with ``squeeze`` (whatever ``detail`` says), the whole frame once more at ``size``, squeezed to
       ``SQUEEZE_X`` of its width: the detector finds plates of about 2:1 (American, Mexican) far more reliably
       than long European ones (4.7:1), which the squeezed frame shows at about 2.3:1; it only adds plates the
       other passes missed (docs/detection.md, "Long plates");
    3. with ``zoom_out``, only when no other pass found a plate: the frame centred on a grey canvas ``ZOOM_OUT``
       times its size. The detector learnt plates in street scenes and misses one that fills the image (a
       close-up photo, a cropped plate); zoomed out, it is the size the detector knows (docs/detection.md,
       "Close-ups");
    4. each plate found is looked at again in a window twice its width, which tightens the box (the reader
       crops from it); ``refine=False`` skips this step.

    ``precision`` (default: the ``plate_detector_precision`` setting) picks the model of steps 1 and 2: "float",
    the installed detector, or "int8", the committed quantized one (``sereno/training/quantize.py``; a 640 pass
    costs two thirds of the float one, but it misses more small plates and its boxes are looser, so step 3 still
    places each plate with the float model; docs/detection.md has the figures). ``model_file`` replaces both with
    another one-class YOLOv8 plate detector exported to ONNX.
    """

    def __init__(
        self,
        settings: Settings,
        threads: int | None = None,
        score_threshold: float = DEFAULT_PLATE_THRESHOLD,
        size: int = 640,
        detail: bool = True,
        refine: bool = True,
        model_file: Path | None = None,
        precision: str | None = None,
        region_input: int | None = None,
        squeeze: bool = False,
        zoom_out: bool = False,
    ) -> None:
        """``region_input`` (default: the ``plate_region_input`` setting): long side in px at which a vehicle's
        region is looked at (``detect_in`` and the detail pass); 0 looks at it with the whole-frame pass's
        resolution (cheaper; misses far plates). ``squeeze``: also look at the frame squeezed (step 2).
        ``zoom_out``: look at a frame where nothing was found zoomed out (step 3; for still photos)."""
        precision = precision or settings.plate_detector_precision
        path = model_file or _plate_model(settings, precision)
        self.model = YoloSession(path, _threads(settings, threads), settings.inference_runtime)
        self.placer = self.model  # the model of the refinement step, which sets the boxes the reader crops from
        if model_file is None and precision == "int8" and refine:
            self.placer = YoloSession(model_path(settings, PLATE_DETECTOR), _threads(settings, threads),
                                      settings.inference_runtime)
        if len(self.model.names) != 1:
            raise ModelFormatError(f"the plate detector should have one class, it has {len(self.model.names)}; "
                                   "reinstall it: sereno models install --force")
        if self.model.fixed_size is not None:
            raise ModelFormatError("the plate detector should take any input size; reinstall it: "
                                   "sereno models install --force")
        self.labels = {next(iter(self.model.names)): "plate"}
        self.thresholds = {"plate": score_threshold}
        self.size = size
        self.detail = detail
        self.refine = refine
        self.squeeze = squeeze
        self.zoom_out = zoom_out
        self.region_input = settings.plate_region_input if region_input is None else region_input
        log.debug("plate detector ready", extra={"model": path.name, "size": size, "detail": detail, "refine": refine,
                                                 "squeeze": squeeze, "zoom_out": zoom_out})

    def detect(self, image_bgr: np.ndarray, vehicles: Sequence[Detection] | None = None) -> list[Detection]:
        """Plates in the frame, best score first. ``vehicles``: the frame's objects, to look closer inside them."""
        found = [self._pass(image_bgr, (0, 0), self.size)]
        if self.detail:
            found += self._detail_passes(image_bgr, vehicles)
        plates = self._plates(image_bgr, found, self._squeezed_pass(image_bgr) if self.squeeze else ())
        return plates or (self._zoomed_out(image_bgr) if self.zoom_out else [])

    def detect_in(self, image_bgr: np.ndarray, regions: Sequence[Box]) -> list[Detection]:
        """Plates inside ``regions`` only (where the vehicles are), best score first; each region enlarged for the
        detector (``region_input``), so that a far car's plate, which the whole-frame pass misses, is found."""
        return self._plates(image_bgr, self._region_passes(image_bgr, regions))

    def _plates(self, image_bgr: np.ndarray, passes: list[list[tuple[Box, float]]],
                only_new: Sequence[tuple[Box, float]] = ()) -> list[Detection]:
        """The passes' boxes merged, then refined; ``only_new`` boxes count only where no pass found a plate (the
        squeezed pass places a box at half the horizontal resolution, so it adds plates, never moves one)."""
        plates = _merge(passes, MERGE_IOU)
        if plates and only_new:
            overlaps = yolo.iou_matrix(np.array([box for box, _ in only_new]), np.array([box for box, _ in plates]))
            only_new = [item for item, overlap in zip(only_new, overlaps.max(axis=1)) if overlap < MERGE_IOU]
        plates = (plates + _merge([list(only_new)], MERGE_IOU))[:MAX_PLATES]
        if self.refine:
            plates = _merge([[self._refine(image_bgr, box, score) for box, score in plates]], MERGE_IOU)
        return [Detection(box=box, score=score, label="plate") for box, score in plates]

    def _pass(
        self, image_bgr: np.ndarray, offset: tuple[int, int], size: int, model: YoloSession | None = None,
        step: int = yolo.STRIDE,
    ) -> list[tuple[Box, float]]:
        candidates = (model or self.model).candidates(image_bgr, size, self.labels, self.thresholds, step)
        dx, dy = offset
        return [((b.box[0] + dx, b.box[1] + dy, b.box[2] + dx, b.box[3] + dy), b.score)
                for b in yolo.to_detections(candidates, yolo.nms(candidates, NMS_IOU))]

    def _squeezed_pass(self, image_bgr: np.ndarray) -> list[tuple[Box, float]]:
        """The whole frame at ``SQUEEZE_X`` of its width, its boxes stretched back to the frame."""
        height, width = image_bgr.shape[:2]
        squeezed_width = max(1, round(width * SQUEEZE_X))
        squeezed = cv2.resize(image_bgr, (squeezed_width, height), interpolation=cv2.INTER_AREA)
        stretch = width / squeezed_width
        return [((box[0] * stretch, box[1], box[2] * stretch, box[3]), score)
                for box, score in self._pass(squeezed, (0, 0), self.size)]

    def _zoomed_out(self, image_bgr: np.ndarray) -> list[Detection]:
        """Plates found (and refined) with the frame centred on a grey canvas ``ZOOM_OUT`` times its size, their
        boxes mapped back and kept inside the frame; a box much taller than wide is dropped (zoomed out, a face or
        a sign can pass for a plate; a motorcycle's near-square plate stays). The frame is first shrunk so that the
        canvas is at most ``ZOOM_OUT_CANVAS`` px long: the detector sees it at ``size`` anyway, and a phone photo
        would make a huge one."""
        height, width = image_bgr.shape[:2]
        inner = shrunk(image_bgr, ZOOM_OUT_CANVAS / ZOOM_OUT)
        inner_h, inner_w = inner.shape[:2]
        canvas = np.full((round(inner_h * ZOOM_OUT), round(inner_w * ZOOM_OUT), 3), yolo.PAD_VALUE, np.uint8)
        top, left = (canvas.shape[0] - inner_h) // 2, (canvas.shape[1] - inner_w) // 2
        canvas[top:top + inner_h, left:left + inner_w] = inner
        scale_x, scale_y = inner_w / width, inner_h / height
        plates = []
        for found in self._plates(canvas, [self._pass(canvas, (0, 0), self.size)]):
            x1, x2 = ((v - left) / scale_x for v in found.box[::2])
            y1, y2 = ((v - top) / scale_y for v in found.box[1::2])
            box = (max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2))
            if box[3] - box[1] >= 1 and box[2] - box[0] >= MIN_PLATE_ASPECT * (box[3] - box[1]):
                plates.append(Detection(box=box, score=found.score, label="plate"))
        return plates

    def _detail_passes(
        self, image_bgr: np.ndarray, vehicles: Sequence[Detection] | None
    ) -> list[list[tuple[Box, float]]]:
        long_side = max(image_bgr.shape[:2])
        passes = [self._pass(image_bgr, (0, 0), min(long_side, 2 * self.size))] if long_side > self.size else []
        regions = [v.box for v in vehicles or () if v.label in VEHICLE_LABELS and _short_side(v.box) >= MIN_VEHICLE_PX]
        return passes + self._region_passes(image_bgr, regions)

    def _region_passes(self, image_bgr: np.ndarray, regions: Sequence[Box]) -> list[list[tuple[Box, float]]]:
        """One pass per region (overlapping ones joined; the ``MAX_REGIONS`` largest), at ``region_size``.
        Enlarged, a small vehicle's whole rear can look like a plate to the detector (a white van in the street
        video, on every frame); a box that covers much of its region, or is much taller than wide, is dropped
        (a motorcycle's near-square plate seen at an angle stays)."""
        windows = sorted(_merged_windows(image_bgr.shape[:2], regions), key=area, reverse=True)[:MAX_REGIONS]
        passes = []
        for window in windows:
            x1, y1, x2, y2 = window
            found = self._pass(image_bgr[y1:y2, x1:x2], (x1, y1),
                               self.region_size(max(x2 - x1, y2 - y1), max(image_bgr.shape[:2])),
                               step=self.model.region_step)
            passes.append([(box, score) for box, score in found
                           if area(box) <= MAX_REGION_SHARE * area(window)
                           and box[2] - box[0] >= MIN_PLATE_ASPECT * (box[3] - box[1])])
        return passes

    def region_size(self, long_side: int, frame_long_side: int) -> int:
        """The input size (long side) at which a region ``long_side`` px long is looked at: ``region_input`` px,
        enlarged at most ``MAX_REGION_ZOOM`` times, never below the whole-frame pass's resolution (which may
        itself enlarge a frame smaller than ``size``). The detector finds a plate reliably only from about 120 px
        wide in its input, and a vehicle's plate is about a sixth of its width: at the whole frame's resolution a
        720p car's plate is that wide only a few metres from the camera (docs/detection.md, "Far plates")."""
        wanted = min(self.region_input, MAX_REGION_ZOOM * long_side)
        return max(yolo.STRIDE, round(max(self.size * long_side / frame_long_side, wanted)))

    def _refine(self, image_bgr: np.ndarray, box: Box, score: float) -> tuple[Box, float]:
        """The box found again in a window twice the plate's width around it; the original when not found."""
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        half = REFINE_WINDOW * (box[2] - box[0]) / 2
        window = _window(image_bgr.shape[:2], (cx - half, cy - half, cx + half, cy + half))
        if window is None:
            return box, score
        x1, y1, x2, y2 = window
        closer = self._pass(image_bgr[y1:y2, x1:x2], (x1, y1), REFINE_SIZE, self.placer)
        if not closer:
            return box, score
        overlaps = yolo.iou_matrix(np.array([box]), np.array([b for b, _ in closer]))[0]
        best = int(np.argmax(overlaps))
        if overlaps[best] < REFINE_MIN_IOU:
            return box, score
        return closer[best][0], max(score, closer[best][1])


class PhotoPlateDetector:
    """Plates in a still image (``sereno eval alpr``): the plate detector's passes over the whole frame (the
    squeezed one for long plates included; zoomed out when nothing is found, for close-ups), and the vehicles the
    object detector finds, each looked at enlarged (``PlateDetector.detect`` with ``vehicles=``). A photo has one
    chance and may be much larger than a video frame, where a plate is too small for the whole-frame passes; the
    vehicle is found at any size (docs/detection.md, "Far plates")."""

    def __init__(self, settings: Settings, threads: int | None = None) -> None:
        self.objects = ObjectDetector(settings, threads=threads)
        self.plates = PlateDetector(settings, threads=threads, squeeze=True, zoom_out=True)

    def detect(self, image_bgr: np.ndarray) -> list[Detection]:
        return self.plates.detect(image_bgr, vehicles=self.objects.detect(image_bgr))


MERGE_IOU = 0.3  # boxes of the same plate from different passes overlap at least this much
MAX_PLATES = 16  # plates refined per frame (a car park can show many; more is a misfire)
MIN_VEHICLE_PX = 48  # a vehicle narrower than this has an unreadable plate
MAX_REGIONS = 8  # regions looked at per frame, largest first
MAX_REGION_SHARE = 0.25  # a plate covers far less of its vehicle's box (about 1/6 of its width)
MIN_PLATE_ASPECT = 0.8  # width / height: plates are wider than tall (motorcycles' nearly square)
MAX_REGION_ZOOM = 2.0  # a vehicle's region is enlarged at most this many times (docs/detection.md, "Far plates")
REFINE_WINDOW = 2.0  # window side in plate widths
REFINE_SIZE = 320
REFINE_MIN_IOU = 0.1
ZOOM_OUT = 4.0  # canvas side in frame sides: a plate filling the frame then fills a quarter (best of 2.5, 4, 6)
ZOOM_OUT_CANVAS = 1280  # px, long side: the pass looks at 640, the refinement at 320 in windows twice a plate wide
SQUEEZE_X = 0.5  # a 4.7:1 European plate looks 2.35:1, the shape of the plates the detector knows best
WINDOW_OVERLAP = 0.5  # windows overlapping by this fraction of the smaller one are looked at as one


def _merge(passes: list[list[tuple[Box, float]]], iou_threshold: float) -> list[tuple[Box, float]]:
    """All boxes of all passes, overlapping ones reduced to the best scored; best score first."""
    boxes = [item for found in passes for item in found]
    if not boxes:
        return []
    candidates = yolo.Candidates(
        boxes=np.array([b for b, _ in boxes], dtype=np.float32),
        scores=np.array([s for _, s in boxes], dtype=np.float32),
        labels=np.array(["plate"] * len(boxes), dtype=object),
    )
    return [(boxes[i][0], float(boxes[i][1])) for i in yolo.nms(candidates, iou_threshold)]


def _window(image_hw: tuple[int, int], box: Box) -> tuple[int, int, int, int] | None:
    """``box`` clipped to the image as integer pixels; None when too small to look at."""
    height, width = image_hw
    x1, y1 = max(0, int(box[0])), max(0, int(box[1]))
    x2, y2 = min(width, int(np.ceil(box[2]))), min(height, int(np.ceil(box[3])))
    return (x1, y1, x2, y2) if x2 - x1 >= 8 and y2 - y1 >= 8 else None


def _merged_windows(image_hw: tuple[int, int], boxes: Sequence[Box]) -> list[tuple[int, int, int, int]]:
    """The boxes as image windows, mostly overlapping ones joined into their union (one pass instead of two)."""
    windows = [w for w in (_window(image_hw, box) for box in boxes) if w is not None]
    merged = True
    while merged:
        merged = False
        for i, j in ((i, j) for i in range(len(windows)) for j in range(i + 1, len(windows))):
            a, b = windows[i], windows[j]
            if intersection(a, b) >= WINDOW_OVERLAP * min(area(a), area(b)):
                windows[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                del windows[j]
                merged = True
                break
    return windows


def _short_side(box: Box) -> float:
    return min(box[2] - box[0], box[3] - box[1])
