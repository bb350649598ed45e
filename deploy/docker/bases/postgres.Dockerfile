# PostgreSQL from Debian's packages, a stand-in for the official postgres
# image on machines that cannot pull it. It keeps the official contract:
# POSTGRES_USER, POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust),
# POSTGRES_DB and POSTGRES_INITDB_ARGS, each also as VAR_FILE (a file such
# as a Docker secret holding the value); the cluster is initialised on first
# start in PGDATA (a volume), scripts in /docker-entrypoint-initdb.d run once,
# and the server listens on every interface with password authentication.
ARG DEBIAN_IMAGE=muelle/debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql /docker-entrypoint-initdb.d \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
 && chmod 700 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
