"""Photos that are only a plate (a close-up, a cropped plate): the figures behind "Close-ups" in docs/detection.md.

    SERENO_MODELS_DIR=~/.cache/sereno/models taskset -c 0 .venv/bin/python benchmarks/close_ups.py [--split val]

The plate detector learnt plates in street scenes; it misses many plates that fill the photo. A photo's reading
(``sereno.vision.evaluation.read_photo``, what ``sereno eval alpr`` runs end to end) has two steps for that, both
only where nothing else was found: the plate detector's zoom-out pass (``PlateDetector(zoom_out=True)``), then the
whole photo read as a plate (``PlateReader.read_whole``).

1. The real crops of ``alpr/{us,br,ar}-crops`` (one split, by plate; validation by default), each given as a photo
   whose labelled plate is the whole image: read exactly, as a crop (the ceiling) and as a photo with neither step,
   with the zoom-out pass, and with both.
2. Photos without a plate (the shared face photos and frames of videos without readable plates): boxes the
   zoom-out pass adds, and whole-photo readings kept.
3. Cost, on one core, of the two steps on a photo without a plate (the only photos that pay for them).

About 4 minutes on one core. ``openalpr-us-endtoend`` is evaluation-only and never read. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from long_plates import NO_PLATE_VIDEOS, frames_of  # noqa: E402
from sereno.config import load_settings  # noqa: E402
from shared_data import SHARED, missing  # noqa: E402
from sereno.training.datasets import load_crop_set  # noqa: E402
from sereno.vision.detectors import PhotoPlateDetector  # noqa: E402
from sereno.vision.evaluation import LabelledPlate, read_photo  # noqa: E402
from sereno.vision.plate_reader import PlateReader  # noqa: E402

STEPS = ("neither", "zoom-out", "both")


class WithoutWholeReading:
    """The reader as it was before ``read_whole``: a photo without a detected plate is not read."""

    def __init__(self, reader: PlateReader) -> None:
        self.reader = reader

    def read(self, image, box):
        return self.reader.read(image, box)

    def read_crop(self, crop):
        return self.reader.read_crop(crop)

    def read_whole(self, image):
        return None


def crops_as_photos(settings, detector: PhotoPlateDetector, split: str) -> None:
    print(f"1. real crops ({split} split) given as photos, read exactly:")
    print(f"   {'set':4} {'crops':>5} {'as crops':>9} " + " ".join(f"{step:>9}" for step in STEPS))
    for name in ("us", "br", "ar"):
        crops = load_crop_set(SHARED / "alpr", name, split)
        reader = PlateReader(settings, region=name, threads=1)
        as_crops = sum(getattr(reader.read_crop(c.image), "text", None) == c.text for c in crops)
        counts = []
        for step in STEPS:
            detector.plates.zoom_out = step != "neither"
            photo_reader = reader if step == "both" else WithoutWholeReading(reader)
            exact = 0
            for crop in crops:
                height, width = crop.image.shape[:2]
                plate = LabelledPlate(crop.text, (0.0, 0.0, float(width), float(height)))
                [(_, _, read)] = read_photo(crop.image, (plate,), photo_reader, detector)
                exact += read is not None and read.text == crop.text
            counts.append(exact)
        print(f"   {name:4} {len(crops):5d} {as_crops:9d} " + " ".join(f"{c:9d}" for c in counts), flush=True)
    detector.plates.zoom_out = True


def photos_without_plates() -> list[tuple[str, list[np.ndarray]]]:
    faces = [cv2.imread(str(p)) for p in sorted((SHARED / "faces").rglob("*"))
             if p.suffix.lower() in (".jpg", ".jpeg", ".png")]
    return [("face photos", [f for f in faces if f is not None])] + [(v, frames_of(v, 20, 15)) for v in NO_PLATE_VIDEOS]


def without_plates(settings, detector: PhotoPlateDetector) -> None:
    print("2. photos without a plate: nothing found by the other passes / zoom-out boxes added / whole readings kept:")
    reader = PlateReader(settings, region="auto", threads=1)
    spent = {"zoom-out": 0.0, "whole": 0.0}
    calls = 0
    for name, images in photos_without_plates():
        empty = added = kept = 0
        for image in images:
            detector.plates.zoom_out = False
            if detector.detect(image):
                continue
            empty += 1
            calls += 1
            start = time.perf_counter()
            added += len(detector.plates._zoomed_out(image))
            middle = time.perf_counter()
            whole = reader.read_whole(image)
            spent["zoom-out"] += middle - start
            spent["whole"] += time.perf_counter() - middle
            if whole is not None:
                kept += 1
                print(f"      kept: {whole.text} ({whole.region}, {whole.confidence:.2f})")
        print(f"   {name:30} {len(images):3d} photos: {empty:3d} / {added} / {kept}", flush=True)
    detector.plates.zoom_out = True
    print("3. cost per photo without a plate, one core: " +
          ", ".join(f"{step} {1000 * seconds / max(1, calls):.0f} ms" for step, seconds in spent.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("val", "train"), default="val")
    args = parser.parse_args()
    if missing("alpr/br-crops"):
        return 2
    settings = load_settings()
    detector = PhotoPlateDetector(settings, threads=1)
    crops_as_photos(settings, detector, args.split)
    without_plates(settings, detector)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
