# node-exporter from Debian's package (prometheus-node-exporter), a
# stand-in for prom/node-exporter on machines that cannot pull it. Same
# contract as the official image: /bin/node_exporter is the entrypoint,
# it listens on 9100 and runs as nobody.
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends prometheus-node-exporter \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && ln -s prometheus-node-exporter /usr/bin/node_exporter
USER nobody
EXPOSE 9100
ENTRYPOINT ["/bin/node_exporter"]
