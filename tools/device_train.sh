#!/usr/bin/env bash
# Train the plate recogniser on a lent GPU machine (docs/plate-ocr.md, "Training on a lent GPU").
#
#   bash tools/device_train.sh prepare [PYTHON_VERSION]   # here: fill .device/ (git-ignored) with what travels
#   bash tools/device_train.sh run NAME [TRAINING ARGS]   # there: one training run, results under $OUT
#
# A device machine starts bare: it has PyTorch, OpenCV, NumPy, Pillow and onnxruntime, but not Sereno's other
# dependencies, the Debian fonts the synthetic plates are drawn with, or ../shared/data (it reaches nothing).
# `prepare` puts them in .device/: the wheels for the device's Python (default 3.12), the font files the renderer
# uses, and the real training crops (a temporary copy, never committed). Carry `.device` with the run:
#   run(command="bash tools/device_train.sh run scratch", carry=[".device"], timeout_s=600)
# NAME picks a recipe:
#   scratch   width 1.5 from nothing, the committed model's GPU schedule (about 2 min at width 1 on one H100)
#   widened   width 1.5 from a widened copy of the committed model, the same schedule at lr 1e-3
# Arguments after NAME are added to the training command (later ones win), e.g. `--device cpu --bank 256` for a
# dry run on a CPU. $OUT receives NAME.onnx, NAME.json (metadata and validation figures) and NAME.log.
set -euo pipefail
cd "$(dirname "$0")/.."
CARRY=.device

prepare() {
    local version=${1:-3.12} shared=${SERENO_SHARED_DATA:-../shared/data}
    if [ ! -d "$shared/alpr/us-crops" ]; then
        echo "error: $shared/alpr/us-crops not found: set SERENO_SHARED_DATA to the shared data folder" >&2
        exit 2
    fi
    rm -rf "$CARRY" && mkdir -p "$CARRY/wheels" "$CARRY/fonts" "$CARRY/alpr"
    PYTHON=${PYTHON:-.venv/bin/python}
    "$PYTHON" -m pip download -q --only-binary=:all: --python-version "$version" --implementation cp \
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
        pydantic defusedxml pyyaml -d "$CARRY/wheels"
    "$PYTHON" - "$CARRY/fonts" <<'EOF'
import shutil, sys
from sereno.training import synth
found = synth.available_fonts(synth.ALL_FONTS)
for path in found:
    shutil.copy(path, sys.argv[1])
print(f"{len(found)} of {len(synth.ALL_FONTS)} font files copied")
EOF
    for set in us-crops br-crops ar-crops; do
        cp -r "$shared/alpr/$set" "$CARRY/alpr/"
    done
    du -sh "$CARRY"
}

run() {
    local name=${1:?name a recipe: scratch or widened}; shift
    local out=${OUT:?set OUT, the folder the results go to} python=${PYTHON:-python3}
    local recipe=(--device cuda --width 1.5 --columns 40 --bank 100000 --epochs 18 --batch 512 --workers 16)
    case $name in
        scratch) ;;
        widened) recipe+=(--init sereno/vision/models/plate_ocr.onnx --lr 1e-3) ;;
        *) echo "unknown recipe $name: use scratch or widened" >&2; exit 2 ;;
    esac
    if [ ! -d "$CARRY/wheels" ]; then
        echo "error: $CARRY/wheels not found: run 'bash tools/device_train.sh prepare' here and carry .device" >&2
        exit 2
    fi
    mkdir -p "$out"
    "$python" -m pip install -q --no-index --no-deps --target "$CARRY/site" "$CARRY"/wheels/*.whl
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || true
    PYTHONPATH="$PWD/$CARRY/site:$PWD" "$python" tools/train_plate_ocr.py "${recipe[@]}" --data "$CARRY/alpr" \
        --fonts "$CARRY/fonts" --out "$out/$name.onnx" "$@" 2>&1 | tee "$out/$name.log"
}

case ${1:-} in
    prepare) shift; prepare "$@" ;;
    run) shift; run "$@" ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
esac
