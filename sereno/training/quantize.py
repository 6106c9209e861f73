"""The plate detector in int8 (``sereno/vision/models/plate_yolov8n_int8.onnx``): how it is made.

    python tools/quantize_plate_detector.py          # needs `sereno models install` and ../shared/data

onnxruntime's static quantization (QDQ: int8 weights per output channel, uint8 activations, MinMax ranges) of the
installed float detector. The ranges are calibrated on what the detector really sees: the input tensors of every
pass it makes (whole frame at 640, detail pass at 1280, refinement windows) on frames we may choose on, never the
evaluation photos: training-split real crops and flat synthetic plates pasted on synthetic cars, and frames of the
shared street videos. The convolutions, their SiLU activations and the joins between them run in int8; the
detection head's decoding (distribution-focal box regression, anchors, the output that mixes pixel boxes with
scores) stays in float, since one range cannot hold both. Measured: docs/detection.md, "int8 plate detector".
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

from sereno.training.datasets import load_crop_set
from sereno.training.detector_like import flat_synthetic_plates, frame_with_plate
from sereno.training.train import DEFAULT_DATA
from sereno.vision.models import QUANTIZED_PLATE_DETECTOR

CALIBRATION_SEED = 31337  # which training crops, and the cars and positions of every frame
SYNTHETIC_SEED = 4242  # the synthetic plates
REAL_CROPS = (("us", 30), ("br", 30), ("ar", 15))  # training-split crops per set, each on a synthetic car
SYNTHETIC_PLATES = 30
VIDEO_FRAMES = (("car-approach-plate-LS15EBC.mp4", 10), ("parking-lot-overhead.mp4", 8),
                ("highway-320x240-a.avi", 4), ("highway-320x240-b.avi", 4), ("street-pedestrians-vtest.avi", 4))
EVERY = 3  # one recorded input tensor in three, 126 of 378 (all 378 were tried too: docs/detection.md)
QUANTIZED_OPS = ["Conv", "Sigmoid", "Mul", "Add", "Concat", "MaxPool", "Resize", "Split"]
HEAD = "/model.22/"  # the Detect module in the exported graph (sereno/vision/yolo_export.py)
HEAD_BRANCHES = ("/model.22/cv2", "/model.22/cv3")  # its box and class convolutions: quantized like the rest


def calibration_frames(alpr_dir: Path, video_dir: Path) -> list[np.ndarray]:
    """BGR frames to calibrate on: plates on synthetic cars (real training crops, synthetic plates), street videos."""
    rng = np.random.default_rng(CALIBRATION_SEED)
    frames = []
    for name, count in REAL_CROPS:
        crops = load_crop_set(alpr_dir, name, "train")
        for i in rng.choice(len(crops), count, replace=False):
            frames.append(frame_with_plate(crops[i].image, rng)[0])
    for plate in flat_synthetic_plates(SYNTHETIC_PLATES, SYNTHETIC_SEED, ("mx", "us", "eu", "br", "ar")):
        frames.append(frame_with_plate(plate.image, rng)[0])
    for clip, count in VIDEO_FRAMES:
        with av.open(str(video_dir / clip)) as container:
            decoded = [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]
        frames += [decoded[i] for i in np.linspace(0, len(decoded) - 1, count).astype(int)]
    return frames


class _Recorder:
    """Stands in for the detector's ONNX session and keeps every input tensor it is given."""

    def __init__(self, session) -> None:
        self.session = session
        self.inputs: list[np.ndarray] = []

    def run(self, outputs, feeds):
        self.inputs.append(next(iter(feeds.values())))
        return self.session.run(outputs, feeds)


def detector_inputs(detector, frames: list[np.ndarray]) -> list[np.ndarray]:
    """The input tensors of every pass ``detector`` (a float ``PlateDetector``) makes on ``frames``."""
    recorder = _Recorder(detector.model.session)
    detector.model.session = recorder
    try:
        for frame in frames:
            detector.detect(frame)
    finally:
        detector.model.session = recorder.session
    return recorder.inputs


def float_nodes(node_names: list[str]) -> list[str]:
    """The nodes left in float: the head's decoding, everything in the head but its two convolution branches."""
    return [name for name in node_names if name.startswith(HEAD) and not name.startswith(HEAD_BRANCHES)]


def quantize(float_model: Path, out: Path, inputs: list[np.ndarray]) -> None:
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)

    class Reader(CalibrationDataReader):
        """One tensor per calibration step: the passes have different input shapes."""

        def __init__(self, name: str) -> None:
            self.name, self.position, self.end = name, 0, len(inputs)

        def __len__(self) -> int:
            return len(inputs)

        def set_range(self, start_index: int, end_index: int) -> None:
            self.position, self.end = start_index, end_index

        def get_next(self):
            if self.position >= self.end:
                return None
            self.position += 1
            return {self.name: inputs[self.position - 1]}

    graph = onnx.load(str(float_model)).graph
    with tempfile.TemporaryDirectory() as scratch:
        written = Path(scratch) / out.name
        quantize_static(
            str(float_model), str(written), Reader(graph.input[0].name), quant_format=QuantFormat.QDQ,
            op_types_to_quantize=QUANTIZED_OPS, per_channel=True, nodes_to_exclude=float_nodes(
                [node.name for node in graph.node]),
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
            extra_options={"CalibStridedMinMax": 1},
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        written.replace(out)


def main(argv: list[str] | None = None) -> int:
    from sereno.config import load_settings
    from sereno.vision.detectors import PlateDetector
    from sereno.vision.models import ModelMissing

    parser = argparse.ArgumentParser(description="Quantize the installed plate detector to int8 (see the module doc).")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with us-crops/, br-crops/, ar-crops/")
    parser.add_argument("--videos", type=Path, default=None, help="folder with the shared videos (default: beside "
                        "--data, ../video)")
    parser.add_argument("--out", type=Path, default=QUANTIZED_PLATE_DETECTOR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    videos = args.videos or args.data.parent / "video"
    for folder in (args.data, videos):
        if not folder.is_dir():
            print(f"error: {folder} not found: pass --data (crops) and --videos (street videos)", file=sys.stderr)
            return 2
    started = time.monotonic()
    try:
        # ONNX Runtime's float boxes place the refinement windows, so that the file comes out the same everywhere
        detector = PlateDetector(load_settings(inference_runtime="onnxruntime"), threads=1, precision="float")
    except ModelMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    frames = calibration_frames(args.data, videos)
    inputs = detector_inputs(detector, frames)[::EVERY]
    print(f"{len(frames)} calibration frames, {len(inputs)} input tensors", flush=True)
    quantize(detector.model.path, args.out, inputs)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, SHA-256 {digest}) in "
          f"{time.monotonic() - started:.0f} s")
    return 0
