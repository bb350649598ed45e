# Debian's pebble, a small ACME server for tests (the lab's stand-in for
# Let's Encrypt), with pebble-challtestsrv as the DNS server pebble asks, so
# every test domain resolves to the lab's ingress without real DNS.
#   ACME directory  https://HOST:14000/dir      TLS by a certificate made on
#                                               first start, signed by
#                                               /etc/pebble/certs/ca.pem
#   management      https://HOST:15000/roots/0  the root that signs the
#                                               certificates pebble issues
# Environment: PEBBLE_DOMAIN_IP (the IPv4 address every domain resolves to;
# required), PEBBLE_TLS_NAMES (names in the directory's certificate, default
# `pebble,localhost`; 127.0.0.1 is always in). Challenges are checked on the
# standard ports 80 (HTTP-01) and 443 (TLS-ALPN-01), without pebble's
# random sleeps and nonce rejections, so issuance is fast and deterministic.
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends pebble ca-certificates tini openssl \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && mkdir -p /etc/pebble/certs
COPY pebble-config.json /etc/pebble/pebble-config.json
COPY pebble-entrypoint.sh /usr/local/bin/pebble-entrypoint
ENV PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_TLS_NAMES=pebble,localhost
EXPOSE 14000 15000
ENTRYPOINT ["tini", "--", "/usr/local/bin/pebble-entrypoint"]
