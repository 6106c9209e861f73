#!/usr/bin/env bash
# One command to set up and run the whole test suite. Tests that need ../shared/data skip with a reason without it.
# Extra arguments go to pytest, e.g. scripts/test.sh -k search -x
set -euo pipefail
cd "$(dirname "$0")/.."
export SERENO_MODELS_DIR=${SERENO_MODELS_DIR:-$HOME/.cache/sereno/models}
bash scripts/setup.sh --test
bash scripts/services.sh
# shellcheck disable=SC1091
. .venv/bin/activate
exec python -m pytest -q -ra "$@"
