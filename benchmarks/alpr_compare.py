"""Compare plate recognisers on the same real crops: Sereno's reader vs PP-OCRv4 vs Tesseract 5.

Readers
- sereno: our PlateReader (our own PlateOCR model when it is committed, else PP-OCRv4 row detection + recognition),
  with regional format decoding and look-alike correction. With --both-backends, each backend is reported.
- pp-ocrv4: rapidocr-onnxruntime's own recognition pipeline (recognition only, no detection), text normalised.
- tesseract: Tesseract 5 (Debian `tesseract-ocr`) through subprocess, --psm 7, plate-character whitelist; its time
  includes starting the process, which is how a caller without bindings pays for it.

Sets: the crop sets (labels.csv) under ../shared/data/alpr, the end-to-end photos cropped at their labelled boxes
(the same margin Sereno's reader uses), so every reader sees the same pixels, and `synth-<region>` sets rendered by
the project's plate synthesiser (sereno/training/synth.py, fixed seed) for regions without shared labelled crops,
Mexico first. Detection is measured separately by `sereno eval alpr`.

Run on one core, e.g.:
    taskset -c 0 python benchmarks/alpr_compare.py --limit 100
Prints a table; --json writes the figures too.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from sereno.config import load_settings
from sereno.plates import PLATE_CHARS, normalize_plate
from sereno.vision.evaluation import char_accuracy
from sereno.vision.plate_reader import PlateReader, crop_with_margin, plate_ocr_available
from shared_data import SHARED

SET_REGIONS = {"us": "us", "br": "br", "ar": "ar", "openalpr-us-endtoend": "us", "synth-mx": "mx", "synth-eu": "eu"}
SYNTH_SEED = 20261123  # fixed, so every run renders the same plates
SYNTH_DEFAULT_COUNT = 200


def synthetic_crops(region: str, count: int) -> list[tuple[np.ndarray, str]]:
    """Rendered plates of one region's layouts, with the camera effects the recogniser is trained against."""
    from sereno.training.synth import LAYOUTS, synth_plate

    weights = {layout.region: float(layout.region == region) for layout in LAYOUTS}
    rng = np.random.default_rng(SYNTH_SEED)
    plates = [synth_plate(rng, region_weights=weights) for _ in range(count)]
    return [(plate.image_bgr, plate.text) for plate in plates]


def load_crops(data: Path, name: str, limit: int, split: str = "all") -> list[tuple[np.ndarray, str]]:
    """(crop, plate) pairs, spread evenly over the set when limited. ``split="val"`` keeps only the crop-set plates
    our recogniser was not trained on (the training code's own split, by plate string)."""
    if name.startswith("synth-"):
        return synthetic_crops(name.removeprefix("synth-"), limit or SYNTH_DEFAULT_COUNT)
    if name.endswith("endtoend"):
        folder = data / name
        pairs = []
        for label in sorted(folder.glob("*.txt")):
            image_name, x, y, w, h, plate = label.read_text().split("\t")[:6]
            image = cv2.imread(str(folder / image_name))
            box = (float(x), float(y), float(x) + float(w), float(y) + float(h))
            crop = crop_with_margin(image, box) if image is not None else None
            if crop is not None:
                pairs.append((crop, normalize_plate(plate)))
    else:
        folder = data / f"{name}-crops"
        with (folder / "labels.csv").open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        if split == "val":
            from sereno.training.datasets import split_of

            rows = [r for r in rows if split_of(r["plate"]) == "val"]
        pairs = [(cv2.imread(str(folder / r["file"])), r["plate"]) for r in rows]
        pairs = [(image, plate) for image, plate in pairs if image is not None]
    step = max(1, len(pairs) // limit) if limit else 1
    return pairs[::step][:limit] if limit else pairs


def sereno_reader(region: str, backend: str) -> Callable[[np.ndarray], str]:
    reader = PlateReader(load_settings(Path("/tmp/sereno-bench")), region=region, threads=1, backend=backend)

    def read(crop: np.ndarray) -> str:
        plate = reader.read_crop(crop)
        return plate.text if plate else ""

    return read


def rapidocr_reader() -> Callable[[np.ndarray], str]:
    from rapidocr_onnxruntime import RapidOCR

    engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)

    def read(crop: np.ndarray) -> str:
        result, _ = engine(crop, use_det=False, use_cls=False, use_rec=True)
        return normalize_plate("".join(str(r[0]) for r in result or []))

    return read


def tesseract_reader() -> Callable[[np.ndarray], str]:
    command = ["tesseract", "stdin", "stdout", "--psm", "7", "-c", f"tessedit_char_whitelist={PLATE_CHARS}"]
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def read(crop: np.ndarray) -> str:
        ok, png = cv2.imencode(".png", crop)
        done = subprocess.run(command, input=png.tobytes(), capture_output=True, env=environment, check=False)
        return normalize_plate(done.stdout.decode("utf-8", "replace"))

    return read


def score(read: Callable[[np.ndarray], str], pairs: list[tuple[np.ndarray, str]]) -> dict:
    read(pairs[0][0])  # warm-up: first-call allocations are not per-crop cost
    exact = chars = 0.0
    start = time.perf_counter()
    for crop, truth in pairs:
        text = read(crop)
        exact += text == truth
        chars += char_accuracy(truth, text)
    seconds = time.perf_counter() - start
    return {"crops": len(pairs), "exact": round(exact / len(pairs), 4), "char_accuracy": round(chars / len(pairs), 4),
            "ms_per_crop": round(1000 * seconds / len(pairs), 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED / "alpr", help="folder holding the alpr sets")
    parser.add_argument("--sets", default="us,br,ar,openalpr-us-endtoend,synth-mx",
                        help="comma-separated set names (crop sets, openalpr-us-endtoend, synth-<region>)")
    parser.add_argument("--limit", type=int, default=100, help="crops per set (0: all)")
    parser.add_argument("--split", choices=("all", "val"), default="all",
                        help="crop sets: every crop, or only the plates held out of our recogniser's training")
    parser.add_argument("--readers", default="sereno,pp-ocrv4,tesseract", help="comma-separated readers")
    parser.add_argument("--both-backends", action="store_true", help="report sereno with each recogniser backend")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if "tesseract" in args.readers.split(",") and not shutil.which("tesseract"):
        print("error: tesseract is not installed: apt-get install tesseract-ocr (or leave it out: "
              "--readers sereno,pp-ocrv4)", file=sys.stderr)
        return 2

    cores = len(os.sched_getaffinity(0))
    print(f"CPU cores available to this process: {cores}" + ("" if cores == 1 else " (use taskset -c 0 for one)"))
    print(f"our PlateOCR model: {'present' if plate_ocr_available() else 'NOT committed yet: sereno uses PP-OCRv4'}")
    backends = ["plate-ocr", "pp-ocrv4"] if args.both_backends and plate_ocr_available() else ["auto"]
    figures = []
    print(f"{'set':<22}{'reader':<22}{'crops':>6}{'exact':>8}{'chars':>8}{'ms/crop':>9}")
    for name in args.sets.split(","):
        pairs = load_crops(args.data, name, args.limit, args.split)
        if not pairs:
            print(f"{name}: no crops found under {args.data}", file=sys.stderr)
            continue
        readers: dict[str, Callable[[np.ndarray], str]] = {}
        for wanted in args.readers.split(","):
            if wanted == "sereno":
                for backend in backends:
                    label = "sereno" if backend == "auto" else f"sereno ({backend})"
                    readers[label] = sereno_reader(SET_REGIONS.get(name, "auto"), backend)
            elif wanted == "pp-ocrv4":
                readers["pp-ocrv4 (rapidocr)"] = rapidocr_reader()
            elif wanted == "tesseract":
                readers["tesseract 5"] = tesseract_reader()
        for label, read in readers.items():
            result = {"set": name, "reader": label, **score(read, pairs)}
            figures.append(result)
            print(f"{name:<22}{label:<22}{result['crops']:>6}{result['exact']:>8.1%}{result['char_accuracy']:>8.1%}"
                  f"{result['ms_per_crop']:>9.1f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"cores": cores, "figures": figures}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
