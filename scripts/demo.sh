#!/usr/bin/env bash
# One command for a new user: set up, then run the demo on the embedded default (SQLite + media folder in the data
# directory, one process, no servers): on a new data directory it creates the demo installation (one account per
# role, an open case), reads the plates of a real video and prints the accounts and what to try next; then it serves
# the web application (sample cameras looping the shared videos, a hotlist with the demo car) and prints its URL.
# Pass a video file or an rtsp:// URL to use your own source for the first step. Ctrl-C stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
sereno demo "$@"
exec sereno serve --demo
