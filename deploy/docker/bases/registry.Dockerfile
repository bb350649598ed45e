# The Docker registry from Debian's package (the distribution registry), a
# stand-in for the official registry:2 image on machines that cannot pull it.
# Same contract: it listens on :5000 over plain HTTP and keeps its data in
# the /var/lib/registry volume. The lab's nodes pull from it.
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends docker-registry ca-certificates \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && mkdir -p /var/lib/registry
COPY registry-config.yml /etc/docker/registry/config.yml
VOLUME /var/lib/registry
EXPOSE 5000
ENTRYPOINT ["/usr/bin/docker-registry"]
CMD ["serve", "/etc/docker/registry/config.yml"]
