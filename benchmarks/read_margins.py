"""How the reader should read a plate box: through how many crops, combined how, and when video may stop at the
main crop. The figures behind ``sereno.vision.plate_reader.READ_MARGINS`` and ``SURE_READ`` (docs/accuracy.md).

    SERENO_MODELS_DIR=~/.cache/sereno/models .venv/bin/python benchmarks/read_margins.py [--region auto] [--loosen F]

Runs on the detector-like validation frames (``sereno.training.detector_like``: held-out real crops and synthetic
plates on synthetic cars, boxed by the real plate detector; about 6 minutes on one core). Every crop of
``READ_MARGINS`` and the ``row_crop`` are read once per plate; then each rule is scored on those readings:
- the first 1, 3 or 5 crops, combined by best format fit, pooled probabilities (``merge_reads``, as across video
  frames) or a vote by text;
- the row crop alone, and the five crops plus the row crop by best format fit (the reader's rule);
- the reader's rule, but stopping at the main crop when it fits a format at a given confidence (``sure_read``).
``--loosen F`` first grows each detected box by F of its height above and below: real photos' boxes are looser than
those on the drawn cars (docs/accuracy.md, "Row crop").
``openalpr-us-endtoend`` is evaluation-only and never read. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sereno.config import load_settings  # noqa: E402
from sereno.pipeline.consensus import merge_reads  # noqa: E402
from sereno.training.detector_like import detected_frames  # noqa: E402
from sereno.training.train import detector_like_plates  # noqa: E402
from sereno.vision.detectors import PlateDetector  # noqa: E402
from sereno.vision.plate_reader import READ_MARGINS, PlateReader, crop_with_margin, row_crop  # noqa: E402

from shared_data import SHARED  # noqa: E402
SURE_READS = (0.5, 0.7, 0.8, 0.9, 0.95, 0.98)


def combined(scored, how: str) -> str | None:
    """The text the readings of several crops give together (``scored``: per crop, its decoded readings)."""
    if how == "best fit":
        best = PlateReader._best([s for crop in scored for s in crop])
        return best.text if best else None
    reads = [read for read in map(PlateReader._best, scored) if read is not None]  # each crop's own reading
    if not reads:
        return None
    if how == "pooled":
        return merge_reads(reads).text
    votes: Counter = Counter()
    for read in reads:
        votes[read.text] += 1 + read.confidence
    return votes.most_common(1)[0][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="auto")
    parser.add_argument("--alpr", type=Path, default=SHARED / "alpr")
    parser.add_argument("--loosen", type=float, default=0.0,
                        help="grow each detected box by this fraction of its height above and below")
    args = parser.parse_args()
    settings = load_settings()
    detector = PlateDetector(settings, threads=1)
    reader = PlateReader(settings, region=args.region, threads=1)
    right: dict[str, Counter] = defaultdict(Counter)
    crops_read: Counter = Counter()
    found = Counter()
    for name, (plates, seed) in detector_like_plates(args.alpr).items():
        for plate, frame, _, box in detected_frames(plates, detector, seed):
            if box is None:
                continue
            found[name] += 1
            grow = args.loosen * (box[3] - box[1])
            box = (box[0], max(0.0, box[1] - grow), box[2], min(frame.shape[0], box[3] + grow))
            per_crop = [reader._scored(crop_with_margin(frame, box, margin)) for margin in READ_MARGINS]
            rows = reader._scored(row_crop(frame, box, reader.rows))
            for count in (1, 3, 5):
                for how in ("best fit", "pooled", "vote"):
                    right[f"{count} crop(s), {how}"][name] += combined(per_crop[:count], how) == plate.text
            right["1 row crop alone"][name] += combined([rows], "best fit") == plate.text
            right["6 crops (5 + row crop), best fit"][name] += combined([*per_crop, rows], "best fit") == plate.text
            main_read = PlateReader._best(per_crop[0])
            every = PlateReader._best([s for c in [*per_crop, rows] for s in c])
            for sure in SURE_READS:
                stop = main_read is not None and main_read.region is not None and main_read.confidence >= sure
                read = main_read if stop else every
                right[f"6 crops, stop at a main crop >= {sure}"][name] += read is not None and read.text == plate.text
                crops_read[sure] += 1 if stop else len(READ_MARGINS) + 1
        print(f"{name}: {found[name]} of {len(plates)} plates found", flush=True)
    total = sum(found.values())
    print(f"\n{'rule':40} " + " ".join(f"{n:>12}" for n in found) + f" {'all':>8}  crops/plate")
    for rule, counts in right.items():
        sure = float(rule.rsplit(" ", 1)[1]) if "stop" in rule else None
        per_plate = f"{crops_read[sure] / total:.2f}" if sure else rule.split(" ")[0]
        print(f"{rule:40} " + " ".join(f"{counts[n]:>12}" for n in found)
              + f" {sum(counts.values()) / total:8.1%}  {per_plate}")


if __name__ == "__main__":
    main()
