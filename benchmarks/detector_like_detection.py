"""A plate detector on the detector-like validation frames: plates found, plates read exactly, how tight the boxes are.
The figures behind the int8 table of docs/detection.md.

    SERENO_MODELS_DIR=~/.cache/sereno/models taskset -c 0 .venv/bin/python benchmarks/detector_like_detection.py \
        [--precision float|int8] [--model FILE] [--small] [--vehicles] [--squeeze] [--european]

``--precision`` is the setting (int8: the quantized model finds, the float one places); ``--model`` runs one ONNX
file in every step instead (e.g. the int8 file alone, or a new quantization). The frames are
``sereno.training.detector_like``'s (held-out real crops and synthetic plates on synthetic cars, 885 plates); each
found plate is read through the reader's five crops, region auto. ``--vehicles`` tells the detector where each
car is (``vehicle_box_around``), as the object detector would: its detail passes then look inside the car as
well as at the whole frame in 1280 px. ``--squeeze`` adds the squeezed whole-frame pass for long plates (as still
photos are read). ``--european`` measures 200 European synthetic plates instead, at their real size beside the
others' (``EUROPEAN_WIDTH_RATIO`` times as wide). About 4 to 7 minutes on one core. ``openalpr-us-endtoend`` is
evaluation-only and never read. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import resource
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sereno.config import load_settings  # noqa: E402
from sereno.geometry import iou  # noqa: E402
from sereno.training.detector_like import (EUROPEAN_WIDTH_RATIO, PLATE_WIDTH, SMALL_PLATE_WIDTH,  # noqa: E402
                                           detected_frames, flat_synthetic_plates)
from sereno.training.train import DETECTOR_LIKE_FRAMES_SEED, DETECTOR_LIKE_SEED, detector_like_plates  # noqa: E402
from sereno.vision.detectors import PlateDetector  # noqa: E402
from sereno.vision.plate_reader import PlateReader  # noqa: E402

from shared_data import SHARED  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", choices=("float", "int8"), default="float")
    parser.add_argument("--model", type=Path, default=None, help="one ONNX plate detector for every step")
    parser.add_argument("--small", action="store_true",
                        help=f"the same plates {SMALL_PLATE_WIDTH[0]}-{SMALL_PLATE_WIDTH[1]} px wide (default "
                             f"{PLATE_WIDTH[0]}-{PLATE_WIDTH[1]}) in the 1280x720 frames")
    parser.add_argument("--vehicles", action="store_true",
                        help="tell the detector where each car is (simulated box, as the object detector would give)")
    parser.add_argument("--squeeze", action="store_true", help="also the squeezed whole-frame pass (long plates)")
    parser.add_argument("--european", action="store_true",
                        help="200 European synthetic plates at their real size instead of the validation sets")
    parser.add_argument("--alpr", type=Path, default=SHARED / "alpr")
    args = parser.parse_args()
    settings = load_settings()
    detector = PlateDetector(settings, threads=1, precision=args.precision, model_file=args.model,
                             squeeze=args.squeeze)
    reader = PlateReader(settings, region="auto", threads=1)
    found, read, overlap = Counter(), Counter(), Counter()
    widths = SMALL_PLATE_WIDTH if args.small else PLATE_WIDTH
    if args.european:
        widths = (round(widths[0] * EUROPEAN_WIDTH_RATIO), round(widths[1] * EUROPEAN_WIDTH_RATIO))
        sets = {"eu-synth": (flat_synthetic_plates(200, DETECTOR_LIKE_SEED + 2, ("eu",)), DETECTOR_LIKE_FRAMES_SEED)}
    else:
        sets = detector_like_plates(args.alpr)
    started = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    for name, (plates, seed) in sets.items():
        for plate, frame, plate_box, box in detected_frames(plates, detector, seed, widths, args.vehicles):
            if box is None:
                continue
            found[name] += 1
            overlap[name] += iou(box, plate_box)
            reading = reader.read(frame, box)
            read[name] += reading is not None and reading.text == plate.text
        print(f"{name:12s} {len(plates):4d} plates  found {found[name]:4d}  read {read[name]:4d}  "
              f"mean IoU {overlap[name] / max(1, found[name]):.3f}", flush=True)
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - started
    print(f"{args.model or args.precision}: found {sum(found.values())}, read {sum(read.values())} "
          f"({cpu:.0f} s CPU with the frames' rendering and the reading)")


if __name__ == "__main__":
    main()
