"""Crops as hard cameras record them: tilted, dimmed, washed out. The figures behind "Tilted crops" and "Dark and
washed-out crops" in docs/accuracy.md.

    SERENO_MODELS_DIR=~/.cache/sereno/models taskset -c 0 .venv/bin/python benchmarks/crop_views.py \
        [--split val] [--views turned-10,turned-20,turned-30,dimmed,washed]

The held-out real crops of ``alpr/{us,br,ar}-crops`` (one split, by plate; validation by default) in each view of
``sereno.training.datasets``:
- ``turned-N`` (``tilted_view``): turned by N degrees (camera roll, a slope, a motorcycle), on a canvas grown to hold
  the whole crop, its border replicated;
- ``dimmed`` (``dimmed_view``): an under-exposed night shot, intensities to the power 1.5 times 0.15, in 8 bits;
- ``washed`` (``washed_view``): glare or haze, blended 80% of the way to white.
Each is read in the region of its set: the crop alone (the recogniser on the crop and format decoding, which is
``read_crop`` before 2026-12-06) and ``PlateReader.read_crop`` as it is now (when the crop's reading is unsure, its
levelled character rows are read too, and a low-contrast crop contrast-stretched).

About 1 minute per view on one core. ``openalpr-us-endtoend`` is evaluation-only and never read. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from sereno.config import load_settings  # noqa: E402
from shared_data import SHARED, missing  # noqa: E402
from sereno.training.datasets import dimmed_view, load_crop_set, tilted_view, washed_view  # noqa: E402
from sereno.vision.plate_reader import PlateReader  # noqa: E402

VIEWS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "as-given": lambda image: image,
    **{f"turned-{angle}": (lambda image, angle=angle: tilted_view(image, angle)) for angle in (10, 20, 30)},
    "dimmed": dimmed_view,
    "washed": washed_view,
}


def read_alone(reader: PlateReader, image: np.ndarray) -> str | None:
    """The crop alone: the recogniser and format decoding, no second look (``read_crop`` before 2026-12-06)."""
    plate = reader._best(reader._scored(image))
    return plate.text if plate else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("val", "train"), default="val")
    parser.add_argument("--views", default=",".join(VIEWS), help=f"comma-separated, of: {', '.join(VIEWS)}")
    args = parser.parse_args()
    views = args.views.split(",")
    unknown = [view for view in views if view not in VIEWS]
    if unknown:
        parser.error(f"unknown view {', '.join(unknown)}: use {', '.join(VIEWS)}")
    if missing("alpr/us-crops"):
        return 2
    settings = load_settings()
    print(f"read exactly ({args.split} split), crop alone / read_crop:")
    print(f"   {'set':4} {'crops':>5} " + " ".join(f"{view:>13}" for view in views))
    for name in ("us", "br", "ar"):
        crops = load_crop_set(SHARED / "alpr", name, args.split)
        reader = PlateReader(settings, region=name, threads=1)
        cells = []
        for view in views:
            images = [VIEWS[view](crop.image) for crop in crops]
            alone = sum(read_alone(reader, image) == crop.text for image, crop in zip(images, crops))
            now = sum(getattr(reader.read_crop(image), "text", None) == crop.text for image, crop in zip(images, crops))
            cells.append(f"{alone:>5} / {now:<5}")
        print(f"   {name:4} {len(crops):5d} " + " ".join(f"{cell:>13}" for cell in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
