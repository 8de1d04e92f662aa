#!/usr/bin/env bash
# What transparent continuation costs a one-shot FlowGPT request: the same binary with
# SWITCHYARD_CONTINUATION on and off, alternated (on off on off), non-streamed requests from
# wrk -t1 -c16 for 6 s against the emulator (--answer-chunks 60), the gateway pinned to core 1 and
# everything else to core 0. Prints the gateway's CPU µs per request (user+system, from /proc).
# Needs a build (build/ or SWITCHYARD_BUILD_DIR) and wrk (scripts/install-deps.sh --bench).
source "$(dirname "$0")/ab-common.sh"
post_script gpt-4-free

run() { # on|off
  local up gw
  up=$(free_port); gw=$(free_port)
  taskset -c 0 "$build/switchyard-emulator" --listen "127.0.0.1:$up" --answer-chunks 60 --no-event-log >"$work/emu.log" 2>&1 &
  local emu=$!
  rm -rf "$work/data" && mkdir -p "$work/data"
  (cd "$work/data" && SWITCHYARD_CONTINUATION=$1 API_MASTER_KEY=sk-bench FLOWGPT_BEARER_TOKEN=tok \
    FLOWGPT_BASE_URL="http://127.0.0.1:$up" LOG_LEVEL=warn \
    exec taskset -c 1 "$build/switchyard" --listen "127.0.0.1:$gw" --threads 1 >"$work/gw.log" 2>&1) &
  local pid=$!
  measure "continuation=$1" "$pid" "$gw"
  kill "$emu"; wait "$emu" 2>/dev/null || true
}
for mode in on off on off; do run "$mode"; done
