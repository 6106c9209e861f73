"""Whole photos of one plate each in a crops folder (``labels.csv``: file, plate; no boxes): the figures behind
"Photos in a crops folder" in docs/accuracy.md.

    SERENO_MODELS_DIR=~/.cache/sereno/models taskset -c 0 .venv/bin/python benchmarks/photos_as_crops.py \
        [--sets us,br,mx-synth] [--end-to-end]

Many labelled plate sets give the plate's text and no box. ``sereno eval alpr`` reads a crops folder image by image
with ``read_one_plate``: as a crop, and, when that reading is unsure, also through the plate detector. This writes
the detector-like validation frames (``sereno.training.detector_like``: the held-out real crops and flat synthetic
plates on drawn cars, 1280x720, one plate each) into crops folders and scores them with ``evaluate`` twice: every
image read as a crop (no detector, as before 2026-12-06), and as ``sereno eval alpr`` reads it now.
``--end-to-end`` does the same with the photos of ``openalpr-us-endtoend`` (evaluation only: reported, never tuned
on). ``--real-crops`` scores the real crop folders as they are, the same two ways.

About 10 minutes on one core for the three default sets. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402

from sereno.config import load_settings  # noqa: E402
from shared_data import SHARED, missing  # noqa: E402
from sereno.training.detector_like import plate_frames  # noqa: E402
from sereno.training.train import detector_like_plates  # noqa: E402
from sereno.vision.detectors import PhotoPlateDetector  # noqa: E402
from sereno.vision.evaluation import END_TO_END, evaluate, load_samples  # noqa: E402
from sereno.vision.plate_reader import PlateReader  # noqa: E402

SET_REGIONS = {"us": "us", "br": "br", "ar": "ar", "mx-synth": "mx", "other-synth": "auto"}


def write_crops_folder(folder: Path, images: list[tuple[str, object, str]]) -> None:
    """``images``: (file name, BGR image or an existing file's path, plate text)."""
    folder.mkdir(parents=True)
    with (folder / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "plate"])
        for name, image, text in images:
            if isinstance(image, Path):
                (folder / name).symlink_to(image)
            else:
                cv2.imwrite(str(folder / name), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            writer.writerow([name, text])


def score(settings, detector: PhotoPlateDetector, folder: Path, region: str, label: str) -> None:
    reader = PlateReader(settings, region=region, threads=1)
    before = evaluate(folder, reader)
    now = evaluate(folder, reader, detector)
    counts = [f"{round(report.exact * report.plates):5d} ({report.exact:.1%})" for report in (before, now)]
    print(f"   {label:26} {before.plates:5d} {counts[0]:>14} {counts[1]:>14} {now.ms_per_image:7.0f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default="us,br,mx-synth", help=f"of: {', '.join(SET_REGIONS)}")
    parser.add_argument("--real-crops", action="store_true",
                        help="also the real crop folders as they are (us, br, ar-crops: every crop, both splits)")
    parser.add_argument("--end-to-end", action="store_true",
                        help="also openalpr-us-endtoend's photos (evaluation only)")
    args = parser.parse_args()
    unknown = [name for name in filter(None, args.sets.split(",")) if name not in SET_REGIONS]
    if unknown:
        parser.error(f"unknown set {', '.join(unknown)}: use {', '.join(SET_REGIONS)}")
    if missing("alpr/us-crops"):
        return 2
    settings = load_settings()
    detector = PhotoPlateDetector(settings, threads=1)
    plates = detector_like_plates(SHARED / "alpr")
    print("photos of one plate in a crops folder, exact: every image read as a crop / read_one_plate, ms per image:")
    if args.real_crops:
        for name in ("us", "br", "ar"):
            score(settings, detector, SHARED / "alpr" / f"{name}-crops", name, f"{name}-crops (real crops)")
    with tempfile.TemporaryDirectory() as temp:
        for name in filter(None, args.sets.split(",")):
            crops, seed = plates[name]
            folder = Path(temp) / name
            write_crops_folder(folder, [(f"{i:04d}.jpg", frame, plate.text)
                                        for i, (plate, frame, _, _) in enumerate(plate_frames(crops, seed))])
            score(settings, detector, folder, SET_REGIONS[name], f"{name} (drawn cars)")
        if args.end_to_end:
            _, samples, _ = load_samples(SHARED / "alpr" / "openalpr-us-endtoend")
            folder = Path(temp) / "openalpr-us-endtoend"
            write_crops_folder(folder, [(s.image.name, s.image, s.plates[0].text) for s in samples
                                        if len(s.plates) == 1])
            score(settings, detector, folder, "us", f"{END_TO_END} photos")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
