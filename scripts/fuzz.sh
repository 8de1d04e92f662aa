#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang-14, ASan+UBSan, in build-fuzz/) and runs
# each over its seed corpus for a time budget, after replaying the saved crash reproducers.
# Installs nothing: run scripts/install-deps.sh --fuzz first.
#   scripts/fuzz.sh [seconds-per-target]   (default 20)
#   scripts/fuzz.sh --runs N [target ...]  (N executions each, no time limit)
# Fails when any target crashes, leaks, times out or breaks an invariant; new crash inputs are
# left in build-fuzz/artifacts/<target>/. Prints each target's execution count.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-fuzz
targets=(sse_reader ndjson_reader flowgpt_text chat_request conversation_items dotenv config_loader response_head
  tool_call_parser responses_request messages_request chat_page)
budget=(-max_total_time="${1:-20}")
if [ "${1:-}" = --runs ]; then
  budget=(-runs="$2")
  shift 2
  [ $# -eq 0 ] || targets=("$@")
fi

CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DSWITCHYARD_FUZZ=ON -DSWITCHYARD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "${SWITCHYARD_JOBS:-2}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
for t in "${targets[@]}"; do
  bin=$build/tests/fuzz/fuzz_$t
  log=$build/fuzz-$t.log
  artifacts=$build/artifacts/$t
  work=$build/corpus/$t # new inputs go here; the committed seeds stay as they are
  mkdir -p "$artifacts" "$work"
  if [ -d "tests/fuzz/regressions/$t" ] && ! "$bin" -runs=0 "tests/fuzz/regressions/$t" >"$log" 2>&1; then
    echo "fuzz_$t: FAILED on a saved reproducer in tests/fuzz/regressions/$t ($log)"
    status=1
    continue
  fi
  # response_head inputs reach Beast's size limits through their repeat byte; 16 KB is enough.
  if "$bin" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  echo "fuzz_$t: $result, ${runs:-?} executions (${rate:-?}/s)"
  [ "$result" = ok ] || grep -E 'ERROR|violated|runtime error|SUMMARY' "$log" | head -5 | sed 's/^/  /'
done
exit $status
