"""Read a plate: crop it from the frame, get per-character probabilities from a recogniser, decode with formats.

Two recognisers, same decoder (``plate_formats.decode``):
- ``PlateOCR`` (our own fixed-slot model, sereno/vision/plate_ocr.py) when its committed model file exists;
- otherwise PP-OCRv4 from rapidocr-onnxruntime: its text detector finds the plate's character rows (which drops state
  names, slogans and country bands, and splits two-line plates), and its recogniser's CTC output is collapsed to one
  probability row per emitted character. Both ONNX files ship inside the PyPI package; nothing is downloaded.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from sereno.config import Settings
from sereno.domain import Box, PlateRead
from sereno.plates import PLATE_CHARS, normalize_plate
from sereno.vision.images import shrunk
from sereno.vision.onnx import make_session
from sereno.vision.plate_formats import Reading, check_region, decode_scored

log = logging.getLogger(__name__)

# Fractions of the box added on each side: detectors often clip the first or last character, but their boxes reach
# well above and below the plate (bumper, frame text), so the height is trimmed. Chosen on the detector-like
# validation crops (docs/accuracy.md).
CROP_MARGIN_X = 0.06
CROP_MARGIN_Y = -0.06
# Our recogniser reads a box through several crops and keeps the reading that best fits a plate format: narrower
# and wider crops recover characters an edge cut off, or drop a frame's print the main crop took in. Main crop first.
# Five crops read 94.5% of the detector-like validation plates against 91.8% for the main crop alone
# (docs/accuracy.md); the PP-OCRv4 fallback reads the main crop only (its text detector already finds the rows).
READ_MARGINS = ((CROP_MARGIN_X, CROP_MARGIN_Y), (0.03, -0.12), (0.10, 0.0), (0.0, -0.06), (0.12, -0.06))
# Video has many frames of each plate to pool (multi-frame consensus), so the camera pipeline stops at the main crop
# when it gives a format fit this sure: same accuracy on the validation plates, 1.7 crops per plate instead of 5.
SURE_READ = 0.9
# A photo in which no plate is found may be only a plate (a cropped one, a close-up); read whole, its reading is kept
# when it fits a plate format at least this surely. Readings of whole photos without a plate (78 face photos, 74
# frames of the shared videos) fit one at most 0.4; 95% of the real crops' training splits fit at 0.65 or more
# (docs/detection.md, "Close-ups").
WHOLE_IMAGE_MIN_CONFIDENCE = 0.6
WHOLE_IMAGE_LONG_SIDE = 1280  # px: a photo read whole is shrunk to this first (the reader looks at far fewer pixels)
# Our recogniser also reads a crop around the plate's character rows (``row_crop``): the box widened by this on each
# side to look for them (a clipped first or last character), and their rectangle grown by these fractions of its width
# and height. With the five crops: 95.4% of the detector-like validation plates against 94.5%, and 91.1% against 87.3%
# when the boxes reach 25% further above and below the plate, as on real photos (docs/accuracy.md, "Row crop").
ROW_SEARCH_MARGIN_X = 0.10
ROW_CROP_PAD = (0.04, 0.15)
MIN_CROP_HEIGHT = 48  # smaller crops are upscaled (bicubic) before recognition
# An unsure reading of a low-contrast crop is tried again with these luminance percentiles stretched to 0-255. Low
# contrast: less than a quarter of the scale between them. Every dimmed or washed-out training crop is below it, but
# only 7% of the straight Brazilian ones (a grey plate) and almost no US or Argentine ones: stretched, those lost a
# plate per set (docs/accuracy.md, "Dark and washed-out crops").
STRETCH_PERCENTILES = (1, 99)
LOW_CONTRAST = 64
PLATE_ROW_HEIGHT = 0.7  # rows at least this fraction of the tallest text carry the plate's characters
SECOND_LINE_HEIGHT = 0.4  # two-line plates may print one line smaller (motorcycles): rows this tall may join
TWO_LINE_ASPECT = 1.7  # an image narrower than this (width / height) may hold two lines of characters
MIN_DESKEW_DEGREES = 2.0  # below this a straight crop reads as well and costs no interpolation


class Recogniser(Protocol):
    name: str

    def readings(self, crop_bgr: np.ndarray) -> list[Reading]:
        """Alternative readings of one plate crop, each a (positions, len(PLATE_CHARS)) matrix, one probability row
        per plate character, with what was seen between them when the recogniser can tell. The decoder keeps the one
        that best fits a plate format."""
        ...


def crop_with_margin(image_bgr: np.ndarray, box: Box,
                     margin: tuple[float, float] = (CROP_MARGIN_X, CROP_MARGIN_Y)) -> np.ndarray | None:
    """The plate box plus a margin (fractions of its width and height on each side; negative trims), clipped to the
    frame; None when the box lies outside the frame or is empty."""
    height, width = image_bgr.shape[:2]
    x1, y1, x2, y2 = box
    mx, my = (x2 - x1) * margin[0], (y2 - y1) * margin[1]
    left, top = max(0, int(x1 - mx)), max(0, int(y1 - my))
    right, bottom = min(width, int(round(x2 + mx))), min(height, int(round(y2 + my)))
    if right - left < 4 or bottom - top < 4:
        return None
    return image_bgr[top:bottom, left:right]


def upscale_small(crop_bgr: np.ndarray, min_height: int = MIN_CROP_HEIGHT) -> np.ndarray:
    if crop_bgr.ndim == 2:
        crop_bgr = cv2.cvtColor(crop_bgr, cv2.COLOR_GRAY2BGR)
    height = crop_bgr.shape[0]
    if height >= min_height:
        return crop_bgr
    scale = min_height / height
    return cv2.resize(crop_bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def contrast_stretched(crop_bgr: np.ndarray) -> np.ndarray | None:
    """A low-contrast crop (a plate at night, under-exposed, or washed out by glare: its luminance's 1st-99th
    percentiles less than ``LOW_CONTRAST`` apart) with those percentiles stretched to 0-255; None for any other
    crop, and for a flat one."""
    if crop_bgr.size == 0:
        return None
    gray = crop_bgr if crop_bgr.ndim == 2 else cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY)
    low, high = np.percentile(gray, STRETCH_PERCENTILES)
    if not 1 <= high - low < LOW_CONTRAST:
        return None
    return np.clip((crop_bgr.astype(np.float32) - low) * (255.0 / (high - low)), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- PP-OCRv4 (rapidocr-onnxruntime) ----------------


def rapidocr_model_dir() -> Path:
    import rapidocr_onnxruntime

    return Path(rapidocr_onnxruntime.__file__).parent / "models"


def vocabulary_to_plate_chars(vocabulary: list[str]) -> np.ndarray:
    """A (len(vocabulary), len(PLATE_CHARS)) 0/1 matrix folding recogniser symbols onto plate characters.

    Lower case folds onto upper case; symbols that are no plate character (blank, '-', '·', CJK ...) map to nothing.
    """
    index = {c: i for i, c in enumerate(PLATE_CHARS)}
    fold = np.zeros((len(vocabulary), len(PLATE_CHARS)), dtype=np.float32)
    for row, symbol in enumerate(vocabulary):
        plate_char = normalize_plate(symbol) if len(symbol) == 1 else ""
        if len(plate_char) == 1:
            fold[row, index[plate_char]] = 1.0
    return fold


def collapse_ctc(step_probs: np.ndarray, fold: np.ndarray, blank: int = 0) -> np.ndarray:
    """Greedy CTC collapse to one probability row per emitted plate character.

    Each run of one repeated non-blank symbol is one character; its row is the softmax at the run's most confident
    step, folded onto plate characters and renormalised. Runs of symbols that are no plate character are dropped.
    """
    best = step_probs.argmax(axis=1)
    rows = []
    start = 0
    for step in range(1, len(best) + 1):
        if step < len(best) and best[step] == best[start]:
            continue
        symbol = best[start]
        if symbol != blank and fold[symbol].any():
            peak = start + int(step_probs[start:step, symbol].argmax())
            row = step_probs[peak] @ fold
            rows.append(row / row.sum())
        start = step
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(PLATE_CHARS))


Quad = np.ndarray  # (4, 2) corner points of one detected text box, in crop pixels


def _span(points: np.ndarray) -> tuple[float, float]:
    return float(points[:, 1].min()), float(points[:, 1].max())


def group_rows(quads: list[Quad]) -> list[list[Quad]]:
    """Text boxes grouped into rows (vertical centre inside another box's span), rows top to bottom, boxes left to
    right."""
    rows: list[list[Quad]] = []
    for quad in sorted(quads, key=lambda q: sum(_span(q)) / 2):
        centre = sum(_span(quad)) / 2
        for row in rows:
            if any(_span(q)[0] <= centre <= _span(q)[1] for q in row):
                row.append(quad)
                break
        else:
            rows.append([quad])
    return [sorted(row, key=lambda q: float(q[:, 0].min())) for row in rows]


def _text_height(quad: Quad) -> float:
    """Height of the text in a box, tilt removed (the short side of its rotated rectangle)."""
    return min(cv2.minAreaRect(quad.astype(np.float32))[1])


def split_lines(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top and bottom line of a two-line image, cut at the row with the least character edges in its middle band."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    edges = np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)).sum(axis=1)
    edges = np.convolve(edges, np.ones(3) / 3, mode="same")
    height = len(edges)
    low, high = int(0.3 * height), max(int(0.3 * height) + 1, int(0.7 * height))
    cut = low + int(edges[low:high].argmin())
    return image[:cut], image[cut:]


def plate_text_rows(quads: list[Quad], min_relative_height: float = PLATE_ROW_HEIGHT) -> list[np.ndarray]:
    """The rows that carry the plate's characters: the tallest text, dropping small print (state names, slogans,
    dealer frames). Returns each row's corner points (N, 2), rows top to bottom."""
    if not quads:
        return []
    tallest = max(_text_height(q) for q in quads)
    big = [q for q in quads if _text_height(q) >= min_relative_height * tallest]
    return [np.concatenate(row).astype(np.float32) for row in group_rows(big)]


def _level_rectangle(points: np.ndarray) -> tuple[tuple[float, float], float, float, float]:
    """Centre, width (long side), height and tilt in degrees (-90, 90] of the rotated rectangle around ``points``.
    Computed from the corners, because OpenCV versions disagree on ``minAreaRect``'s angle convention."""
    rect = cv2.minAreaRect(points)
    corners = cv2.boxPoints(rect)
    edges = [corners[1] - corners[0], corners[2] - corners[1]]
    long_edge, short_edge = sorted(edges, key=lambda e: float(np.hypot(*e)), reverse=True)
    angle = float(np.degrees(np.arctan2(long_edge[1], long_edge[0])))
    if angle > 90:
        angle -= 180
    elif angle <= -90:
        angle += 180
    return rect[0], float(np.hypot(*long_edge)), float(np.hypot(*short_edge)), angle


def upright_crop(image: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The rotated rectangle around ``points``, turned level (tilted plates and camera roll); None when tiny."""
    (cx, cy), w, h, angle = _level_rectangle(points)
    if w < 4 or h < 4:
        return None
    if abs(angle) < MIN_DESKEW_DEGREES:
        x1, y1 = max(0, int(points[:, 0].min())), max(0, int(points[:, 1].min()))
        x2, y2 = int(np.ceil(points[:, 0].max())), int(np.ceil(points[:, 1].max()))
        crop = image[y1:y2, x1:x2]
        return crop if min(crop.shape[:2]) >= 4 else None
    rotation = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
    level = cv2.warpAffine(image, rotation, (image.shape[1], image.shape[0]), flags=cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REPLICATE)
    return cv2.getRectSubPix(level, (int(round(w)), int(round(h))), (cx, cy))


class TextRowDetector:
    """PP-OCRv4's text detector (rapidocr-onnxruntime): where the rows of text are in a plate crop."""

    DET_HEIGHT = 128  # the crop is resized to this height for row detection (a multiple of 32)
    DET_MAX_WIDTH = 512

    def __init__(self, threads: int = 1, runtime_name: str = "auto") -> None:
        from rapidocr_onnxruntime.ch_ppocr_det import TextDetector

        model = rapidocr_model_dir() / "ch_PP-OCRv4_det_infer.onnx"
        self.det = TextDetector({
            "model_path": str(model),
            "intra_op_num_threads": threads, "inter_op_num_threads": 1, "use_cuda": False, "use_dml": False,
            "limit_side_len": 32, "limit_type": "min", "mean": [0.5] * 3, "std": [0.5] * 3,
            "thresh": 0.3, "box_thresh": 0.5, "max_candidates": 50, "unclip_ratio": 1.6, "use_dilation": True,
            "score_mode": "fast",
        })
        # Run the detector's network through the project's session factory too (runtime, providers, threads).
        session = make_session(model, threads=threads, runtime_name=runtime_name)
        input_name = session.get_inputs()[0].name
        self.det.infer = lambda image: session.run(None, {input_name: image})

    def plate_rows(self, crop_bgr: np.ndarray, min_relative_height: float) -> list[np.ndarray]:
        """Corner points (crop pixels) of the crop's text rows at least ``min_relative_height`` of the tallest, top
        to bottom (``plate_text_rows``). Grayscale crops (infrared cameras) are read as well."""
        if crop_bgr.ndim == 2:
            crop_bgr = cv2.cvtColor(crop_bgr, cv2.COLOR_GRAY2BGR)
        height, width = crop_bgr.shape[:2]
        scale = min(self.DET_HEIGHT / height, self.DET_MAX_WIDTH / width)
        resized = cv2.resize(crop_bgr, (max(32, int(width * scale)), max(32, int(height * scale))))
        quads, _ = self.det(resized)
        if quads is None or len(quads) == 0:
            return []
        scale_back = np.array([width / resized.shape[1], height / resized.shape[0]], dtype=np.float32)
        return plate_text_rows([q * scale_back for q in quads], min_relative_height)


def grown(points: np.ndarray, pad: tuple[float, float]) -> np.ndarray:
    """The corners of the rotated rectangle around ``points``, grown by ``pad`` (fractions of its width and height)
    on each side."""
    centre, width, height, angle = _level_rectangle(points)
    size = (width * (1 + 2 * pad[0]), height * (1 + 2 * pad[1]))
    return cv2.boxPoints((centre, size, angle)).astype(np.float32)


def row_corners(image_bgr: np.ndarray, box: Box, rows: TextRowDetector) -> np.ndarray | None:
    """Where to read a plate by its characters rather than by the detector's box: the corners (frame pixels) of the
    character rows the text detector finds inside the box (widened by ``ROW_SEARCH_MARGIN_X``), grown by
    ``ROW_CROP_PAD``. A loose box's bumper, frame print and stickers fall outside. None when no text is found."""
    height, width = image_bgr.shape[:2]
    x1, y1, x2, y2 = box
    margin = ROW_SEARCH_MARGIN_X * (x2 - x1)
    left, top = max(0, int(x1 - margin)), max(0, int(y1))
    right, bottom = min(width, int(x2 + margin)), min(height, int(y2))
    if right - left < 8 or bottom - top < 8:
        return None
    found = rows.plate_rows(image_bgr[top:bottom, left:right], PLATE_ROW_HEIGHT)
    if not found:
        return None
    return grown(np.concatenate(found) + np.array([left, top], dtype=np.float32), ROW_CROP_PAD)


def row_crop(image_bgr: np.ndarray, box: Box, rows: TextRowDetector) -> np.ndarray | None:
    """The crop at ``row_corners``, levelled; None when no text is found."""
    corners = row_corners(image_bgr, box, rows)
    if corners is None:
        return None
    # Level only the part of the frame around the corners: turning a whole 1280x720 frame costs more than reading.
    height, width = image_bgr.shape[:2]
    left, top = max(0, int(corners[:, 0].min()) - 2), max(0, int(corners[:, 1].min()) - 2)
    right, bottom = min(width, int(corners[:, 0].max()) + 3), min(height, int(corners[:, 1].max()) + 3)
    if right - left < 4 or bottom - top < 4:
        return None
    return upright_crop(image_bgr[top:bottom, left:right], corners - np.array([left, top], dtype=np.float32))


class PpocrRecogniser:
    """PP-OCRv4 text-row detection + recognition, giving per-character probabilities."""

    name = "pp-ocrv4"
    REC_HEIGHT = 48

    def __init__(self, threads: int = 1, runtime_name: str = "auto") -> None:
        models = rapidocr_model_dir()
        self.rec = make_session(models / "ch_PP-OCRv4_rec_infer.onnx", threads=threads, runtime_name=runtime_name)
        vocabulary = self.rec.get_modelmeta().custom_metadata_map["character"].splitlines()
        self.fold = vocabulary_to_plate_chars(["<blank>", *vocabulary, " "])
        self.rows = TextRowDetector(threads, runtime_name)

    def text_rows(self, crop_bgr: np.ndarray, min_relative_height: float) -> list[np.ndarray]:
        """The crop's text rows at least ``min_relative_height`` of the tallest, levelled, top to bottom."""
        rows = (upright_crop(crop_bgr, points) for points in self.rows.plate_rows(crop_bgr, min_relative_height))
        return [row for row in rows if row is not None]

    def recognise_row(self, row_bgr: np.ndarray) -> np.ndarray:
        """One text row (48 px high, width to scale) through the recogniser: its per-character probability rows.
        (Batching the rows of a crop was measured: no faster on CPU, since rows are padded to the widest.)"""
        height, width = row_bgr.shape[:2]
        target_width = max(self.REC_HEIGHT, int(np.ceil(self.REC_HEIGHT * width / height)))
        resized = cv2.resize(row_bgr, (target_width, self.REC_HEIGHT), interpolation=cv2.INTER_CUBIC)
        tensor = (resized.astype(np.float32).transpose(2, 0, 1) / 127.5 - 1.0)[np.newaxis]
        step_probs = self.rec.run(None, {self.rec.get_inputs()[0].name: tensor})[0][0]
        return collapse_ctc(step_probs, self.fold)

    def readings(self, crop_bgr: np.ndarray) -> list[Reading]:
        """The whole crop; each plate-character row alone; consecutive rows joined (two-line plates, whose second
        line may be smaller, as on motorcycles); and near-square images split into two lines (when the text detector
        took both lines for one)."""
        rows = self.text_rows(crop_bgr, SECOND_LINE_HEIGHT)
        read = [self.recognise_row(row) for row in rows]
        tallest = max((row.shape[0] for row in rows), default=0)
        alternatives = [self.recognise_row(crop_bgr)]
        for first in range(len(rows)):
            if rows[first].shape[0] >= PLATE_ROW_HEIGHT * tallest:  # small print is never a plate on its own
                alternatives.append(read[first])
            alternatives.extend(np.concatenate(read[first:last]) for last in range(first + 2, len(rows) + 1))
        for image in (crop_bgr, *rows):
            if image.shape[1] < TWO_LINE_ASPECT * image.shape[0] and image.shape[0] >= 16:
                alternatives.append(np.concatenate([self.recognise_row(line) for line in split_lines(image)]))
        return [Reading(probs) for probs in alternatives]


# ---------------------------------------------------------------- our own PlateOCR ----------------------------------


DOUBTFUL_PAD = 0.8  # a pad slot below this probability may hide a character: read it both ways


def slots_to_positions(slots: np.ndarray, alphabet: str, extra_slot: int | None = None) -> np.ndarray:
    """Fixed-slot output (slots, len(alphabet)), pad symbol last, as plate-character rows: slots whose first choice
    is the pad are dropped (except ``extra_slot``), the rest mapped onto PLATE_CHARS. Rows keep their pad share out
    (they sum to P(not pad)), so the decoder sees how sure the model is that a character is there at all."""
    slots = np.asarray(slots, dtype=np.float64)
    keep = slots.argmax(axis=1) != len(alphabet) - 1
    if extra_slot is not None:
        keep[extra_slot] = True
    folded = slots[keep] @ vocabulary_to_plate_chars(list(alphabet))
    return folded[folded.sum(axis=1) > 0]


def slot_readings(slots: np.ndarray, alphabet: str) -> list[np.ndarray]:
    """The model's own reading, and, when one pad slot is doubtful, the reading with that slot as a character."""
    slots = np.asarray(slots, dtype=np.float64)
    pad = len(alphabet) - 1
    readings = [slots_to_positions(slots, alphabet)]
    doubtful = [i for i in range(len(slots)) if slots[i].argmax() == pad and slots[i, pad] < DOUBTFUL_PAD]
    if doubtful:
        readings.append(slots_to_positions(slots, alphabet, min(doubtful, key=lambda i: slots[i, pad])))
    return readings


class PlateOcrRecogniser:
    """The project's fixed-slot recogniser (sereno/vision/plate_ocr.py)."""

    name = "plate-ocr"

    def __init__(self, threads: int = 1, runtime_name: str = "auto") -> None:
        from sereno.vision.plate_ocr import ALPHABET, PlateOCR

        self.model = PlateOCR(threads=threads, runtime_name=runtime_name)
        self.alphabet = ALPHABET
        self.fold = vocabulary_to_plate_chars(list(ALPHABET))

    def readings(self, crop_bgr: np.ndarray) -> list[Reading]:
        slots, gaps = self.model.char_probs_with_gaps(crop_bgr)
        readings = slot_readings(slots, self.alphabet)
        if gaps is None:  # a fixed-slot model: no gaps to look into
            return [Reading(probs) for probs in readings]
        return [Reading(readings[0], gaps.astype(np.float64) @ self.fold)]  # CTC: one reading, pads are certain


def plate_ocr_available() -> bool:
    try:
        from sereno.vision.plate_ocr import PlateOCR
    except ImportError:
        return False
    return PlateOCR.is_available()


def make_recogniser(backend: str = "auto", threads: int = 1, runtime_name: str = "auto") -> Recogniser:
    """``auto``: our PlateOCR when its model is committed, else PP-OCRv4. ``plate-ocr`` / ``pp-ocrv4`` force one.
    ``runtime_name``: the ``inference_runtime`` setting."""
    if backend == "auto":
        backend = PlateOcrRecogniser.name if plate_ocr_available() else PpocrRecogniser.name
    if backend == PlateOcrRecogniser.name:
        if not plate_ocr_available():
            raise ValueError("our PlateOCR model (sereno/vision/models/plate_ocr.onnx) is not in this installation: "
                             "use the pp-ocrv4 reader, or rebuild the model with the training command")
        return PlateOcrRecogniser(threads, runtime_name)
    if backend == PpocrRecogniser.name:
        return PpocrRecogniser(threads, runtime_name)
    raise ValueError(f"unknown plate recogniser {backend!r}: use auto, plate-ocr or pp-ocrv4")


class PlateReader:
    """Plate box (or crop) in, decoded ``PlateRead`` out. One instance per worker thread (sessions are not shared)."""

    def __init__(
        self, settings: Settings, region: str = "auto", threads: int | None = None, backend: str = "auto",
        sure_read: float | None = None,
    ) -> None:
        """``sure_read``: stop at the main crop when its reading fits a format with at least this confidence (for
        video, where frames are pooled); None reads every crop (a still image has one chance)."""
        self.region = check_region(region)
        self.sure_read = sure_read
        threads = threads or settings.onnx_threads
        self.recogniser = make_recogniser(backend, threads, settings.inference_runtime)
        ours = self.recogniser.name == PlateOcrRecogniser.name
        self.margins = READ_MARGINS if ours else READ_MARGINS[:1]
        self.rows = TextRowDetector(threads, settings.inference_runtime) if ours else None
        log.info("plate reader ready", extra={"backend": self.recogniser.name, "region": self.region})

    @property
    def backend(self) -> str:
        return self.recogniser.name

    def read(self, image_bgr: np.ndarray, box: Box) -> PlateRead | None:
        """Read the plate inside ``box`` of a full frame through every crop of ``margins`` and, with our recogniser,
        the ``row_crop`` (only the main crop when its reading is sure, with ``sure_read``), then, when the best
        reading is still unsure, the main crop ``contrast_stretched`` (``_with_stretch``); the result carries the
        box."""
        main, *others = self.margins
        main_crop = crop_with_margin(image_bgr, box, main)
        scored = self._scored(main_crop)
        if self.sure_read is None or unsure(self._best(scored), self.sure_read):
            scored += [s for margin in others for s in self._scored(crop_with_margin(image_bgr, box, margin))]
            if self.rows is not None:
                scored += self._scored(row_crop(image_bgr, box, self.rows))
        plate = self._with_stretch(main_crop, scored)
        if plate is None:
            return None
        return replace(plate, box=tuple(float(v) for v in box))

    def read_whole(self, image_bgr: np.ndarray) -> PlateRead | None:
        """A photo in which no plate was found, read as one plate (``read`` with the whole image as the box, a large
        photo first shrunk to ``WHOLE_IMAGE_LONG_SIDE``); None unless the reading fits a plate format with
        ``WHOLE_IMAGE_MIN_CONFIDENCE``. The reading's box is the whole photo."""
        photo = shrunk(image_bgr, WHOLE_IMAGE_LONG_SIDE)
        plate = self.read(photo, _whole(photo))
        if unsure(plate, WHOLE_IMAGE_MIN_CONFIDENCE):
            return None
        return replace(plate, box=_whole(image_bgr))

    def read_crop(self, crop_bgr: np.ndarray) -> PlateRead | None:
        """Read an already cropped plate; None when no plate character is found. When that reading is unsure (it fits
        no format, or below ``SURE_READ``), the crop's character rows are read too, levelled (``row_crop`` over the
        whole crop): the recogniser reads a plate tilted 20 degrees in its crop almost never right, its levelled rows
        mostly (docs/accuracy.md, "Tilted crops"; read always, the rows cost 3 of 151 straight US crops, "Row
        crop"); then, while still unsure, the crop ``contrast_stretched`` (a dark or washed-out plate: "Dark and
        washed-out crops")."""
        scored = self._scored(crop_bgr)
        if self.rows is not None and unsure(self._best(scored)):
            scored += self._scored(row_crop(crop_bgr, _whole(crop_bgr), self.rows))
        return self._with_stretch(crop_bgr, scored)

    def _with_stretch(self, crop_bgr: np.ndarray | None, scored: list[tuple[float, PlateRead]]) -> PlateRead | None:
        """The best of ``scored``; while that is unsure (below ``SURE_READ``, whatever ``sure_read`` says), with
        ``crop_bgr`` read ``contrast_stretched`` too (a low-contrast crop only: another one gives no stretched
        reading)."""
        plate = self._best(scored)
        if crop_bgr is not None and unsure(plate):
            plate = self._best(scored + self._scored(contrast_stretched(crop_bgr)))
        return plate

    def _scored(self, crop_bgr: np.ndarray | None) -> list[tuple[float, PlateRead]]:
        if crop_bgr is None or crop_bgr.size == 0 or min(crop_bgr.shape[:2]) < 4:
            return []
        readings = self.recogniser.readings(upscale_small(crop_bgr))
        scored = [decode_scored(reading.probs, self.region, reading.gaps) for reading in readings]
        return [s for s in scored if s is not None]

    @staticmethod
    def _best(scored: list[tuple[float, PlateRead]]) -> PlateRead | None:
        # A reading that fits a plate format beats one that fits none, whatever their lengths; then the best score.
        return max(scored, key=lambda s: (s[1].region is not None, s[0]))[1] if scored else None


def unsure(plate: PlateRead | None, sure: float = SURE_READ) -> bool:
    """No reading, or one that fits no plate format, or fits one with less than ``sure`` confidence."""
    return plate is None or plate.region is None or plate.confidence < sure


def _whole(image: np.ndarray) -> Box:
    """The whole image as a box."""
    return (0.0, 0.0, float(image.shape[1]), float(image.shape[0]))
