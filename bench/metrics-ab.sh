#!/usr/bin/env bash
# What recording metrics costs a request: the same binary with SWITCHYARD_METRICS on and off, in
# an ABBA order (on off off on on off off on, so a drift over the runs cancels out), on the
# cheapest path there is (a non-streamed request proxied to an OpenAI-compatible upstream, the
# emulator answering at once, 20 tokens), the gateway pinned to core 1 and everything else to
# core 0. Prints the gateway's CPU µs per request and the ratio of the medians; then the cost of
# recording one exchange, timed directly (bench/metrics_cost.cpp), as a share of a request's CPU
# with metrics off. Needs a build (build/ or SWITCHYARD_BUILD_DIR) and wrk
# (scripts/install-deps.sh --bench).
source "$(dirname "$0")/ab-common.sh"
post_script emu-small
up=$(free_port)
taskset -c 0 "$build/switchyard-emulator" --listen "127.0.0.1:$up" --openai-tokens 20 --no-event-log >"$work/emu.log" 2>&1 &
sleep 0.5

run() { # on|off
  local gw
  gw=$(free_port)
  rm -rf "$work/data" && mkdir -p "$work/data" && : >"$work/data/.env"
  (cd "$work/data" && SWITCHYARD_METRICS=$1 API_MASTER_KEY=sk-bench OPENAI_BASE_URL="http://127.0.0.1:$up/v1" \
    OPENAI_API_KEY=sk-upstream OPENAI_MODELS=emu-small SWITCHYARD_STORE=memory LOG_LEVEL=warn \
    exec taskset -c 1 "$build/switchyard" --listen "127.0.0.1:$gw" --threads 1 >"$work/gw.log" 2>&1) &
  measure "metrics=$1" $! "$gw"
}
# Not in a pipeline: a gateway started in a subshell would outlive a failed run.
for mode in on off off on on off off on; do run "$mode" >>"$work/runs"; tail -1 "$work/runs"; done

values() { grep "metrics=$1 " "$work/runs" | sed 's/.*cpu_us_per_req=//' | sort -n; }
median() { values "$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
on=$(median on)
off=$(median off)
echo "median cpu_us_per_req: on=$on off=$off ratio=$(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.4f", a / b}')"
# Whole requests are too noisy here to resolve a 2% difference, so recording is also timed
# directly, against the cheapest request seen with metrics off: the largest share it can be.
cost=$(taskset -c 1 "$build/switchyard-metrics-cost")
echo "$cost"
record=$(sed -n 's/^record_ns_one_thread=//p' <<<"$cost")
usage=$(sed -n 's/^usage_ns_one_thread=//p' <<<"$cost")
cheapest=$(values off | head -1)
echo "recording share of a request's CPU: $(awk -v r="$record" -v b="$cheapest" 'BEGIN {printf "%.2f%%", r / 1000 / b * 100}') (of the cheapest run with metrics off, $cheapest µs)"
echo "usage statistics share of a request's CPU: $(awk -v r="$usage" -v b="$cheapest" 'BEGIN {printf "%.2f%%", r / 1000 / b * 100}')"
echo "both: $(awk -v r="$record" -v u="$usage" -v b="$cheapest" 'BEGIN {printf "%.2f%%", (r + u) / 1000 / b * 100}')"
