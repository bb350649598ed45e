#!/bin/bash
# First-start initialisation with the official postgres image's variables,
# then the server in the foreground. Runs as the postgres user.
set -Eeuo pipefail

# VAR_FILE names a file holding VAR (a Docker secret), as in the official
# image; setting both is an error rather than a silent choice.
file_env() {
  local var="$1" file_var="${1}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo "error: both $var and $file_var are set; set only one" >&2
    exit 1
  fi
  if [ -n "${!file_var:-}" ]; then
    if [ ! -r "${!file_var}" ]; then
      echo "error: $file_var names ${!file_var}, which cannot be read" >&2
      exit 1
    fi
    export "$var"="$(< "${!file_var}")"
    unset "$file_var"
  fi
}
for var in POSTGRES_USER POSTGRES_PASSWORD POSTGRES_DB POSTGRES_INITDB_ARGS; do
  file_env "$var"
done

if [ "${1:-}" = "postgres" ]; then
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA" 2>/dev/null || true
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    user="${POSTGRES_USER:-postgres}"
    db="${POSTGRES_DB:-$user}"
    auth="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != "trust" ]; then
      echo "error: the database is uninitialized and POSTGRES_PASSWORD is not set;" >&2
      echo "       set POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
      exit 1
    fi
    # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words
    initdb --username="$user" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
      --auth-local=trust --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-} >/dev/null
    {
      echo
      echo "host all all all $auth"
    } >> "$PGDATA/pg_hba.conf"
    # Only the local socket while initialising, so health checks over TCP
    # see the server only once it is ready for clients.
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    if [ "$db" != "postgres" ]; then
      psql -v ON_ERROR_STOP=1 --username "$user" --dbname postgres \
        --set db="$db" <<<'CREATE DATABASE :"db";' >/dev/null
    fi
    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sh)  echo "running $f"; . "$f" ;;
        *.sql) echo "running $f"; psql -v ON_ERROR_STOP=1 --username "$user" --dbname "$db" -f "$f" ;;
        *) ;;
      esac
    done
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    echo "PostgreSQL init process complete; ready for start up."
  fi
  shift
  exec postgres -c listen_addresses='*' "$@"
fi
exec "$@"
