"""Plates found inside vehicles (the camera pipeline's ``PlateDetector.detect_in``) by the size at which each
vehicle's region is looked at: plates found, plates read, CPU per frame. The figures behind "Far plates" in
docs/detection.md.

    SERENO_MODELS_DIR=~/.cache/sereno/models taskset -c 0 .venv/bin/python benchmarks/far_plates.py \
        [--region-input 0 480 640 800] [--small | --widths MIN MAX]

The frames are ``sereno.training.detector_like``'s (885 held-out real crops and synthetic plates on drawn cars,
1280x720); each car's box is simulated around its plate (``vehicle_box_around``: 4-7 plate widths wide), since
the drawn cars are no objects the COCO detector knows. ``--region-input 0`` is the old rule (the whole-frame
pass's resolution). Each plate found is read as the camera pipeline reads it (region auto, stopping at a sure main
crop). ``openalpr-us-endtoend`` is evaluation-only and never read. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sereno.config import load_settings  # noqa: E402
from sereno.training.detector_like import PLATE_WIDTH, SMALL_PLATE_WIDTH, best_match, plate_frames  # noqa: E402
from sereno.training.train import detector_like_plates  # noqa: E402
from sereno.vision.detectors import PlateDetector  # noqa: E402
from sereno.vision.plate_reader import SURE_READ, PlateReader  # noqa: E402

from shared_data import SHARED  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region-input", type=int, nargs="+", default=[0, 480, 640, 800],
                        help="long sides (px) to compare; 0: the whole-frame pass's resolution")
    parser.add_argument("--small", action="store_true",
                        help=f"plates {SMALL_PLATE_WIDTH[0]}-{SMALL_PLATE_WIDTH[1]} px wide (default "
                             f"{PLATE_WIDTH[0]}-{PLATE_WIDTH[1]}) in the 1280x720 frames")
    parser.add_argument("--widths", type=int, nargs=2, default=None, metavar=("MIN", "MAX"),
                        help="plate widths in px (overrides --small)")
    parser.add_argument("--alpr", type=Path, default=SHARED / "alpr")
    args = parser.parse_args()
    settings = load_settings()
    detectors = {size: PlateDetector(settings, threads=1, detail=False, refine=False, region_input=size)
                 for size in args.region_input}
    reader = PlateReader(settings, region="auto", threads=1, sure_read=SURE_READ)
    found, read, cpu = Counter(), Counter(), Counter()
    by_width: Counter[tuple[int, bool]] = Counter()  # (plate width in the detector's input, binned; found)
    widths = tuple(args.widths or (SMALL_PLATE_WIDTH if args.small else PLATE_WIDTH))
    total = 0
    for name, (plates, seed) in detector_like_plates(args.alpr).items():
        for plate, frame, plate_box, vehicle in plate_frames(plates, seed, widths):
            long_side = max(vehicle[2] - vehicle[0], vehicle[3] - vehicle[1])
            total += 1
            for size, detector in detectors.items():
                started = time.process_time()
                best = best_match([d.box for d in detector.detect_in(frame, [vehicle])], plate_box)
                cpu[size] += time.process_time() - started
                hit = best is not None
                seen_width = (plate_box[2] - plate_box[0]) * detector.region_size(long_side, max(frame.shape[:2]))
                by_width[bin_of(seen_width / long_side), hit] += 1
                if not hit:
                    continue
                found[size] += 1
                reading = reader.read(frame, best)
                read[size] += reading is not None and reading.text == plate.text
        print(f"after {name:12s} " + "  ".join(f"{size}: {found[size]}/{read[size]}" for size in detectors),
              flush=True)
    print(f"{total} plates {widths[0]}-{widths[1]} px wide, one vehicle each")
    print(f"{'region input':>12} {'found':>6} {'read':>6} {'CPU ms per frame':>17}")
    for size in detectors:
        label = "frame scale" if size == 0 else str(size)
        print(f"{label:>12} {found[size]:6d} {read[size]:6d} {1000 * cpu[size] / total:17.1f}")
    print("plates found by their width in the detector's input (all region inputs pooled):")
    for low, high in zip(WIDTH_BINS, WIDTH_BINS[1:]):
        hits, misses = by_width[low, True], by_width[low, False]
        if hits + misses:
            print(f"  {low:3d}-{high:3d} px: {hits / (hits + misses):5.1%} of {hits + misses}")


WIDTH_BINS = (0, 20, 30, 40, 50, 60, 80, 100, 120, 150, 200, 300, 10_000)


def bin_of(width: float) -> int:
    return max(low for low in WIDTH_BINS if low <= width)


if __name__ == "__main__":
    main()
