# The PostgreSQL exporter from Debian's package
# (prometheus-postgres-exporter), a stand-in for
# quay.io/prometheuscommunity/postgres-exporter on machines that cannot
# pull it. Same contract as the official image: /bin/postgres_exporter is
# the entrypoint, DATA_SOURCE_NAME names the server, it listens on 9187 and
# runs as nobody.
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-postgres-exporter \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && ln -s prometheus-postgres-exporter /usr/bin/postgres_exporter
USER nobody
EXPOSE 9187
ENTRYPOINT ["/bin/postgres_exporter"]
