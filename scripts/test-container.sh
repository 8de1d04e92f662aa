#!/usr/bin/env bash
# Container tests: builds the images, starts the single-instance compose deployment (compose.yaml)
# with a test .env pointing at the upstream emulator and runs the openai SDK tests against it;
# then starts the cluster profile (redis, two gateways, nginx) and runs tests/container/cluster.test.mjs.
# Uses `docker compose` where a Docker engine runs, and the podman recipe in ../shared/container.sh
# otherwise (whose podman-compose knows no profiles: naming the services does the same). Needs a
# prior `scripts/test.sh` (for the emulator binary).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SWITCHYARD_BUILD_DIR:-build}
image=localhost/switchyard:latest
work=$(mktemp -d)
chmod 755 "$work" # the containers' user reads the test's config file from it
# Every compose command (up, kill, down) reads these: docker compose refuses a missing env_file.
export SWITCHYARD_ENV_FILE="$work/.env"
touch "$SWITCHYARD_ENV_FILE"
project=switchyard-smoke-$$

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

compose_file=compose.yaml
if docker info >/dev/null 2>&1; then
  build_image() { docker build -f "$1" -t "$2" .; }
  compose() { docker compose "$@"; }
  cluster_up() { docker compose --profile cluster "$@" up -d nginx emulator; }
  cluster_down() { docker compose --profile cluster -p "$project-cluster" -f "$compose_file" -f "$work/cluster.override.yaml" down; }
  kill_service() { echo "docker compose --profile cluster -p $project-cluster $1 kill $2"; }
else
  container_sh=$(pwd)/../shared/container.sh
  [ -x "$container_sh" ] || { echo "no Docker engine and no ../shared/container.sh" >&2; exit 1; }
  build_image() { "$container_sh" build "$1" . "$2"; }
  # Debian's podman-compose 1.0.3 reads no nested defaults: the published port becomes ${PORT}.
  sed 's/\${NGINX_PORT:-\${PORT:-8088}}/${PORT}/' compose.yaml >.compose-podman.yaml
  compose_file=.compose-podman.yaml
  compose() { "$container_sh" compose "$@"; }
  cluster_up() { "$container_sh" compose "$@" up -d nginx emulator; }
  cluster_down() { "$container_sh" compose -p "$project-cluster" -f "$compose_file" -f "$work/cluster.override.yaml" down; }
  kill_service() { echo "podman kill ${project}-cluster_$2_1"; }
fi

cleanup() {
  compose -p "$project" -f "$compose_file" -f "$work/compose.override.yaml" down >/dev/null 2>&1 || true
  cluster_down >/dev/null 2>&1 || true
  rm -rf "$work"
  [ "$compose_file" = compose.yaml ] || rm -f "$compose_file"
}
trap cleanup EXIT

echo "== building $image and the cluster profile's redis and nginx"
build_image docker/Dockerfile "$image"
build_image docker/redis.Dockerfile localhost/switchyard-redis:latest
build_image docker/nginx.Dockerfile localhost/switchyard-nginx:latest

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
export PORT="127.0.0.1:$gateway_port"
compose -p "$project" -f "$compose_file" -f "$work/compose.override.yaml" up -d switchyard emulator

for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$gateway_port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$gateway_port/healthz" >/dev/null || { echo "container did not become healthy" >&2; exit 1; }
curl -fsS "http://127.0.0.1:$gateway_port/" | grep -q '<title>switchyard</title>' ||
  { echo "the dashboard is not served from the image" >&2; exit 1; }

echo "== SDK tests against the container"
(cd tests/sdk && SWITCHYARD_URL="http://127.0.0.1:$gateway_port" SWITCHYARD_API_KEY=sk-smoke-key node --test sdk.test.mjs)

compose -p "$project" -f "$compose_file" -f "$work/compose.override.yaml" down >/dev/null 2>&1 || true

echo "== the cluster profile: redis, two gateways, nginx"
cluster_port=$(free_port) gateway_1_port=$(free_port) gateway_2_port=$(free_port)
cat >>"$work/.env" <<ENV
ADMIN_KEY=sk-smoke-admin
OPENAI_BASE_URL=http://emulator:9000/v1
OPENAI_API_KEY=sk-up-1
OPENAI_MODELS=emu-small
ENV
# A key with a limit, in a config file of the test's own.
node -e '
  const c = JSON.parse(require("fs").readFileSync("config/switchyard.json", "utf8"));
  c.keys = [{ name: "team-a", key: "sk-team-a", rpm: 2 }];
  require("fs").writeFileSync(process.argv[1], JSON.stringify(c));' "$work/switchyard.json"
chmod 644 "$work/switchyard.json"
cat >"$work/cluster.override.yaml" <<YAML
services:
  emulator:
    image: $image
    entrypoint: ["/opt/emulator/switchyard-emulator", "--listen", "0.0.0.0:9000", "--tokens", "smoke-token", "--device-id", "smoke-device", "--openai-keys", "sk-up-1"]
    volumes:
      - "$(cd "$build" && pwd)/switchyard-emulator:/opt/emulator/switchyard-emulator:ro"
  gateway-1:
    ports: ["127.0.0.1:$gateway_1_port:8088"]
    volumes: ["$work/switchyard.json:/etc/switchyard/switchyard.json:ro"]
  gateway-2:
    ports: ["127.0.0.1:$gateway_2_port:8088"]
    volumes: ["$work/switchyard.json:/etc/switchyard/switchyard.json:ro"]
YAML
export PORT="127.0.0.1:$cluster_port"
cluster_up -p "$project-cluster" -f "$compose_file" -f "$work/cluster.override.yaml"
for url in "http://127.0.0.1:$cluster_port" "http://127.0.0.1:$gateway_1_port" "http://127.0.0.1:$gateway_2_port"; do
  for _ in $(seq 1 100); do curl -fsS "$url/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS "$url/healthz" >/dev/null || { echo "$url did not become healthy" >&2; exit 1; }
done
CLUSTER_URL="http://127.0.0.1:$cluster_port" GATEWAY_1_URL="http://127.0.0.1:$gateway_1_port" \
GATEWAY_2_URL="http://127.0.0.1:$gateway_2_port" SWITCHYARD_API_KEY=sk-smoke-key ADMIN_KEY=sk-smoke-admin \
KILL_GATEWAY_1="$(kill_service "-f $compose_file -f $work/cluster.override.yaml" gateway-1)" \
  node --test tests/container/cluster.test.mjs
