#!/usr/bin/env bash
# Installs everything switchyard needs on Debian 12: build toolchain and libraries (apt),
# and the pinned SDKs and frameworks for the SDK tests (npm, from tests/sdk/package-lock.json),
# Chromium with puppeteer-core for the dashboard tests (tests/browser/package-lock.json), and
# Prometheus for promtool, which checks the /metrics page.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --runtime  only what the built binary needs to run
#   scripts/install-deps.sh --bench    build dependencies plus what bench/run uses and compares
#                                      against: wrk, nginx, Portkey (bench/package-lock.json), and
#                                      h2load for cross-checks (bench/README.md says why the
#                                      fixed-rate runs use bench/load.cpp instead)
#   scripts/install-deps.sh --fuzz     build dependencies plus clang-14 and libFuzzer, for
#                                      scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive

runtime_pkgs=(ca-certificates libssl3 libspdlog1.10 libsqlite3-0 libprometheus-cpp-core1.0 libxml2 libhiredis0.14 curl)
build_pkgs=(build-essential cmake ninja-build ccache git pkg-config
  libboost1.81-dev libboost-url1.81-dev nlohmann-json3-dev libssl-dev libspdlog-dev
  libsqlite3-dev libgtest-dev prometheus-cpp-dev libxml2-dev libhiredis-dev)
test_pkgs=(nodejs npm curl json-schema-test-suite chromium prometheus redis-server)
bench_pkgs=(nodejs npm wrk nghttp2-client nginx-light util-linux binutils)
fuzz_pkgs=(clang-14 libfuzzer-14-dev libclang-rt-14-dev)

case "$mode" in
  --runtime) pkgs=("${runtime_pkgs[@]}") ;;
  --build)   pkgs=("${runtime_pkgs[@]}" "${build_pkgs[@]}") ;;
  all|--all) pkgs=("${runtime_pkgs[@]}" "${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  --bench)   pkgs=("${runtime_pkgs[@]}" "${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
  --fuzz)    pkgs=("${runtime_pkgs[@]}" "${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
  *) echo "usage: $0 [--runtime|--build|--all|--bench|--fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  # A Node.js from elsewhere (e.g. NodeSource, which bundles npm) is fine and conflicts with
  # Debian's npm package, so Node is only installed when there is none.
  case $p in nodejs | npm) command -v node >/dev/null && command -v npm >/dev/null && continue ;; esac
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$mode" = all ] || [ "$mode" = --all ]; then
  (cd tests/sdk && npm ci --no-audit --no-fund --loglevel=error)
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ "$mode" = --bench ]; then
  (cd bench && npm ci --no-audit --no-fund --loglevel=error)
fi
