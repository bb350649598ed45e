# A Swarm lab node: Debian's Docker engine in a container (docker-in-docker),
# so one machine runs a real multi-node Swarm (`muelle lab`). Each node runs
# its own dockerd on a per-node volume at /var/lib/docker.
#
# It must not need --privileged (CAP_SYS_RESOURCE cannot be granted on some
# hosts). Start it with:
#   docker run -d --hostname NODE -e NODE_NAME=NODE \
#     --cap-add ALL --cap-drop SYS_RESOURCE \
#     --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#     --security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm' \
#     --tmpfs /run -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
#     -v NODE-docker:/var/lib/docker --network LAB muelle/node:bookworm
# Environment (all optional): NODE_NAME (the inner engine's cgroup parent),
# LAB_INSECURE_REGISTRIES (registries to pull from over plain HTTP),
# LAB_REGISTRY_FORWARD (`PORT=HOST:PORT`: 127.0.0.1:PORT on the node forwards
# to the lab registry, so the name the host pushes to also works on the node),
# DOCKERD_TCP (an address for the engine API over plain TCP, e.g.
# 0.0.0.0:2375; publish it on the host's loopback only: it is root on the node).
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      docker.io iptables ca-certificates tini socat procps iproute2 curl \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*
COPY node-entrypoint.sh /usr/local/bin/node-entrypoint
VOLUME /var/lib/docker
EXPOSE 2375 2377 7946 4789/udp
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=1s --timeout=3s --start-period=60s --retries=3 \
  CMD ["docker", "version", "--format", "{{.Server.Version}}"]
ENTRYPOINT ["tini", "--", "/usr/local/bin/node-entrypoint"]
