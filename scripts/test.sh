#!/usr/bin/env bash
# Runs every test: the formatting check, the monitoring files (the alert rules, their unit tests
# and the Grafana dashboard's queries, through promtool), the Swift test suites (the storage
# tests on SQLite and on PostgreSQL; the key form in headless Chromium), the crash-safety run
# (SIGKILL while events pour in; nothing acknowledged may be lost), the schemathesis fuzz of the
# HTTP interface, and three replicas on one PostgreSQL with one killed partway (no event lost,
# one guidance message per account). Each stage prints how long it took.
set -euo pipefail
cd "$(dirname "$0")/.."

run_started=$SECONDS
stage() {
  local name=$1
  shift
  local started=$SECONDS
  echo "==> $name" >&2
  "$@"
  echo "==> $name: $((SECONDS - started)) s" >&2
}

stage "install Debian packages" scripts/install-deps.sh --test
# The storage tests run on SQLite always and on PostgreSQL when REBIND_TEST_POSTGRES_URL is
# set: without one given, a throwaway cluster serves this run and is removed at exit.
if [[ -z "${REBIND_TEST_POSTGRES_URL:-}" ]]; then
  source scripts/test-postgres.sh
  trap stop_test_postgres EXIT
  trap 'exit 143' TERM INT
  stage "start PostgreSQL" start_test_postgres
fi
# Formatting is the toolchain's job (.swift-format at the root): a file it would change fails.
stage "swift format lint" swift format lint --strict --recursive --parallel Sources Tests Plugins Package.swift
# deploy/prometheus/alerts.yaml and its unit tests, and every query of deploy/grafana/rebind.json
# as PromQL, through promtool; every metric they use must be one Sources/ defines. Seconds.
stage "prometheus rules" scripts/check-monitoring.sh
stage "swift build" swift build --build-tests
# The suites but the browser ones, eight tests at a time: the fake servers run in the test
# process and share its two cooperative threads with every running test; with all ~700 at once
# a fake could wait past a client's timeout on two cores. Eight took the same 46 s here.
run_swift_tests() { swift test --skip-build --skip BrowserTests --experimental-maximum-parallelization-width 8 2>&1 | tee .build/swift-test.log; }
stage "swift test" run_swift_tests
# The browser tests (the key form and the console in headless Chromium through Selenium,
# scripts/keyform-browser.py and scripts/console-browser.py) must run here, not skip: the suites
# take the Python to drive them from REBIND_BROWSER_PYTHON. A stage of their own, so Chromium
# does not starve the timing bounds of the other suites on two cores.
browser_tooling() {
  REBIND_BROWSER_PYTHON=$(scripts/browser-venv.sh)
  export REBIND_BROWSER_PYTHON REBIND_BROWSER_TESTS=required
  echo "browser test: $REBIND_BROWSER_PYTHON, $(/usr/bin/chromium --version 2>/dev/null)" >&2
}
stage "browser tooling" browser_tooling
run_browser_tests() { swift test --skip-build --filter BrowserTests 2>&1 | tee .build/swift-browser-test.log; }
stage "browser tests" run_browser_tests
stage "crash safety" python3 scripts/crash-safety.py .build/debug/rebind
stage "fuzz" scripts/fuzz.sh .build/debug/rebind
# The grouping wait outlasts the kill (about a third of the way through the intake), so the
# killed replica has no message in flight: what is checked is that no acknowledged event is
# lost and each account gets exactly one message. (A kill while a message is on its way to
# Telegram can repeat that one message: delivery is at least once. See README.)
stage "replicas" python3 scripts/replicas.py --rebind .build/debug/rebind --group-wait 60

count_tests() { grep -oE 'Test run with [0-9]+ tests?' "$1" | tail -n 1 | grep -oE '[0-9]+' || echo 0; }
swift_tests=$(count_tests .build/swift-test.log)
browser_tests=$(count_tests .build/swift-browser-test.log)
if [[ "$swift_tests" -eq 0 || "$browser_tests" -eq 0 ]]; then
  echo "swift test ran no test ($swift_tests, browser $browser_tests)" >&2
  exit 1
fi
swift_tests=$((swift_tests + browser_tests))
echo "all stages: $((SECONDS - run_started)) s" >&2
echo "summary: $((swift_tests + 4)) passed, 0 failed"
