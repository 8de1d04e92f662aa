#!/usr/bin/env bash
# Throughput of two instances behind nginx against one, close to the compose cluster profile
# (which runs nginx with a worker per core): nginx (one worker, least_conn, keep-alive,
# proxy_buffering off) in front of one or of two
# gateways (--threads 1 each, SWITCHYARD_STORE=redis on one redis-server), alternated over three
# rounds. Load: wrk -t1 -c32 for 6 s after a 1 s warm-up, non-streamed FlowGPT requests (one-shot:
# no conversation). Nothing is pinned: every process shares the machine's cores, as in a
# deployment, so the ratio says what a second instance buys on this machine.
# Needs a build (build/ or SWITCHYARD_BUILD_DIR), redis-server, nginx and wrk (scripts/install-deps.sh --bench).
source "$(dirname "$0")/ab-common.sh"
post_script gpt-4-free

up=$(free_port) redis_port=$(free_port)
"$build/switchyard-emulator" --listen "127.0.0.1:$up" --no-event-log >"$work/emu.log" 2>&1 &
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
sleep 0.5

gateway() { # PORT: starts one instance
  (SWITCHYARD_STORE=redis REDIS_URL="redis://127.0.0.1:$redis_port" API_MASTER_KEY=sk-bench FLOWGPT_BEARER_TOKEN=tok \
    FLOWGPT_BASE_URL="http://127.0.0.1:$up" CHATGPTFREE_BASE_URL=http://127.0.0.1:9 LOG_LEVEL=warn SWITCHYARD_DATA_DIR="$work" \
    exec "$build/switchyard" --listen "127.0.0.1:$1" --threads 1 >>"$work/gw.log" 2>&1) &
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
}

run() { # one | two
  local front g1 g2 servers pids=()
  front=$(free_port); g1=$(free_port); g2=$(free_port)
  gateway "$g1"; pids+=($!)
  servers="server 127.0.0.1:$g1;"
  if [ "$1" = two ]; then gateway "$g2"; pids+=($!); servers="$servers server 127.0.0.1:$g2;"; fi
  mkdir -p "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx;
  upstream gw { least_conn; $servers keepalive 64; }
  server { listen 127.0.0.1:$front;
    location / { proxy_pass http://gw; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; } }
}
CONF
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' &
  local ng=$!
  sleep 0.3
  wrk -t1 -c32 -d1s -s "$work/post.lua" "http://127.0.0.1:$front/v1/chat/completions" >/dev/null
  local out
  out=$(wrk -t1 -c32 -d6s --latency -s "$work/post.lua" "http://127.0.0.1:$front/v1/chat/completions")
  grep -q Non-2xx <<<"$out" && { echo "$1: errors: $out" >&2; exit 1; }
  echo "$1 instance(s): rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out") p50=$(awk '$1=="50%" {print $2}' <<<"$out") p99=$(awk '$1=="99%" {print $2}' <<<"$out")"
  kill "$ng" "${pids[@]}"; wait "$ng" "${pids[@]}" 2>/dev/null || true
}
for round in 1 2 3; do run one; run two; done
