"""Train Sereno's plate recogniser (sereno/vision/models/plate_ocr.onnx) with one command; see --help."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable from a plain checkout, installed or not

from sereno.training.train import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
