#!/usr/bin/env bash
# What a conversation turn costs on each store: the same binary with SWITCHYARD_STORE=sqlite
# (the baseline), redis with appendfsync always (as durable: on disk before [DONE]) and redis
# without persistence, alternated (three rounds). Load: bench/turns.mjs, 8 loops of 5
# non-streamed FlowGPT turns per conversation, for 6 s after a 1 s warm-up. The gateway runs
# --threads 1 on core 1; node, the emulator and redis-server share core 0. Prints per mode the
# turns per second, p50/p99 latency, the gateway's CPU µs per turn and redis-server's, from /proc.
# Needs a build (build/ or SWITCHYARD_BUILD_DIR), redis-server and node.
source "$(dirname "$0")/ab-common.sh"

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
per_turn_us() { awk -v c="$1" -v t="$(getconf CLK_TCK)" -v n="$2" 'BEGIN {printf "%.0f", n ? c * 1e6 / t / n : 0}'; }

run() { # sqlite | redis-always | redis-volatile
  local mode=$1 up gw redis_port store=sqlite redis_pid=
  up=$(free_port); gw=$(free_port)
  taskset -c 0 "$build/switchyard-emulator" --listen "127.0.0.1:$up" --no-event-log >"$work/emu.log" 2>&1 &
  local emu=$!
  rm -rf "$work/data" && mkdir -p "$work/data"
  if [[ $mode == redis-* ]]; then
    store=redis; redis_port=$(free_port)
    local fsync=(--appendonly no)
    [ "$mode" = redis-always ] && fsync=(--appendonly yes --appendfsync always)
    taskset -c 0 redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --dir "$work/data" "${fsync[@]}" >/dev/null &
    redis_pid=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break; sleep 0.05; done
  fi
  (cd "$work/data" && SWITCHYARD_STORE=$store REDIS_URL="redis://127.0.0.1:${redis_port:-6379}" API_MASTER_KEY=sk-bench \
    FLOWGPT_BEARER_TOKEN=tok FLOWGPT_BASE_URL="http://127.0.0.1:$up" CHATGPTFREE_BASE_URL=http://127.0.0.1:9 LOG_LEVEL=warn \
    exec taskset -c 1 "$build/switchyard" --listen "127.0.0.1:$gw" --threads 1 >"$work/gw.log" 2>&1) &
  local pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$gw/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
  taskset -c 0 node bench/turns.mjs "http://127.0.0.1:$gw" sk-bench 1 >/dev/null
  local g0 r0=0 g1 r1=0 out turns
  g0=$(cpu_ticks "$pid"); [ -n "$redis_pid" ] && r0=$(cpu_ticks "$redis_pid")
  out=$(taskset -c 0 node bench/turns.mjs "http://127.0.0.1:$gw" sk-bench 6)
  g1=$(cpu_ticks "$pid"); [ -n "$redis_pid" ] && r1=$(cpu_ticks "$redis_pid")
  turns=$(node -e 'const r=JSON.parse(process.argv[1]); if (r.failures) { console.error(process.argv[1]); process.exit(1) } console.log(r.turns)' "$out")
  node -e 'const r=JSON.parse(process.argv[1]); console.log(`${process.argv[2]} turns_per_s=${(r.turns/6).toFixed(0)} p50_ms=${r.p50_ms.toFixed(2)} p99_ms=${r.p99_ms.toFixed(2)} gateway_cpu_us_per_turn=${process.argv[3]} redis_cpu_us_per_turn=${process.argv[4]}`)' \
    "$out" "$mode" "$(per_turn_us $((g1 - g0)) "$turns")" "$(per_turn_us $((r1 - r0)) "$turns")"
  kill "$pid" "$emu" $redis_pid 2>/dev/null || true
  wait "$pid" "$emu" $redis_pid 2>/dev/null || true
}
for round in 1 2 3; do
  for mode in sqlite redis-always redis-volatile; do run "$mode"; done
done
