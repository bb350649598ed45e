# Caddy from Debian's package, a stand-in for the official caddy image on
# machines that cannot pull it. Same contract: the config is
# /etc/caddy/Caddyfile, certificates and ACME state live in /data (a
# volume; XDG_DATA_HOME), autosaved config in /config, and it serves 80 and
# 443, and `wget` is there for health checks (busybox wget in the official
# image). It runs as root like the official image, to bind 80/443.
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends caddy ca-certificates wget \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && mkdir -p /data /config /etc/caddy
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
VOLUME /data /config
EXPOSE 80 443 2019
WORKDIR /srv
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
