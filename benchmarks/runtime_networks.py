"""Each network alone under each inference runtime, one thread: the plate detector at a 720p frame's two whole-frame
input sizes and PlateOCR on one crop, run by ONNX Runtime, by OpenVINO at its CPU default precision (bfloat16 where
the CPU has AMX or AVX-512 BF16) and by OpenVINO forced to float32. CPU ms per run of this process, after two
warm-up runs; the inputs are random (a network's cost does not depend on the pixel values). Prints figures, asserts
nothing; the figures behind docs/detection.md, "Inference runtime".

    SERENO_MODELS_DIR=~/.cache/sereno/models taskset -c 0 .venv/bin/python benchmarks/runtime_networks.py

Needs the models (`sereno models install`) and the openvino package (x86-64).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import openvino  # noqa: E402

from sereno.config import load_settings  # noqa: E402
from sereno.vision.models import PLATE_DETECTOR, model_path  # noqa: E402
from sereno.vision.onnx import make_session, openvino_config  # noqa: E402
from sereno.vision.plate_ocr import DEFAULT_MODEL  # noqa: E402


def cpu_ms(run, repeats: int) -> float:
    run()
    run()
    started = time.process_time()
    for _ in range(repeats):
        run()
    return 1000 * (time.process_time() - started) / repeats


def openvino_request(path: Path, precision: str | None):
    """An OpenVINO request as ``OpenVinoSession`` makes it, with its default precision or ``precision``."""
    config = openvino_config(1)
    if precision:
        config["INFERENCE_PRECISION_HINT"] = precision
    core = openvino.Core()
    return core.compile_model(core.read_model(str(path)), "CPU", config).create_infer_request()


def main() -> None:
    core = openvino.Core()
    print(f"CPU: {core.get_property('CPU', 'FULL_DEVICE_NAME')}; OpenVINO {openvino.__version__}, default precision "
          f"{core.get_property('CPU', 'INFERENCE_PRECISION_HINT')}")
    plate = model_path(load_settings(Path(tempfile.mkdtemp(prefix="sereno-bench-"))), PLATE_DETECTOR)
    cases = [("plate detector", plate, (1, 3, 736, 1280), 5), ("plate detector", plate, (1, 3, 384, 640), 15),
             ("PlateOCR", DEFAULT_MODEL, (1, 1, 64, 160), 200)]
    print(f"{'network, input':34} {'ONNX Runtime':>13} {'OpenVINO':>9} {'OpenVINO f32':>13}   (CPU ms per run)")
    for name, path, shape, repeats in cases:
        tensor = np.random.default_rng(0).random(shape, dtype=np.float32)
        ort = make_session(path, 1, "onnxruntime")
        feed = {ort.get_inputs()[0].name: tensor}
        figures = [cpu_ms(lambda: ort.run(None, feed), repeats)]
        for precision in (None, "f32"):
            request = openvino_request(path, precision)
            figures.append(cpu_ms(lambda: request.infer({0: tensor}), repeats))
        label = f"{name}, {shape[3]}x{shape[2]}"
        print(f"{label:34} {figures[0]:13.1f} {figures[1]:9.1f} {figures[2]:13.1f}", flush=True)


if __name__ == "__main__":
    main()
