#!/bin/sh
# Starts the node's own Docker engine in the foreground (under tini, which
# reaps and forwards SIGTERM), after the one forward the lab registry needs.
set -eu

name="${NODE_NAME:-$(hostname)}"

# Mounts made by the inner engine (volumes, overlay networks' namespaces)
# must propagate as on a normal host.
mount --make-rshared / 2>/dev/null || true

if [ -n "${LAB_REGISTRY_FORWARD:-}" ]; then
  port="${LAB_REGISTRY_FORWARD%%=*}"
  target="${LAB_REGISTRY_FORWARD#*=}"
  socat "TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr" "TCP:${target}" &
fi

# The engine's own metrics on every address of the node, where the
# monitoring stack's Prometheus scrapes them (its docker-engine job).
set -- --cgroup-parent="/${name}" --host=unix:///var/run/docker.sock \
  --metrics-addr=0.0.0.0:9323 "$@"
if [ -n "${DOCKERD_TCP:-}" ]; then
  # Plain TCP is for a lab published on the host's loopback only; saying
  # --tls=false explicitly skips dockerd's 15 s warning delay.
  set -- "$@" --host="tcp://${DOCKERD_TCP}" --tls=false
fi
for registry in ${LAB_INSECURE_REGISTRIES:-}; do
  set -- "$@" --insecure-registry="${registry}"
done
exec dockerd "$@"
