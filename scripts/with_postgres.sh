#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15 cluster on 127.0.0.1, then remove the cluster.
# Installs Debian's PostgreSQL server if it is missing. Sets BUURT_TEST_DATABASE_URI for the tests.
#
# The port comes from below Linux's ephemeral range (32768-60999 by default): the SQLite run just
# before starts hundreds of loopback servers and clients on kernel-chosen ports in that range, so a
# fixed port inside it (55432 was used until issue 13) could still be held when PostgreSQL starts
# ("pg_ctl: could not start server" in CI). A port in use is skipped; a failed start prints the
# server log and tries the next port.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
DIR=$(mktemp -d /tmp/buurt-pg.XXXXXX)
chmod 755 "$DIR"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$DIR"
cleanup() { as_pg "$PGBIN/pg_ctl -D $DIR/data stop -m fast" >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
as_pg "$PGBIN/initdb -D $DIR/data -A trust -U postgres" >/dev/null

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start_on() {
  as_pg "$PGBIN/pg_ctl -D $DIR/data -l $DIR/server.log -w -t 120 -o \"-p $1 -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null
}
PORT=""
tries=0
for candidate in ${PGPORT_TEST:-} $(seq 25432 25451); do
  port_free "$candidate" || continue
  tries=$((tries + 1))
  if start_on "$candidate"; then PORT=$candidate; break; fi
  echo "PostgreSQL did not start on port $candidate; its log:" >&2
  tail -n 20 "$DIR/server.log" >&2 || true
  [ "$tries" -ge 3 ] && break
done
if [ -z "$PORT" ]; then
  echo "PostgreSQL could not be started (tried $tries ports); see the log above." >&2
  exit 1
fi
as_pg "$PGBIN/createdb -h 127.0.0.1 -p $PORT -U postgres buurt_test"
export BUURT_TEST_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:$PORT/buurt_test"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
"$@"
