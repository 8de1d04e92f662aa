#!/usr/bin/env bash
# Builds switchyard with warnings as errors and runs the four test tiers:
#   1. unit tests (GoogleTest, through ctest)
#   2. end-to-end tests: the real binary against the upstream emulator (node:test)
#   3. SDK tests: the official openai npm package against the binary
#   4. browser tests: the dashboard and chat page in Debian's chromium (puppeteer-core)
# Run scripts/install-deps.sh first. SWITCHYARD_BUILD_DIR picks the build folder (default build/).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SWITCHYARD_BUILD_DIR:-build}
export SWITCHYARD_BUILD_DIR=$(pwd)/$build
case $build in /*) SWITCHYARD_BUILD_DIR=$build ;; esac
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSWITCHYARD_WERROR=ON -DSWITCHYARD_TESTS=ON ${SWITCHYARD_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "${SWITCHYARD_JOBS:-2}"

# A tier that hangs (say, a test file waiting on a gateway that crashed) fails instead of
# holding CI to its own limit. The budgets are about ten times a tier's usual time here.
bounded() {
  local seconds=$1
  shift
  timeout --kill-after=10 "$seconds" "$@" && return 0
  local rc=$?
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "# the tier did not end within ${seconds} s and was stopped"
    echo "# fail 1"
  fi
  return $rc
}

status=0
echo "== unit tests"
(cd "$build" && ctest --output-on-failure -j2 --timeout 300) 2>&1 | tee "$logs/unit" || status=1
echo "== end-to-end tests"
bounded 1200 node --test tests/e2e/gateway.test.mjs tests/e2e/conversations.test.mjs tests/e2e/chatgptfree.test.mjs tests/e2e/openai.test.mjs tests/e2e/config.test.mjs tests/e2e/faults.test.mjs tests/e2e/tools.test.mjs tests/e2e/continuation.test.mjs tests/e2e/anthropic.test.mjs tests/e2e/operations.test.mjs tests/e2e/reach.test.mjs tests/e2e/redis.test.mjs 2>&1 | tee "$logs/e2e" || status=1
echo "== SDK tests (openai $(node -p "require('./tests/sdk/node_modules/openai/package.json').version"))"
(cd tests/sdk && bounded 600 node --test --test-concurrency=1 sdk.test.mjs frameworks.test.mjs anthropic.test.mjs claude-code.test.mjs responses.test.mjs codex.test.mjs) 2>&1 | tee "$logs/sdk" || status=1

echo "== browser tests (chromium $(chromium --version 2>/dev/null | sed -n 's/^Chromium \([0-9.]*\).*/\1/p'), puppeteer-core $(node -p "require('./tests/browser/node_modules/puppeteer-core/package.json').version"))"
bounded 300 node --test tests/browser/dashboard.test.mjs 2>&1 | tee "$logs/browser" || status=1

unit_pass=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2 \1/p' "$logs/unit" | awk '{print $1-$2}')
unit_fail=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of.*/\1/p' "$logs/unit")
node_pass=$(cat "$logs/e2e" "$logs/sdk" "$logs/browser" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | awk '{s+=$1} END {print s+0}')
node_fail=$(cat "$logs/e2e" "$logs/sdk" "$logs/browser" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | awk '{s+=$1} END {print s+0}')
echo "total: $(( ${unit_pass:-0} + ${node_pass:-0} )) passed, $(( ${unit_fail:-1} + ${node_fail:-1} )) failed"
exit $status
