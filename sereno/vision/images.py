"""Pure helpers on whole images shared by the detectors and the reader."""

from __future__ import annotations

import cv2
import numpy as np


def shrunk(image_bgr: np.ndarray, long_side: float) -> np.ndarray:
    """The image with its long side at most ``long_side`` pixels (area interpolation), or the image itself when it
    is no larger."""
    height, width = image_bgr.shape[:2]
    scale = min(1.0, long_side / max(height, width, 1))
    if scale == 1.0:
        return image_bgr
    return cv2.resize(image_bgr, (max(1, round(width * scale)), max(1, round(height * scale))),
                      interpolation=cv2.INTER_AREA)
