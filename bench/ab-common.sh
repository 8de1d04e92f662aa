# Shared by the bench/*-ab.sh scripts: a scratch directory, free ports, a wrk request script, and
# the measurement of one gateway's CPU per request. Sourced, not run.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${SWITCHYARD_BUILD_DIR:-build}")
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# post_script MODEL: a wrk script that sends one non-streamed chat completion for MODEL.
post_script() {
  cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"$1","messages":[{"role":"user","content":"bench question"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench"
LUA
}

# measure LABEL PID PORT: a 1 s warm-up, then 6 s of wrk -t1 -c16 on core 0 against the gateway
# (PID, listening on PORT); prints "LABEL requests=N cpu_us_per_req=X" (user+system, from /proc)
# and stops the gateway.
measure() {
  local label=$1 pid=$2 port=$3 c0 c1 out reqs
  sleep 1
  wrk -t1 -c16 -d1s -s "$work/post.lua" "http://127.0.0.1:$port/v1/chat/completions" >/dev/null
  c0=$(awk '{print $14+$15}' "/proc/$pid/stat")
  out=$(taskset -c 0 wrk -t1 -c16 -d6s -s "$work/post.lua" "http://127.0.0.1:$port/v1/chat/completions")
  c1=$(awk '{print $14+$15}' "/proc/$pid/stat")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  grep -q Non-2xx <<<"$out" && { echo "$label: errors: $out" >&2; exit 1; }
  echo "$label requests=$reqs cpu_us_per_req=$(awk -v c=$((c1 - c0)) -v t="$(getconf CLK_TCK)" -v n="$reqs" 'BEGIN {printf "%.2f", c * 1e6 / t / n}')"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
