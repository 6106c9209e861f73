"""How plate-read confidence relates to being right, on the crop validation splits: the figures behind
``sereno.pipeline.consensus.MIN_PLATE_CONFIDENCE`` (below it a sighting is stored without plate text).

    .venv/bin/python benchmarks/read_confidence.py [--region auto] [--alpr ../shared/data/alpr]

Reads every crop of the us / br / ar validation splits (plates held out of the recogniser's training,
``sereno.training.datasets.split_of``) with the installed reader, as they are and shrunk to a few pixels high (a
far plate, as a street camera sees it before the car comes closer), then prints, for each candidate threshold, how
many correct and how many wrong reads fall below it. ``openalpr-us-endtoend`` is evaluation-only and never read.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sereno.config import load_settings  # noqa: E402
from sereno.pipeline.consensus import MIN_PLATE_CONFIDENCE  # noqa: E402
from sereno.training.datasets import CROP_SETS, load_crop_set  # noqa: E402
from sereno.vision.plate_reader import PlateReader  # noqa: E402

from shared_data import SHARED  # noqa: E402
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
FAR_HEIGHTS = (14, 10)  # pixels: a plate at the edge of legibility, and one beyond it


def shrunk(image: np.ndarray, height: int | None) -> np.ndarray:
    if height is None or image.shape[0] <= height:
        return image
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def read_all(reader: PlateReader, alpr: Path, height: int | None) -> list[tuple[float, bool]]:
    """(confidence, exact) per validation crop; an unread crop counts as a wrong read at confidence 0."""
    out = []
    for name in CROP_SETS:
        for crop in load_crop_set(alpr, name, "val"):
            read = reader.read_crop(shrunk(crop.image, height))
            out.append((read.confidence, read.text == crop.text) if read else (0.0, False))
    return out


def table(title: str, reads: list[tuple[float, bool]]) -> None:
    right = sorted(c for c, ok in reads if ok)
    wrong = sorted(c for c, ok in reads if not ok)
    print(f"\n{title}: {len(reads)} reads, {len(right)} exact, {len(wrong)} wrong; lowest exact confidences: "
          + ", ".join(f"{c:.2f}" for c in right[:5]))
    print("threshold | exact reads dropped | wrong reads dropped | exact among reads kept")
    for t in sorted({*THRESHOLDS, MIN_PLATE_CONFIDENCE}):
        lost = sum(c < t for c in right)
        caught = sum(c < t for c in wrong)
        kept = len(reads) - lost - caught
        mark = "  <- MIN_PLATE_CONFIDENCE" if t == MIN_PLATE_CONFIDENCE else ""
        print(f"{t:9.2f} | {lost:4d} ({lost / max(len(right), 1):6.1%}) | "
              f"{caught:4d} ({caught / max(len(wrong), 1):6.1%}) | {(len(right) - lost) / max(kept, 1):6.1%}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--region", default="auto")
    parser.add_argument("--alpr", type=Path, default=SHARED / "alpr")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(Path(tmp), models_dir=os.environ.get("SERENO_MODELS_DIR"))
        reader = PlateReader(settings, region=args.region)
    print(f"validation crops of {', '.join(CROP_SETS)}; region {args.region}; reader {reader.backend}")
    every = []
    for height in (None, *FAR_HEIGHTS):
        reads = read_all(reader, args.alpr, height)
        table("as cropped" if height is None else f"shrunk to {height} px high", reads)
        every += reads
    table("all together", every)


if __name__ == "__main__":
    main()
