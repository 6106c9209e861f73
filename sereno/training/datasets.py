"""Training and validation data for the plate recogniser.

Real crops: ``<alpr>/{us,br,ar}-crops/labels.csv`` (columns ``file,plate``), split BY PLATE with a hash of the plate
string, so that no plate is in both train and validation (``split_of``). ``openalpr-us-endtoend`` is evaluation-only
and never read here.

Training bank: real training crops (lightly augmented) mixed with synthetic plates (sereno.training.synth), rendered
once in parallel processes, then fed to the network epoch after epoch.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sereno.training.synth import LAYOUTS, degrade, place_in_scene, synth_plate
from sereno.vision.plate_ocr import ALPHABET, INPUT_HEIGHT, INPUT_WIDTH, SLOTS, preprocess

log = logging.getLogger(__name__)

CROP_SETS = ("us", "br", "ar")
VALIDATION_PERCENT = 20
MIN_LABEL_LENGTH = 2  # a few us-crops sample plates are labelled "0" for "0000": unusable as labels
# The held-out crops as a far car or a parking-lot CCTV camera records them, for validation: plate width in pixels,
# blur sigma, JPEG quality (docs/accuracy.md, "Where the end-to-end misses come from").
SMALL_VIEW_WIDTH = (55, 100)
SMALL_VIEW_BLUR = (0.6, 1.2)
SMALL_VIEW_JPEG = (30, 60)
SMALL_VIEW_SEED = 7


@dataclass(frozen=True)
class Crop:
    image: np.ndarray  # BGR uint8
    text: str
    source: str  # "us/images/00001_FGJ235.jpg"


def split_of(plate: str, validation_percent: int = VALIDATION_PERCENT) -> str:
    """"val" or "train", decided by the plate string alone (every crop of a plate lands on the same side)."""
    bucket = int.from_bytes(hashlib.sha256(plate.encode("ascii")).digest()[:4], "big") % 100
    return "val" if bucket < validation_percent else "train"


def usable_label(text: str) -> bool:
    return MIN_LABEL_LENGTH <= len(text) <= SLOTS and all(c in ALPHABET[:-1] for c in text)


def load_crop_set(alpr_dir: Path, name: str, split: str) -> list[Crop]:
    """The crops of one set (``us``, ``br``, ``ar``) on one side of the split. Unreadable files and unusable labels
    are logged and skipped."""
    folder = Path(alpr_dir) / f"{name}-crops"
    labels = folder / "labels.csv"
    if not labels.exists():
        raise FileNotFoundError(f"no {labels}: pass --data pointing at the folder that holds {name}-crops/")
    crops = []
    with labels.open(newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            text = (row.get("plate") or "").strip().upper()
            if not usable_label(text):
                log.info("crop label skipped", extra={"file": str(labels), "line": line, "plate": text})
                continue
            if split_of(text) != split:
                continue
            image = cv2.imread(str(folder / row["file"]), cv2.IMREAD_COLOR)
            if image is None:
                log.warning("crop unreadable, skipped", extra={"file": str(folder / row["file"]), "line": line})
                continue
            crops.append(Crop(image, text, f"{name}/{row['file']}"))
    return crops


def encode_label(text: str) -> np.ndarray:
    """Slot targets: character indices, then the pad index up to SLOTS."""
    if len(text) > SLOTS:
        raise ValueError(f"plate {text!r} is longer than the model's {SLOTS} slots")
    indices = [ALPHABET.index(c) for c in text] + [len(ALPHABET) - 1] * (SLOTS - len(text))
    return np.array(indices, dtype=np.int64)


def jitter_crop(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A real crop as another detector might have boxed it: margins grown or shaved a little, slight rotation and
    perspective."""
    h, w = image.shape[:2]
    pad = int(0.15 * max(h, w))
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]]) + pad
    dst = src + rng.uniform(-1, 1, size=(4, 2)).astype(np.float32) * np.float32([w, h]) * 0.05
    matrix = cv2.getPerspectiveTransform(dst, src)  # content moves the opposite way of the corners
    warped = cv2.warpPerspective(padded, matrix, (padded.shape[1], padded.shape[0]), borderMode=cv2.BORDER_REPLICATE)
    margins = rng.uniform(-0.04, 0.14, size=4) * np.float32([w, h, w, h])
    left, top = int(pad - margins[0]), int(pad - margins[1])
    right, bottom = int(pad + w + margins[2]), int(pad + h + margins[3])
    return warped[max(0, top):bottom, max(0, left):right]


def shrink_to_width(image: np.ndarray, width: int) -> np.ndarray:
    """``image`` scaled (area interpolation) to ``width`` pixels wide, aspect kept; never enlarged."""
    h, w = image.shape[:2]
    if w <= width:
        return image
    return cv2.resize(image, (width, max(4, round(h * width / w))), interpolation=cv2.INTER_AREA)


def augment_real(image: np.ndarray, rng: np.random.Generator, loose: bool = False) -> np.ndarray:
    """A real crop with camera effects; ``loose``: put on a synthetic car and cropped as the plate detector's box
    plus the reader's margin would crop it."""
    framed = place_in_scene(image, rng, tilt=0.5, loose=True) if loose else jitter_crop(image, rng)
    return degrade(framed, rng, strength=0.8)


def small_view(crops: list[Crop], seed: int) -> list[Crop]:
    """The crops as a far or low-grade camera records them (validation): shrunk to ``SMALL_VIEW_WIDTH`` pixels
    wide, blurred and JPEG-compressed at that size; the same seed gives the same images."""
    rng = np.random.default_rng(seed)
    viewed = []
    for crop in crops:
        small = shrink_to_width(crop.image, int(rng.uniform(*SMALL_VIEW_WIDTH)))
        small = cv2.GaussianBlur(small, (0, 0), rng.uniform(*SMALL_VIEW_BLUR))
        _, encoded = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, int(rng.uniform(*SMALL_VIEW_JPEG))])
        viewed.append(Crop(cv2.imdecode(encoded, cv2.IMREAD_COLOR), crop.text, crop.source))
    return viewed


def tilted_view(image: np.ndarray, degrees: float) -> np.ndarray:
    """A crop as it is cut around a plate tilted by ``degrees`` (camera roll, a slope, a motorcycle): the image
    turned about its centre on a canvas that holds all of it, the border replicated (validation)."""
    height, width = image.shape[:2]
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    cos, sin = abs(rotation[0, 0]), abs(rotation[0, 1])
    new_width, new_height = int(width * cos + height * sin), int(width * sin + height * cos)
    rotation[0, 2] += (new_width - width) / 2
    rotation[1, 2] += (new_height - height) / 2
    return cv2.warpAffine(image, rotation, (new_width, new_height), flags=cv2.INTER_CUBIC,
                          borderMode=cv2.BORDER_REPLICATE)


def dimmed_view(image: np.ndarray, gain: float = 0.15, gamma: float = 1.5) -> np.ndarray:
    """A crop as an under-exposed night shot records it: intensities to the power ``gamma``, times ``gain``, back
    in 8 bits (few grey levels left) (validation)."""
    scaled = (image.astype(np.float32) / 255.0) ** gamma * gain * 255.0
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def washed_view(image: np.ndarray, lift: float = 0.8) -> np.ndarray:
    """A crop washed out by glare or haze: blended ``lift`` of the way to white (validation)."""
    return np.clip(np.round(image.astype(np.float32) * (1.0 - lift) + 255.0 * lift), 0, 255).astype(np.uint8)


def synthetic_validation(count: int, seed: int, region: str = "mx") -> list[Crop]:
    """A fixed synthetic validation set of one region's layouts (the same plates for the same seed)."""
    rng = np.random.default_rng(seed)
    layouts = [layout for layout in LAYOUTS if layout.region == region]
    crops = []
    for i in range(count):
        plate = synth_plate(rng, layouts[i % len(layouts)])
        crops.append(Crop(plate.image_bgr, plate.text, f"synth-{region}/{plate.layout}/{i}"))
    return crops


def training_sample(real: list[Crop], real_fraction: float, rng: np.random.Generator,
                    region_weights: dict | None = None, loose_fraction: float = 0.0,
                    clean: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """One (input, target) pair: a real crop with probability ``real_fraction``, else a synthetic plate; either
    cropped like a loose detector box with probability ``loose_fraction``. ``clean``: a synthetic plate without
    camera effects, always (the warm-up of a training from scratch)."""
    loose = not clean and rng.random() < loose_fraction
    if not clean and real and rng.random() < real_fraction:
        crop = real[rng.integers(len(real))]
        return preprocess(augment_real(crop.image, rng, loose)), encode_label(crop.text)
    plate = synth_plate(rng, region_weights=region_weights, loose=loose, clean=clean)
    return preprocess(plate.image_bgr), encode_label(plate.text)


def shrink(crop: Crop, max_height: int = 2 * INPUT_HEIGHT) -> Crop:
    """A training crop scaled down to at most ``max_height`` rows (augmenting big photos is wasted work)."""
    h, w = crop.image.shape[:2]
    if h <= max_height:
        return crop
    small = cv2.resize(crop.image, (max(2, round(w * max_height / h)), max_height), interpolation=cv2.INTER_AREA)
    return Crop(small, crop.text, crop.source)


_BANK_REAL: list[Crop] = []  # handed to forked bank workers without pickling the images


def _bank_chunk(job: tuple[int, int, int, float, float, bool]) -> tuple[np.ndarray, np.ndarray]:
    seed, chunk, count, real_fraction, loose_fraction, clean = job
    cv2.setNumThreads(1)
    rng = np.random.default_rng([seed, chunk])
    images = np.empty((count, INPUT_HEIGHT, INPUT_WIDTH), np.uint8)
    labels = np.empty((count, SLOTS), np.int64)
    for i in range(count):
        x, labels[i] = training_sample(_BANK_REAL, real_fraction, rng, loose_fraction=loose_fraction, clean=clean)
        images[i] = np.round(x[0] * 255)
    return images, labels


def render_bank(count: int, real: list[Crop], real_fraction: float, seed: int, workers: int,
                chunk: int = 500, loose_fraction: float = 0.0, clean: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``count`` augmented training samples rendered in ``workers`` processes: inputs as uint8 (N, H, W) and slot
    targets (N, SLOTS). The same seed gives the same bank. ``clean``: synthetic plates without camera effects only
    (the warm-up of a training from scratch)."""
    global _BANK_REAL
    _BANK_REAL = [shrink(c) for c in real]
    jobs = [(seed, i, min(chunk, count - start), real_fraction, loose_fraction, clean)
            for i, start in enumerate(range(0, count, chunk))]
    if workers <= 1:
        parts = [_bank_chunk(job) for job in jobs]
    else:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_bank_chunk, jobs, chunksize=1)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
