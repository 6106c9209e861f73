"""Long (European) plates and the plate detector: the figures behind "Long plates" in docs/detection.md.

    SERENO_MODELS_DIR=~/.cache/sereno/models taskset -c 0 .venv/bin/python benchmarks/long_plates.py

1. Plates found per layout: flat synthetic plates of every layout pasted 100-260 px wide on the drawn cars of
   ``sereno.training.detector_like`` (1280x720), ``PlateDetector.detect`` without vehicles.
2. The camera pipeline's search inside each car (``detect_in``, no detail passes), European plates at their real
   size (``EUROPEAN_WIDTH_RATIO``) against Mexican ones.
3. The one real European plate shared (LS15EBC, ``video/car-approach-plate-LS15EBC.mp4``): found at smaller scales
   and with the frame stretched wider, without and with the squeezed pass.
4. False plates: boxes on shared videos without readable plates, without and with the squeezed pass.

About 5 minutes on one core. ``openalpr-us-endtoend`` is evaluation-only and never read. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import av  # noqa: E402
import cv2  # noqa: E402

from sereno.config import load_settings  # noqa: E402
from shared_data import SHARED, missing  # noqa: E402
from sereno.training.detector_like import (EUROPEAN_WIDTH_RATIO, PLATE_WIDTH, best_match,  # noqa: E402
                                           detected_frames, flat_synthetic_plates, plate_frames)
from sereno.vision.detectors import PlateDetector  # noqa: E402

DEMO_CLIP = "car-approach-plate-LS15EBC.mp4"
NO_PLATE_VIDEOS = ("street-pedestrians-vtest.avi", "persons-one-by-one.mp4", "parking-lot-overhead.mp4",
                   "faces-short-clip.mp4", "highway-320x240-a.avi")


def frames_of(video: str, every: int, limit: int) -> list:
    with av.open(str(SHARED / "video" / video)) as container:
        frames = []
        for i, frame in enumerate(container.decode(video=0)):
            if i % every == 0:
                frames.append(frame.to_ndarray(format="bgr24"))
            if len(frames) == limit:
                break
    return frames


def per_layout(detector: PlateDetector) -> None:
    print("1. found per layout (drawn cars, 100-260 px wide, no vehicles given):")
    for regions, count in ((("eu", "br", "ar"), 300), (("mx", "us"), 220)):
        found, total = Counter(), Counter()
        for plate, _, _, box in detected_frames(flat_synthetic_plates(count, 4242, regions), detector, 99):
            layout = plate.source.split("/")[0].removeprefix("synth-")
            total[layout] += 1
            found[layout] += box is not None
        for layout in sorted(total):
            print(f"   {layout:14} {found[layout]:3d} of {total[layout]}", flush=True)


def inside_cars(settings) -> None:
    camera = PlateDetector(settings, threads=1, detail=False, refine=False)  # the camera pipeline's default
    print("2. found inside the car's box (the camera pipeline's detect_in):")
    for region, ratio in (("eu", EUROPEAN_WIDTH_RATIO), ("mx", 1.0)):
        widths = (round(PLATE_WIDTH[0] * ratio), round(PLATE_WIDTH[1] * ratio))
        plates = flat_synthetic_plates(150, 4243, (region,))
        found = sum(best_match([d.box for d in camera.detect_in(frame, [car])], box) is not None
                    for _, frame, box, car in plate_frames(plates, 77, widths))
        print(f"   {region} ({widths[0]}-{widths[1]} px wide): {found} of {len(plates)}", flush=True)


def real_uk_plate(plain: PlateDetector, squeezing: PlateDetector) -> None:
    print("3. the real UK plate (every 10th frame of the demo clip), found / frames:")
    frames = [f for f in frames_of(DEMO_CLIP, 10, 100) if plain.detect(f)]
    truths = [plain.detect(f)[0].box for f in frames]  # the plate found in the frame as it is
    for name, fx, fy in (("x0.5", 0.5, 0.5), ("x0.35", 0.35, 0.35), ("stretched 1.5x wide", 1.5, 1.0),
                         ("stretched 2x wide", 2.0, 1.0)):
        counts = []
        for detector in (plain, squeezing):
            hits = 0
            for frame, truth in zip(frames, truths):
                interpolation = cv2.INTER_AREA if fx < 1 else cv2.INTER_LINEAR
                scaled = cv2.resize(frame, None, fx=fx, fy=fy, interpolation=interpolation)
                box = (truth[0] * fx, truth[1] * fy, truth[2] * fx, truth[3] * fy)
                hits += best_match([d.box for d in detector.detect(scaled)], box) is not None
            counts.append(hits)
        print(f"   {name:20} without {counts[0]} / with the squeezed pass {counts[1]} of {len(frames)}", flush=True)


def false_plates(plain: PlateDetector, squeezing: PlateDetector) -> None:
    print("4. boxes on videos without readable plates (every 25th frame, at most 15), without / with the squeezed "
          "pass:")
    for video in NO_PLATE_VIDEOS:
        frames = frames_of(video, 25, 15)
        without = sum(len(plain.detect(f)) for f in frames)
        with_squeeze = sum(len(squeezing.detect(f)) for f in frames)
        print(f"   {video:30} {without} / {with_squeeze} ({len(frames)} frames)", flush=True)


def main() -> int:
    if missing(f"video/{DEMO_CLIP}"):
        return 2
    settings = load_settings()
    plain = PlateDetector(settings, threads=1)
    squeezing = PlateDetector(settings, threads=1, squeeze=True)
    per_layout(plain)
    inside_cars(settings)
    real_uk_plate(plain, squeezing)
    false_plates(plain, squeezing)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
