# The Redis exporter from Debian's package (prometheus-redis-exporter), a
# stand-in for oliver006/redis_exporter on machines that cannot pull it.
# Same contract as the official image: /redis_exporter is the entrypoint,
# REDIS_ADDR names the server, it listens on 9121 and runs unprivileged.
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-redis-exporter \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && ln -s /usr/bin/prometheus-redis-exporter /redis_exporter
USER nobody
EXPOSE 9121
ENTRYPOINT ["/redis_exporter"]
