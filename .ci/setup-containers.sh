#!/usr/bin/env bash
# Makes this machine able to run @sentinelkit/testing's container backend, and
# prints the environment to use it, as `export` lines on stdout (progress goes
# to stderr), so a caller can do:
#
#   eval "$(bash .ci/setup-containers.sh)"
#
# Idempotent: each step checks first and does nothing when already done.
# Debian 12 (root or sudo). No container registry is reachable on our CI
# machines, so the redis image is made locally from Debian's redis-server and
# the libraries it links (see shared/MACHINE.md); podman (with runc) serves the
# Docker API that testcontainers talks to.
set -euo pipefail

IMAGE="${SENTINELKIT_REDIS_IMAGE:-localhost/redis-local:7}"
SOCKET_PATH=/run/podman-test.sock
SOCKET="unix://$SOCKET_PATH"
LABEL=org.sentinelkit.testing

log() { echo "setup-containers: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. podman + runc (crun fails here on cgroups and on raising ulimits).
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  log "installing podman and runc from Debian's packages"
  apt_install podman runc
fi

# 2. Engine settings that work on these machines.
CONF_WANTED='[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"'
if [ "$(cat /etc/containers/containers.conf 2>/dev/null || true)" != "$CONF_WANTED" ]; then
  log "writing /etc/containers/containers.conf (runc, ulimits)"
  as_root mkdir -p /etc/containers
  printf '%s\n' "$CONF_WANTED" | as_root tee /etc/containers/containers.conf >/dev/null
fi

# 3. The redis image, made from Debian's redis-server binary and what ldd lists.
if ! as_root podman image exists "$IMAGE"; then
  if ! command -v redis-server >/dev/null 2>&1; then
    log "installing redis-server from Debian's packages (for its binary)"
    apt_install redis-server
  fi
  log "building $IMAGE from $(command -v redis-server)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  root="$work/root"
  mkdir -p "$root/usr/bin" "$root/data" "$root/tmp"
  chmod 1777 "$root/tmp"
  # redis-server is a symlink to redis-check-rdb in Debian; the binary picks its
  # mode from argv[0], so it is copied under the name redis-server.
  cp -L "$(command -v redis-server)" "$root/usr/bin/redis-server"
  ldd "$(command -v redis-server)" | grep -oE '/[^ ]+' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  tar -C "$root" -cf "$work/redis.tar" .
  as_root podman import --change 'WORKDIR /data' --change 'CMD ["/usr/bin/redis-server"]' \
    "$work/redis.tar" "$IMAGE" >/dev/null
fi

# 4. The Docker API, served by podman on a socket of its own.
if ! as_root podman --url "$SOCKET" version >/dev/null 2>&1; then
  log "starting podman system service on $SOCKET"
  as_root rm -f "$SOCKET_PATH"
  # Detached, with its output in a file: a caller doing "$(…)" must not wait for it. Started
  # from /: the service outlives its caller, and every container's conmon inherits its working
  # directory; started in a checkout that is later deleted, each container start fails with
  # "Failed to get working directory" / "write child: broken pipe".
  (cd / && as_root setsid nohup podman system service --time=0 "$SOCKET") \
    >/tmp/podman-test-service.log 2>&1 </dev/null &
  for _ in $(seq 1 100); do
    as_root podman --url "$SOCKET" version >/dev/null 2>&1 && break
    sleep 0.1
  done
  as_root podman --url "$SOCKET" version >/dev/null 2>&1 || {
    log "podman system service did not answer; see /tmp/podman-test-service.log"
    exit 1
  }
fi

# 5. Containers left by a test process that died before stop() (Ryuk, which
#    would reap them, is off with podman). They would hold host ports.
leftovers="$(as_root podman ps -aq --filter "label=$LABEL" || true)"
if [ -n "$leftovers" ]; then
  log "removing $(echo "$leftovers" | wc -l) leftover sentinelkit container(s)"
  # shellcheck disable=SC2086
  as_root podman rm -f $leftovers >/dev/null
fi

log "ready: $IMAGE on $SOCKET"
echo "export DOCKER_HOST=$SOCKET"
echo "export TESTCONTAINERS_RYUK_DISABLED=true"
echo "export SENTINELKIT_REDIS_IMAGE=$IMAGE"
