#!/usr/bin/env bash
# Runs Rebind on its embedded default: SQLite in ./rebind.sqlite, listening on 127.0.0.1:8080
# (the admin listener, /readyz and /metrics, on 127.0.0.1:8081).
# Configuration comes from REBIND_* variables and ./.env (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build -c release --product rebind
exec .build/release/rebind serve "$@"
