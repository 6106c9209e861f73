"""Tilted plates in their crops: the figures behind "Tilted crops" in docs/accuracy.md.

    SERENO_MODELS_DIR=~/.cache/sereno/models taskset -c 0 .venv/bin/python benchmarks/tilted_crops.py [--split val]

A plate photographed with the camera rolled, on a slope or on a motorcycle sits tilted in an axis-aligned crop. The
held-out real crops of ``alpr/{us,br,ar}-crops`` (one split, by plate; validation by default) are turned by 0, 10,
20 and 30 degrees (``tilted_view``: the canvas grown to hold the whole crop, its border replicated) and read with
``read_crop`` in the region of their set: the crop alone (``read_crop`` as it was before 2026-12-06) and as the
reader does it now (the levelled character rows read too when the crop's reading is unsure).

About 4 minutes on one core. ``openalpr-us-endtoend`` is evaluation-only and never read. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from sereno.config import load_settings  # noqa: E402
from sereno.training.datasets import load_crop_set, tilted_view  # noqa: E402
from sereno.vision.plate_reader import PlateReader  # noqa: E402

SHARED = Path(os.environ.get("SERENO_SHARED_DATA", REPO.parent / "shared" / "data"))
ANGLES = (0, 10, 20, 30)


def read_alone(reader: PlateReader, image: np.ndarray) -> str | None:
    """The crop read without its rows (``read_crop`` before 2026-12-06)."""
    plate = reader._best(reader._scored(image))
    return plate.text if plate else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("val", "train"), default="val")
    args = parser.parse_args()
    if not (SHARED / "alpr" / "us-crops").exists():
        print(f"error: {SHARED / 'alpr' / 'us-crops'} not found: set SERENO_SHARED_DATA", file=sys.stderr)
        return 2
    settings = load_settings()
    print(f"read exactly ({args.split} split), crop alone / crop + levelled rows when unsure:")
    print(f"   {'set':4} {'crops':>5} " + " ".join(f"{str(angle) + ' deg':>13}" for angle in ANGLES))
    for name in ("us", "br", "ar"):
        crops = load_crop_set(SHARED / "alpr", name, args.split)
        reader = PlateReader(settings, region=name, threads=1)
        cells = []
        for angle in ANGLES:
            images = [tilted_view(crop.image, angle) for crop in crops]
            alone = sum(read_alone(reader, image) == crop.text for image, crop in zip(images, crops))
            now = sum(getattr(reader.read_crop(image), "text", None) == crop.text for image, crop in zip(images, crops))
            cells.append(f"{alone:>5} / {now:<5}")
        print(f"   {name:4} {len(crops):5d} " + " ".join(f"{cell:>13}" for cell in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
