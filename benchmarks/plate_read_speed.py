"""Plate reading speed on one core: recognition per crop (PlateOCR alone, and the whole reader with format decoding)
on the held-out US crops, reading per detected box (every crop of ``PlateReader.read``) and plate detection + reading
per 720p frame of the demo clip, and where the time of a still photo goes (``PhotoPlateDetector``, as
``sereno eval alpr`` reads photos: object detector, each plate-detector pass, refinement, reading). CPU time of this
process (so other jobs on a shared machine do not count) and wall time; prints figures, asserts nothing. The
still-photo breakdown includes each input shape's first run, as a batch of photos does; the other figures do not.
Which runtime runs the models is the ``inference_runtime`` setting (``SERENO_INFERENCE_RUNTIME``).

    SERENO_MODELS_DIR=~/.cache/sereno/models taskset -c 0 .venv/bin/python benchmarks/plate_read_speed.py \
        [--region us|auto|...]

Needs the models (`sereno models install`) and ../shared/data (alpr/us-crops, video/car-approach-plate-LS15EBC.mp4).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import av  # noqa: E402

from sereno.config import load_settings  # noqa: E402
from sereno.training.datasets import load_crop_set  # noqa: E402
from sereno.vision.detectors import (REFINE_SIZE, SQUEEZE_X, PhotoPlateDetector, PlateDetector,  # noqa: E402
                                     YoloSession)
from sereno.vision.onnx import resolve_runtime  # noqa: E402
from sereno.vision.plate_ocr import PlateOCR  # noqa: E402
from sereno.vision.plate_reader import PlateReader  # noqa: E402

from shared_data import SHARED  # noqa: E402
CLIP = SHARED / "video" / "car-approach-plate-LS15EBC.mp4"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(items, work, repeats: int = 1) -> tuple[float, float]:
    """(CPU ms, wall ms) per item of ``work(item)``, after a warm-up call on each item: a camera that has run a while
    has seen its input shapes, which OpenVINO compiles once each (``sereno.vision.onnx.OpenVinoSession``)."""
    for item in items:
        work(item)
    cpu, wall = cpu_seconds(), time.perf_counter()
    for _ in range(repeats):
        for item in items:
            work(item)
    count = repeats * len(items)
    return 1000 * (cpu_seconds() - cpu) / count, 1000 * (time.perf_counter() - wall) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30, help="720p frames of the demo clip (every 3rd frame)")
    parser.add_argument("--region", default="us", help="the reader's plate region (the camera pipeline's is auto)")
    args = parser.parse_args()
    settings = load_settings()
    crops = [c.image for c in load_crop_set(SHARED / "alpr", "us", "val")]
    print(f"inference runtime: {resolve_runtime(settings.inference_runtime)}")
    ocr = PlateOCR(threads=1, runtime_name=settings.inference_runtime)
    reader = PlateReader(settings, region=args.region, threads=1)
    cpu, wall = timed(crops, ocr.char_probs, repeats=3)
    print(f"PlateOCR recognition: {cpu:.2f} ms CPU / {wall:.2f} ms wall per crop ({len(crops)} held-out US crops)")
    cpu, wall = timed(crops, reader.read_crop)
    print(f"reader (recognition + format decoding): {cpu:.2f} ms CPU / {wall:.2f} ms wall per crop")

    with av.open(str(CLIP)) as container:
        frames = [f.to_ndarray(format="bgr24") for i, f in enumerate(container.decode(video=0)) if i % 3 == 0]
    frames = frames[:args.frames]
    height, width = frames[0].shape[:2]
    boxes = [(frame, d.box) for frame in frames for d in PlateDetector(settings, threads=1).detect(frame)]
    cpu, wall = timed(boxes, lambda found: reader.read(*found))
    print(f"reader on a detected box ({len(reader.margins)} crops and the row crop): {cpu:.2f} ms CPU / {wall:.2f} ms "
          f"wall per box ({len(boxes)} boxes in the demo clip's frames)")
    for precision in ("float", "int8"):  # the installed plate detector (the default), the committed quantized one
        detector = PlateDetector(settings, threads=1, precision=precision)

        def detect_and_read(frame):
            return [reader.read(frame, d.box) for d in detector.detect(frame)]

        cpu, wall = timed(frames, detect_and_read)
        print(f"plate detection ({precision}) + reading: {cpu:.1f} ms CPU / {wall:.1f} ms wall per {width}x{height} "
              f"frame ({len(frames)} frames)")
    photo_breakdown(settings, reader, frames)


def photo_breakdown(settings, reader: PlateReader, frames) -> None:
    """CPU ms per frame of each step of reading a still photo (the frames as photos, as ``sereno eval alpr`` reads
    them): every detector pass is timed where it runs (``YoloSession.candidates``), by model and input size."""
    photos = PhotoPlateDetector(settings, threads=1)
    photos.detect(frames[0])  # warm-up: the object detector is re-targeted to the frame's shape on first use
    spent: Counter = Counter()
    run_pass = YoloSession.candidates

    def timed_pass(session, image, size, *args):
        start = cpu_seconds()
        found = run_pass(session, image, size, *args)
        model = "object detector" if session is photos.objects.model else "plate detector"
        height, width = frames[0].shape[:2]
        kind = ("refinement" if size == REFINE_SIZE and model == "plate detector"
                else "whole frame" if max(image.shape[:2]) == max(height, width)
                else "squeezed frame" if image.shape[:2] == (height, round(width * SQUEEZE_X)) else "vehicle regions")
        spent[f"{model}, {kind}" + (f" at {size}" if kind.endswith("frame") else "")] += cpu_seconds() - start
        return found

    YoloSession.candidates = timed_pass
    try:
        for frame in frames:
            plates = photos.detect(frame)
            start = cpu_seconds()
            for plate in plates:
                reader.read(frame, plate.box)
            spent["reading every plate found"] += cpu_seconds() - start
    finally:
        YoloSession.candidates = run_pass
    print(f"a {frames[0].shape[1]}x{frames[0].shape[0]} still photo (PhotoPlateDetector + reader), CPU ms per photo:")
    for step, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"  {step:45} {1000 * seconds / len(frames):7.1f}")
    print(f"  {'total':45} {1000 * sum(spent.values()) / len(frames):7.1f}")


if __name__ == "__main__":
    main()
