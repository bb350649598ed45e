#!/bin/sh
# Starts redis-server the way the official image does: listening on every
# interface with protected mode off, since the container network is the
# boundary. A config file given as first argument stays first.
set -e
if [ "$1" = "redis-server" ]; then
  shift
  if [ -n "$1" ] && [ "${1#-}" = "$1" ]; then
    conf="$1"; shift
    set -- redis-server "$conf" --bind '* -::*' --protected-mode no "$@"
  else
    set -- redis-server --bind '* -::*' --protected-mode no "$@"
  fi
fi
exec "$@"
