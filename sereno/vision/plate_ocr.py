"""Sereno's own plate recogniser: a small CNN trained by the project (sereno/training), run with ONNX Runtime.

The whole plate crop goes in (one- or two-line plates alike; the network learns the layout) and ``SLOTS``
distributions over ``ALPHABET`` come out, one per character slot, left to right and top line first. Plates shorter
than ``SLOTS`` fill the remaining slots with the pad symbol ``_`` (last in ``ALPHABET``).

The network is either a fixed-slot model (output ``probs``) or, as the committed one, a CTC recogniser (output
``ctc_probs``) whose sequence is collapsed here into the same per-slot probabilities: callers see no difference.

``preprocess`` is the single definition of the model input: training imports it, so training and runtime agree.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from sereno.vision.onnx import make_session

log = logging.getLogger(__name__)

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_"  # plate characters, then the pad symbol LAST
PAD = ALPHABET[-1]
SLOTS = 10
INPUT_HEIGHT = 64
INPUT_WIDTH = 160
DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "plate_ocr.onnx"
SLOTS_OUTPUT = "probs"  # (batch, SLOTS, len(ALPHABET)): a fixed-slot model
CTC_OUTPUT = "ctc_probs"  # (batch, steps, len(ALPHABET)): a CTC model whose blank is the pad symbol


def preprocess(crop_bgr: np.ndarray) -> np.ndarray:
    """A plate crop (BGR, BGRA or grayscale uint8, any size) as the model's input: float32 (1, H, W) in 0..1.

    Grayscale, because plate colours vary by state and infrared cameras give none; stretched to the fixed input
    size without keeping the aspect ratio, as in training."""
    if crop_bgr is None or crop_bgr.ndim not in (2, 3) or min(crop_bgr.shape[:2]) < 2:
        shape = None if crop_bgr is None else crop_bgr.shape
        raise ValueError(f"plate crop must be a non-empty HxW or HxWxC image array, got shape {shape}")
    if crop_bgr.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if crop_bgr.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        gray = crop_bgr if crop_bgr.shape[2] == 1 else cv2.cvtColor(crop_bgr, code)
    else:
        gray = crop_bgr
    gray = gray.reshape(gray.shape[0], gray.shape[1])
    resized = cv2.resize(gray, (INPUT_WIDTH, INPUT_HEIGHT), interpolation=cv2.INTER_AREA
                         if gray.shape[1] > INPUT_WIDTH else cv2.INTER_LINEAR)
    return (resized.astype(np.float32) / 255.0)[np.newaxis]


def decode_slots(probs: np.ndarray) -> tuple[str, float]:
    """Best text of one (SLOTS, len(ALPHABET)) probability matrix, pads dropped, and its confidence (the product of
    the chosen slots' probabilities, pads included: a doubtful pad is a doubtful length)."""
    best = probs.argmax(axis=1)
    text = "".join(ALPHABET[i] for i in best if i != len(ALPHABET) - 1)
    return text, float(np.prod(probs[np.arange(len(best)), best]))


def _ctc_runs(step_probs: np.ndarray) -> list[tuple[int, int, int]]:
    """The greedy CTC path's characters as (first step, step after the last, symbol), at most ``SLOTS``: each run of
    one repeated non-blank symbol is a character."""
    blank = len(ALPHABET) - 1
    best = step_probs.argmax(axis=1)
    runs, start = [], 0
    for step in range(1, len(best) + 1):
        if step < len(best) and best[step] == best[start]:
            continue
        if best[start] != blank:
            runs.append((start, step, int(best[start])))
        start = step
    return runs[:SLOTS]


def ctc_to_slots(step_probs: np.ndarray) -> np.ndarray:
    """Greedy CTC collapse of one (steps, len(ALPHABET)) matrix into (SLOTS, len(ALPHABET)) slot probabilities.

    Each character's row is the softmax at its run's most confident step. Slots after the last character are certain
    pads; characters beyond SLOTS are dropped."""
    slots = np.zeros((SLOTS, len(ALPHABET)), dtype=np.float32)
    slots[:, len(ALPHABET) - 1] = 1.0
    for slot, (start, end, symbol) in enumerate(_ctc_runs(step_probs)):
        slots[slot] = step_probs[start + int(step_probs[start:end, symbol].argmax())]
    return slots


def ctc_gaps(step_probs: np.ndarray) -> np.ndarray:
    """What the CTC sequence saw between the characters ``ctc_to_slots`` keeps, for the decoder to insert one a
    format needs (sereno.vision.plate_formats): one row per gap (before the first character, between two, after the
    last), the softmax at the gap's step with the most weight on some character, with the blank and the two
    neighbouring characters set to 0 (a character's run fades into the steps beside it; that is no second
    character). A row sums to at most 1; a gap without steps (two characters on adjacent steps) is all zeros."""
    runs = _ctc_runs(step_probs)
    starts = [0] + [end for _, end, _ in runs]
    ends = [start for start, _, _ in runs] + [len(step_probs)]
    gaps = np.zeros((len(runs) + 1, len(ALPHABET)), dtype=np.float32)
    for gap, (start, end) in enumerate(zip(starts, ends)):
        if start >= end:
            continue
        rows = step_probs[start:end].copy()
        rows[:, [len(ALPHABET) - 1] + [runs[k][2] for k in (gap - 1, gap) if 0 <= k < len(runs)]] = 0.0
        gaps[gap] = rows[rows.sum(axis=1).argmax()]
    return gaps


class PlateOCR:
    """Per-slot character probabilities of plate crops. One instance per thread (sessions are not shared)."""

    def __init__(self, model_path: Path | None = None, threads: int = 1, runtime_name: str = "auto") -> None:
        """``runtime_name``: the ``inference_runtime`` setting (``sereno.vision.onnx.resolve_runtime``)."""
        self.model_path = Path(model_path) if model_path else DEFAULT_MODEL
        if not self.model_path.exists():
            raise FileNotFoundError(
                f"plate OCR model not found at {self.model_path}: it is committed with the source; "
                "rebuild it with `python tools/train_plate_ocr.py` or use the PP-OCRv4 reader (--reader pp-ocrv4)")
        self.session = make_session(self.model_path, threads=threads, runtime_name=runtime_name)
        self.input_name = self.session.get_inputs()[0].name
        self.is_ctc = self.session.get_outputs()[0].name == CTC_OUTPUT
        log.debug("plate ocr loaded", extra={"model": str(self.model_path), "threads": threads})

    @staticmethod
    def is_available() -> bool:
        """True when the committed model file exists."""
        return DEFAULT_MODEL.exists()

    def _run(self, crops_bgr: list[np.ndarray]) -> np.ndarray:
        batch = np.stack([preprocess(crop) for crop in crops_bgr])
        return self.session.run(None, {self.input_name: batch})[0]

    def char_probs_batch(self, crops_bgr: list[np.ndarray]) -> np.ndarray:
        """(len(crops), SLOTS, len(ALPHABET)) softmax probabilities."""
        if not crops_bgr:
            return np.zeros((0, SLOTS, len(ALPHABET)), dtype=np.float32)
        probs = self._run(crops_bgr)
        return np.stack([ctc_to_slots(p) for p in probs]) if self.is_ctc else probs

    def char_probs_with_gaps(self, crop_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``char_probs`` and, from a CTC model, ``ctc_gaps`` (None from a fixed-slot model)."""
        if not self.is_ctc:
            return self.char_probs(crop_bgr), None
        steps = self._run([crop_bgr])[0]
        return ctc_to_slots(steps), ctc_gaps(steps)

    def char_probs(self, crop_bgr: np.ndarray) -> np.ndarray:
        """(SLOTS, len(ALPHABET)) softmax probabilities for one crop."""
        return self.char_probs_batch([crop_bgr])[0]

    def read_text(self, crop_bgr: np.ndarray) -> tuple[str, float]:
        """Raw best text (no format knowledge) and its confidence; the plate reader decodes with formats instead."""
        return decode_slots(self.char_probs(crop_bgr))
