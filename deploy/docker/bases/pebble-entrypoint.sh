#!/bin/sh
# Makes the directory's TLS certificate on first start (a throwaway CA in
# /etc/pebble/certs/ca.pem that clients of the ACME API trust), starts the
# fake DNS that answers PEBBLE_DOMAIN_IP for every name, then pebble.
set -eu

: "${PEBBLE_DOMAIN_IP:?set PEBBLE_DOMAIN_IP to the address test domains resolve to}"
certs=/etc/pebble/certs

if [ ! -s "$certs/cert.pem" ]; then
  san="IP:127.0.0.1"
  for name in $(echo "${PEBBLE_TLS_NAMES:-pebble,localhost}" | tr ',' ' '); do
    san="$san,DNS:$name"
  done
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=pebble lab CA" \
    -keyout "$certs/ca-key.pem" -out "$certs/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=pebble" \
    -keyout "$certs/key.pem" -out "$certs/cert.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" > "$certs/ext.cnf"
  openssl x509 -req -in "$certs/cert.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca-key.pem" \
    -CAcreateserial -days 3650 -extfile "$certs/ext.cnf" -out "$certs/cert.pem" 2>/dev/null
fi

pebble-challtestsrv -defaultIPv4 "$PEBBLE_DOMAIN_IP" -defaultIPv6 "" \
  -dns01 127.0.0.1:8053 -http01 "" -https01 "" -tlsalpn01 "" \
  -management 127.0.0.1:8055 &

exec pebble -config /etc/pebble/pebble-config.json -dnsserver 127.0.0.1:8053 "$@"
