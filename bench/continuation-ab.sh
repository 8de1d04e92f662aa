#!/usr/bin/env bash
# What transparent continuation costs a one-shot FlowGPT request: the same binary with
# SWITCHYARD_CONTINUATION on and off, alternated (on off on off), non-streamed requests from
# wrk -t1 -c16 for 6 s against the emulator (--answer-chunks 60), the gateway pinned to core 1 and
# everything else to core 0. Prints the gateway's CPU µs per request (user+system, from /proc).
# Needs a build (build/ or SWITCHYARD_BUILD_DIR) and wrk (scripts/install-deps.sh --bench).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${SWITCHYARD_BUILD_DIR:-build}")
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"gpt-4-free","messages":[{"role":"user","content":"bench question"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
LUA

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
  sleep 1
  wrk -t1 -c16 -d1s -s "$work/post.lua" "http://127.0.0.1:$gw/v1/chat/completions" >/dev/null # warm-up
  local c0 c1 out reqs
  c0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  out=$(taskset -c 0 wrk -t1 -c16 -d6s -s "$work/post.lua" "http://127.0.0.1:$gw/v1/chat/completions")
  c1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  grep -q Non-2xx <<<"$out" && { echo "$1: errors: $out" >&2; exit 1; }
  echo "continuation=$1 requests=$reqs cpu_us_per_req=$(awk -v c=$((c1 - c0)) -v t="$(getconf CLK_TCK)" -v n="$reqs" 'BEGIN {printf "%.1f", c * 1e6 / t / n}')"
  kill "$pid" "$emu"; wait "$pid" "$emu" 2>/dev/null || true
}
for mode in on off on off; do run "$mode"; done
