#!/usr/bin/env bash
# Runs every test: the Swift test suites (the storage tests on SQLite and on PostgreSQL), the
# crash-safety run (SIGKILL while events pour in; nothing acknowledged may be lost), the
# schemathesis fuzz of the HTTP interface, and three replicas on one PostgreSQL with one
# killed partway (no event lost, one guidance message per account).
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
# The grouping wait outlasts the kill (about a third of the way through the intake), so the
# killed replica has no message in flight: what is checked is that no acknowledged event is
# lost and each account gets exactly one message. (A kill while a message is on its way to
# Telegram can repeat that one message: delivery is at least once. See README.)
python3 scripts/replicas.py --rebind .build/debug/rebind --group-wait 60

swift_tests=$(grep -oE 'Test run with [0-9]+ tests?' .build/swift-test.log | tail -n 1 | grep -oE '[0-9]+' || echo 0)
if [[ "$swift_tests" -eq 0 ]]; then
  echo "swift test ran no test" >&2
  exit 1
fi
echo "summary: $((swift_tests + 3)) passed, 0 failed"
