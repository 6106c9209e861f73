"""Quantize the installed plate detector to int8 (sereno/vision/models/plate_yolov8n_int8.onnx); see --help."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a plain checkout, installed or not

from sereno.training.quantize import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
