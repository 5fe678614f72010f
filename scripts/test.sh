#!/usr/bin/env bash
# Runs every test: the Swift test suites (the storage tests on SQLite and on PostgreSQL), the
# crash-safety run (SIGKILL while events pour in; nothing acknowledged may be lost) and the
# schemathesis fuzz of the HTTP interface.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
# The storage tests run on SQLite always and on PostgreSQL when REBIND_TEST_POSTGRES_URL is
# set: without one given, a throwaway cluster serves this run and is removed at exit.
if [[ -z "${REBIND_TEST_POSTGRES_URL:-}" ]]; then
  source scripts/test-postgres.sh
  trap stop_test_postgres EXIT
  trap 'exit 143' TERM INT
  start_test_postgres
fi
swift build --build-tests
swift test --skip-build 2>&1 | tee .build/swift-test.log
python3 scripts/crash-safety.py .build/debug/rebind
scripts/fuzz.sh .build/debug/rebind

swift_tests=$(grep -oE 'Test run with [0-9]+ tests?' .build/swift-test.log | tail -n 1 | grep -oE '[0-9]+' || echo 0)
if [[ "$swift_tests" -eq 0 ]]; then
  echo "swift test ran no test" >&2
  exit 1
fi
echo "summary: $((swift_tests + 2)) passed, 0 failed"
