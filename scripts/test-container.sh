#!/usr/bin/env bash
# Container smoke test: builds docker/Dockerfile, starts the compose deployment (compose.yaml)
# with a test .env pointing at the upstream emulator, and runs the openai SDK tests against the
# container. Uses `docker compose` where a Docker engine runs, and the podman recipe in
# ../shared/container.sh otherwise. Needs a prior `scripts/test.sh` (for the emulator binary).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SWITCHYARD_BUILD_DIR:-build}
image=localhost/switchyard:latest
work=$(mktemp -d)
project=switchyard-smoke-$$

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

if docker info >/dev/null 2>&1; then
  build_image() { docker build -f docker/Dockerfile -t "$image" .; }
  compose() { docker compose "$@"; }
else
  container_sh=$(pwd)/../shared/container.sh
  [ -x "$container_sh" ] || { echo "no Docker engine and no ../shared/container.sh" >&2; exit 1; }
  build_image() { "$container_sh" build docker/Dockerfile . "$image"; }
  compose() { "$container_sh" compose "$@"; }
fi

cleanup() {
  compose -p "$project" -f compose.yaml -f "$work/compose.override.yaml" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== building $image"
build_image

gateway_port=$(free_port)

# The emulator runs as a second service of the same deployment, from the binary built by
# scripts/test.sh, and the gateway reaches it by its service name.
cat >"$work/.env" <<ENV
API_MASTER_KEY=sk-smoke-key
FLOWGPT_BEARER_TOKEN=Bearer smoke-token
FLOWGPT_DEVICE_ID=smoke-device
FLOWGPT_BASE_URL=http://emulator:9000
CHATGPTFREE_BASE_URL=http://emulator:9000
ENV
cat >"$work/compose.override.yaml" <<YAML
services:
  emulator:
    image: $image
    entrypoint: ["/opt/emulator/switchyard-emulator", "--listen", "0.0.0.0:9000", "--tokens", "smoke-token", "--device-id", "smoke-device"]
    volumes:
      - "$(cd "$build" && pwd)/switchyard-emulator:/opt/emulator/switchyard-emulator:ro"
YAML

echo "== starting the compose deployment"
PORT="127.0.0.1:$gateway_port" SWITCHYARD_ENV_FILE="$work/.env" compose -p "$project" -f compose.yaml -f "$work/compose.override.yaml" up -d

for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$gateway_port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$gateway_port/healthz" >/dev/null || { echo "container did not become healthy" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$gateway_port/" | grep -q '<title>switchyard</title>' ||
  { echo "the dashboard is not served from the image" >&2; exit 1; }

echo "== SDK tests against the container"
(cd tests/sdk && SWITCHYARD_URL="http://127.0.0.1:$gateway_port" SWITCHYARD_API_KEY=sk-smoke-key node --test sdk.test.mjs)
