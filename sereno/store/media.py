"""Media files (plate crops, snapshots) under one root folder, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

import cv2
import numpy as np


class MediaError(ValueError):
    """A media path or image cannot be used; the message says which and why."""


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, relative: str) -> Path:
        """The file for a relative media path; refuses paths that would leave the media folder."""
        rel = PurePosixPath(relative)
        if not relative or rel.is_absolute() or ".." in rel.parts or "\\" in relative:
            raise MediaError(f"media path {relative!r} must be relative, inside the media folder, without '..'")
        return self.root.joinpath(*rel.parts)

    def save_jpeg(self, relative: str, image_bgr: np.ndarray, quality: int = 90) -> str:
        """Encode and write atomically (temp file, fsync, rename): a reader never sees half a file."""
        target = self.path(relative)
        if image_bgr is None or image_bgr.size == 0:
            raise MediaError(f"empty image for {relative!r}")
        ok, encoded = cv2.imencode(".jpg", image_bgr, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
        if not ok:
            raise MediaError(f"could not encode {relative!r} as JPEG (shape {image_bgr.shape})")
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(encoded.tobytes())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return relative
