#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the storage tests. Source it, then:
#   start_test_postgres   installs Debian's postgresql when initdb is missing, creates a cluster
#                         in a temporary directory, starts it on a free loopback port (as the
#                         postgres user when run as root: the server refuses to run as root)
#                         and exports REBIND_TEST_POSTGRES_URL
#   stop_test_postgres    stops the cluster and removes its directory
# TEST_POSTGRES_OPTIONS adds server settings to the start (e.g. "-c shared_buffers=2GB", as the
# benchmarks do).
# Run directly (scripts/test-postgres.sh) it starts a cluster, prints the export line and
# leaves the cluster running, for development; stop it with pg_ctl -D DIR/data stop.

test_postgres_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

test_postgres_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_test_postgres() {
  local bin
  bin=$(test_postgres_bin)
  if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
    echo "Installing Debian's postgresql for the storage tests" >&2
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
      command -v sudo >/dev/null || { echo "Run as root or install sudo to install postgresql" >&2; return 1; }
      sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    bin=$(test_postgres_bin)
  fi

  TEST_POSTGRES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/rebind-postgres.XXXXXX")
  local as_owner=()
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$TEST_POSTGRES_DIR"
    as_owner=(runuser -u postgres --)
  fi
  TEST_POSTGRES_PG_CTL=("${as_owner[@]}" "$bin/pg_ctl" -D "$TEST_POSTGRES_DIR/data")

  # Trust on loopback only: a cluster that lives as long as one test run, with no data worth
  # a password. fsync is off because nothing here must survive a power cut.
  "${as_owner[@]}" "$bin/initdb" -D "$TEST_POSTGRES_DIR/data" -U rebind --auth=trust -E UTF8 --no-sync >"$TEST_POSTGRES_DIR/initdb.log"
  local port attempt
  for attempt in 1 2 3; do
    port=$(test_postgres_free_port)
    if "${TEST_POSTGRES_PG_CTL[@]}" -l "$TEST_POSTGRES_DIR/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $TEST_POSTGRES_DIR -c fsync=off -c max_connections=300 ${TEST_POSTGRES_OPTIONS:-}" start >/dev/null; then
      break
    fi
    [[ $attempt -eq 3 ]] && { cat "$TEST_POSTGRES_DIR/server.log" >&2; return 1; }
  done
  "${as_owner[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U rebind rebind_test
  export REBIND_TEST_POSTGRES_URL="postgres://rebind@127.0.0.1:$port/rebind_test?sslmode=disable"
  echo "PostgreSQL for the storage tests: $REBIND_TEST_POSTGRES_URL ($TEST_POSTGRES_DIR)" >&2
}

stop_test_postgres() {
  [[ -n "${TEST_POSTGRES_DIR:-}" ]] || return 0
  "${TEST_POSTGRES_PG_CTL[@]}" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$TEST_POSTGRES_DIR"
  unset TEST_POSTGRES_DIR REBIND_TEST_POSTGRES_URL
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  start_test_postgres
  echo "export REBIND_TEST_POSTGRES_URL='$REBIND_TEST_POSTGRES_URL'"
fi
