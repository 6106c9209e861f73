"""The reader on small, compressed plates: the held-out crops as they are and as a far or low-grade camera records
them (``sereno.training.datasets.small_view``: 55-100 px wide, blurred, JPEG-compressed at that size).

    .venv/bin/python benchmarks/small_plates.py [--region set|auto] [--synthetic 1000] [--alpr ../shared/data/alpr]

Reads every crop of the us / br / ar validation splits (plates held out of the recogniser's training) through the
installed reader (``PlateReader.read_crop``: recognition + format decoding), in the region of its set (``set``) or
with ``auto``, and prints exact reads per set and view. ``--synthetic N`` also reads the N synthetic validation plates
of each region (the training tool's fixed seed; no real crops of Mexican or European plates are shared).
``openalpr-us-endtoend`` is evaluation-only and never read. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sereno.config import load_settings  # noqa: E402
from sereno.training.datasets import (  # noqa: E402
    CROP_SETS, SMALL_VIEW_SEED, Crop, load_crop_set, small_view, synthetic_validation,
)
from sereno.training.train import SYNTH_VALIDATION_SEED  # noqa: E402
from sereno.vision.plate_formats import REGIONS  # noqa: E402
from sereno.vision.plate_reader import PlateReader  # noqa: E402

from shared_data import SHARED  # noqa: E402


def exact_reads(reader: PlateReader, crops: list[Crop]) -> int:
    return sum(1 for crop in crops if (read := reader.read_crop(crop.image)) is not None and read.text == crop.text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="set", help="'set' (each set's own region) or a region, e.g. auto")
    parser.add_argument("--synthetic", type=int, default=0, metavar="N",
                        help="also read N synthetic validation plates of each region (0: none)")
    parser.add_argument("--alpr", type=Path, default=SHARED / "alpr", help="folder with us-crops/, br-crops/, ...")
    args = parser.parse_args()
    if not args.alpr.is_dir():
        print(f"error: {args.alpr} not found: pass --alpr DIR holding us-crops/, br-crops/, ar-crops/", file=sys.stderr)
        return 2
    settings = load_settings(Path(tempfile.mkdtemp(prefix="sereno-bench-")))
    totals = [0, 0, 0]
    print(f"{'set':4} {'crops':>6} {'as given':>9} {'small':>6}   (exact reads, region {args.region})")
    for name in CROP_SETS:
        crops = load_crop_set(args.alpr, name, "val")
        reader = PlateReader(settings, region=name if args.region == "set" else args.region, threads=1)
        row = [len(crops), exact_reads(reader, crops), exact_reads(reader, small_view(crops, SMALL_VIEW_SEED))]
        totals = [t + r for t, r in zip(totals, row)]
        print(f"{name:4} {row[0]:6d} {row[1]:9d} {row[2]:6d}", flush=True)
    print(f"{'all':4} {totals[0]:6d} {totals[1]:9d} {totals[2]:6d}")
    for region in REGIONS if args.synthetic > 0 else ():
        plates = synthetic_validation(args.synthetic, SYNTH_VALIDATION_SEED, region)
        reader = PlateReader(settings, region=region if args.region == "set" else args.region, threads=1)
        print(f"synthetic {region}: {exact_reads(reader, plates)} of {len(plates)} exact", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
