#!/usr/bin/env bash
# Builds switchyard in Release (once) and starts it with ./.env and config/switchyard.json.
# Extra arguments go to the binary, e.g. scripts/run.sh --listen 0.0.0.0:8088
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SWITCHYARD_RELEASE_DIR:-build-release}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSWITCHYARD_TESTS=OFF >/dev/null
cmake --build "$build" -j "${SWITCHYARD_JOBS:-2}"
exec "$build/switchyard" "$@"
