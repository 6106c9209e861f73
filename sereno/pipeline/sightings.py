"""From an ended track to ONE Sighting: plate consensus over the track's reads, best view, media paths."""

from __future__ import annotations

import logging

import cv2
import numpy as np

from sereno.domain import Camera, Sighting
from sereno.pipeline.consensus import track_plate
from sereno.pipeline.tracker import TrackState
from sereno.store.media import MediaError, MediaStore
from sereno.vision.plate_reader import crop_with_margin

log = logging.getLogger(__name__)

SNAPSHOT_MAX_WIDTH = 1280  # context snapshots are evidence for a person, not input for models


def media_prefix(sighting: Sighting) -> str:
    """``YYYY/MM/DD/<camera>/<sighting id>`` (stream date, UTC)."""
    return f"{sighting.observed_at:%Y/%m/%d}/{sighting.camera_id}/{sighting.id}"


def sighting_from_track(state: TrackState, camera: Camera) -> Sighting:
    """The sighting for an ended track (no media yet): consensus plate (None below ``MIN_PLATE_CONFIDENCE``),
    class, best-view box and time."""
    track = state.track
    return Sighting(
        camera_id=camera.id,
        observed_at=state.best_at or track.last_seen,
        object_class=track.label,
        box=state.best_box or track.box,
        plate=track_plate(track.plate_reads),
        first_seen=track.first_seen,
        last_seen=track.last_seen,
        lat=camera.lat,
        lon=camera.lon,
        frames=track.hits,
    )


def downscaled(image: np.ndarray, max_width: int = SNAPSHOT_MAX_WIDTH) -> np.ndarray:
    height, width = image.shape[:2]
    if width <= max_width:
        return image
    return cv2.resize(image, (max_width, round(height * max_width / width)), interpolation=cv2.INTER_AREA)


def save_media(sighting: Sighting, state: TrackState, media: MediaStore) -> None:
    """Write the plate crop and the context snapshot; a failure is logged and the sighting kept without them."""
    if state.best_frame is None:
        return
    prefix = media_prefix(sighting)
    try:
        if state.best_plate_box is not None:
            crop = crop_with_margin(state.best_frame, state.best_plate_box)
            if crop is not None:
                sighting.plate_crop_path = media.save_jpeg(f"{prefix}-plate.jpg", crop, quality=95)
        sighting.snapshot_path = media.save_jpeg(f"{prefix}-context.jpg", downscaled(state.best_frame), quality=85)
    except (MediaError, OSError) as exc:
        log.error("could not save sighting media; the sighting is kept without it",
                  extra={"sighting": sighting.id, "camera": sighting.camera_id, "error": str(exc)})
