"""Motion gate: a cheap test, on a small grey copy of the frame, of whether anything moved.

A running-average background (``cv2.accumulateWeighted``, rate 0.3: at 5 fps a car that stopped, or left, fades
into it within half a second) absorbs slow light changes; pixels that differ from it
by more than ``PIXEL_DELTA`` grey levels count as changed, and the scene is "moving" when the changed fraction
exceeds the threshold (``settings.motion_threshold``). The detectors run only on moving frames, plus every
``keepalive`` frames so that a car that stops in view is still seen.
"""

from __future__ import annotations

import cv2
import numpy as np

PIXEL_DELTA = 18  # grey levels; above sensor noise and compression artefacts at 5 fps
WORK_WIDTH = 160  # pixels; motion of a car is obvious at this size and the test costs well under 1 ms


class MotionGate:
    def __init__(self, threshold: float, learning_rate: float = 0.3, keepalive: int = 50) -> None:
        self.threshold = threshold
        self.learning_rate = learning_rate
        self.keepalive = keepalive
        self.background: np.ndarray | None = None
        self.since_last_pass = 0
        self.last_fraction = 0.0

    @staticmethod
    def small_grey(image_bgr: np.ndarray) -> np.ndarray:
        height, width = image_bgr.shape[:2]
        scale = WORK_WIDTH / max(width, 1)
        small = cv2.resize(image_bgr, (WORK_WIDTH, max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        return cv2.GaussianBlur(grey, (5, 5), 0).astype(np.float32)

    def changed_fraction(self, image_bgr: np.ndarray) -> float:
        """Fraction of pixels that differ from the background; updates the background."""
        grey = self.small_grey(image_bgr)
        if self.background is None or self.background.shape != grey.shape:
            self.background = grey
            return 1.0  # first frame (or a resolution change): nothing known, look at it
        changed = float(np.count_nonzero(cv2.absdiff(grey, self.background) > PIXEL_DELTA)) / grey.size
        cv2.accumulateWeighted(grey, self.background, self.learning_rate)
        return changed

    def should_analyse(self, image_bgr: np.ndarray) -> bool:
        self.last_fraction = self.changed_fraction(image_bgr)
        self.since_last_pass += 1
        if self.last_fraction > self.threshold or self.since_last_pass >= self.keepalive:
            self.since_last_pass = 0
            return True
        return False
