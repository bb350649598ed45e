# Prometheus from Debian's package, a stand-in for prom/prometheus on
# machines that cannot pull it. Same contract as the official image: the
# binary is /bin/prometheus (the entrypoint), the configuration
# /etc/prometheus/prometheus.yml, the data the /prometheus volume, and it
# runs as nobody; monitoring.yaml runs it as root to read the Docker socket.
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && test -x /bin/prometheus \
 && mkdir -p /prometheus && chown nobody:nogroup /prometheus
WORKDIR /prometheus
VOLUME /prometheus
USER nobody
EXPOSE 9090
ENTRYPOINT ["/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
