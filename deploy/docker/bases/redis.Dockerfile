# Redis from Debian's package, a stand-in for the official redis image on
# machines that cannot pull it. Same contract where the app relies on it:
# `redis-server` is the command, data lives in the /data volume, the server
# listens on every interface without protected mode (the network is the
# boundary, as in the official image), and it runs as the `redis` user.
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
WORKDIR /data
VOLUME /data
USER redis
EXPOSE 6379
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["redis-server"]
