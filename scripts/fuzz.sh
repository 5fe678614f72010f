#!/usr/bin/env bash
# Fuzzes Rebind's HTTP interface with schemathesis against deploy/openapi.yaml.
#
# Starts `rebind serve` on a temporary SQLite database, runs schemathesis with a hook
# (scripts/fuzz_hooks.py) that signs every generated POST /v1/events with the server's secret,
# against the public listener and then the admin one (its `admin` tag, with a bearer token),
# and fails if any request got a 5xx (counted from the admin listener's /metrics, which must
# be readable), any answer broke the spec (status code, content type, response schema), or
# the server process died at any point.
#
#   scripts/fuzz.sh [BINARY]           default BINARY: .build/debug/rebind (built if missing)
#
# Environment:
#   FUZZ_MAX_EXAMPLES  test cases per operation and phase (default 1000)
#   FUZZ_SEED          schemathesis seed (default: random, printed in the summary)
#   FUZZ_CHECKS        comma-separated schemathesis checks (default below; "all" adds the
#                      strict validation checks positive_data_acceptance and negative_data_rejection)
#   FUZZ_TIME_LIMIT    hard limit for the schemathesis run, seconds (default 600)
#   FUZZ_WORKERS       concurrent schemathesis workers (default 1; see below)
#   FUZZ_EXTRA_ARGS    more `schemathesis run` options, e.g. "--continue-on-failure --exclude-checks unsupported_method"
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BINARY=${1:-.build/debug/rebind}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-1000}
CHECKS=${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,missing_required_header}
TIME_LIMIT=${FUZZ_TIME_LIMIT:-600}
# One worker: schemathesis's threads trip a CPython 3.11 bug ("SystemError: AST constructor
# recursion depth mismatch" while it builds its generators), failing the run at random.
WORKERS=${FUZZ_WORKERS:-1}

say() { printf '[fuzz %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# --- schemathesis, in a venv of its own (or pip --user where venv is unavailable) ---
VENV=.build/fuzz-venv
# (pip's output is read whole first: `grep -q` closing the pipe early would fail pip under pipefail.)
if [ -x "$VENV/bin/schemathesis" ] && [[ "$("$VENV/bin/python" -m pip show schemathesis 2>/dev/null)" == *"Version: $SCHEMATHESIS_VERSION"* ]]; then
    ST="$VENV/bin/schemathesis"
elif mkdir -p .build && python3 -m venv "$VENV" >/dev/null 2>&1; then
    say "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
    ST="$VENV/bin/schemathesis"
else
    say "python3 -m venv failed; installing schemathesis $SCHEMATHESIS_VERSION with pip --user"
    rm -rf "$VENV"
    python3 -m pip install --quiet --user --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" \
        || python3 -m pip install --quiet --user --break-system-packages --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
    ST="$(python3 -m site --user-base)/bin/schemathesis"
fi
PYTHON_FOR_HELPERS=python3

# --- the server ---
if [ ! -x "$BINARY" ]; then
    say "building $BINARY"
    swift build --product rebind
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rebind-fuzz.XXXXXX")
SERVER_PID=""
cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "$status" -eq 0 ]; then rm -rf "$WORK"; else say "kept $WORK (server.log, schemathesis.log, database)"; fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

PORT=$($PYTHON_FOR_HELPERS -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ADMIN_PORT=$($PYTHON_FOR_HELPERS -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# A token on the admin listener, so the fuzz run covers the bearer check; the hooks and the
# metrics reader take it from the environment.
export REBIND_ADMIN_TOKEN="fuzz_admin_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SECRET="whsec_$(head -c 24 /dev/urandom | base64)"
export REBIND_EVENTS_SECRET="$SECRET"
# Telegram on, so /v1/links and /v1/telegram/webhook exist; its API points at a closed
# loopback port, so nothing leaves the machine and replies simply fail.
export REBIND_TELEGRAM_WEBHOOK_SECRET="fuzz_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# Slack on too, signed by the hooks with this secret; its API is the same closed port.
export REBIND_SLACK_SIGNING_SECRET="fuzz-slack-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
DEAD_PORT=$($PYTHON_FOR_HELPERS -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

REBIND_DATABASE_URL="sqlite://$WORK/rebind.sqlite" \
REBIND_HTTP_HOST=127.0.0.1 REBIND_HTTP_PORT="$PORT" \
REBIND_ADMIN_HOST=127.0.0.1 REBIND_ADMIN_PORT="$ADMIN_PORT" \
REBIND_TEMPLATES_DIR="$ROOT/templates" REBIND_LOG_LEVEL=warning \
REBIND_TELEGRAM_BOT_TOKEN="123456:fuzz" REBIND_TELEGRAM_API_URL="http://127.0.0.1:$DEAD_PORT" \
REBIND_TELEGRAM_BOT_USERNAME=rebind_fuzz_bot REBIND_PUBLIC_URL="http://127.0.0.1:$PORT" \
REBIND_SLACK_BOT_TOKEN="xoxb-fuzz" REBIND_SLACK_API_URL="http://127.0.0.1:$DEAD_PORT/api" \
    "$BINARY" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!

healthy() {
    $PYTHON_FOR_HELPERS - "$PORT" <<'EOF'
import http.client, sys
try:
    conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=2)
    conn.request("GET", "/healthz")
    sys.exit(0 if conn.getresponse().status == 200 else 1)
except OSError:
    sys.exit(1)
EOF
}
for _ in $(seq 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || { say "rebind exited during start-up:"; cat "$WORK/server.log"; exit 1; }
    healthy && break
    sleep 0.1
done
healthy || { say "rebind did not answer /healthz"; exit 1; }
say "rebind pid $SERVER_PID on 127.0.0.1:$PORT (admin 127.0.0.1:$ADMIN_PORT), database $WORK/rebind.sqlite"

# --- the run ---
SEED_ARGS=()
[ -n "${FUZZ_SEED:-}" ] && SEED_ARGS=(--seed "$FUZZ_SEED")
set +e
# Run from the temporary directory, so schemathesis's own cache (.schemathesis/) stays out of the tree.
ST=$(cd "$(dirname "$ST")" && pwd)/$(basename "$ST")
# fuzz NAME URL FILTER...: one schemathesis run against one listener.
fuzz() {
    local name=$1 url=$2
    shift 2
    (cd "$WORK" && SCHEMATHESIS_HOOKS=fuzz_hooks PYTHONPATH="$ROOT/scripts${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 \
        timeout --kill-after=10 "$TIME_LIMIT" "$ST" run "$ROOT/deploy/openapi.yaml" \
        --url "$url" \
        "$@" \
        --checks "$CHECKS" \
        --max-examples "$MAX_EXAMPLES" \
        --workers "$WORKERS" \
        --request-timeout 10 \
        --generation-database none \
        --output-sanitize false \
        --no-color \
        --report junit --report-junit-path "$WORK/junit-$name.xml" \
        "${SEED_ARGS[@]}" ${FUZZ_EXTRA_ARGS:-}) 2>&1 | tee -a "$WORK/schemathesis.log"
    return "${PIPESTATUS[0]}"
}
# The public listener: everything but the admin routes, which it does not serve.
fuzz public "http://127.0.0.1:$PORT" --exclude-tag admin
ST_STATUS=$?
# The admin listener: its own routes, with and without the bearer token (the hooks alternate;
# schemathesis may still warn "Authentication failed" from the phases it samples for that).
if [ "$ST_STATUS" -eq 0 ]; then
    fuzz admin "http://127.0.0.1:$ADMIN_PORT" --include-tag admin
    ST_STATUS=$?
fi
set -e

# --- the server must have lived through it all ---
FAILED=0
if [ "$ST_STATUS" -ne 0 ]; then
    [ "$ST_STATUS" -eq 124 ] && say "schemathesis hit the $TIME_LIMIT s limit (FUZZ_TIME_LIMIT)"
    say "FAIL: schemathesis exited with status $ST_STATUS"
    FAILED=1
fi
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    CODE=0; wait "$SERVER_PID" || CODE=$?
    say "FAIL: rebind died during the run (exit status $CODE); last lines of its log:"
    tail -30 "$WORK/server.log"
    FAILED=1
elif ! healthy; then
    say "FAIL: rebind is running but no longer answers /healthz"
    FAILED=1
else
    # Every request the server answered is counted by route and status in the admin
    # listener's /metrics. Reading nothing must not pass for "no 5xx": the reader fails unless
    # it gets 200 and the counts of the POST /v1/events requests the run just made.
    if SERVER_ERRORS=$($PYTHON_FOR_HELPERS - "$ADMIN_PORT" <<'EOF'
import http.client, os, re, sys
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
conn.request("GET", "/metrics", headers={"Authorization": "Bearer " + os.environ["REBIND_ADMIN_TOKEN"]})
response = conn.getresponse()
text = response.read().decode()
if response.status != 200:
    sys.exit(f"GET /metrics on the admin listener answered {response.status}")
counts = [line for line in text.splitlines() if line.startswith("rebind_http_request_duration_seconds_count")]
if not any('route="/v1/events"' in line for line in counts):
    sys.exit("/metrics on the admin listener counts no POST /v1/events: it is not the server the run fuzzed")
total = 0
for line in counts:
    if re.search(r'status="5\d\d"', line):
        total += int(float(line.rsplit(" ", 1)[1]))
print(total)
EOF
); then
        if [ "$SERVER_ERRORS" != "0" ]; then
            say "FAIL: /metrics counts $SERVER_ERRORS answers with a 5xx status"
            FAILED=1
        else
            say "the admin listener's /metrics counts no 5xx"
        fi
    else
        say "FAIL: could not read the 5xx count from the admin listener's /metrics (see above)"
        FAILED=1
    fi
fi
if grep -qiE "fatal error|precondition failed|assertion failed" "$WORK/server.log"; then
    say "FAIL: rebind's log reports a fatal error:"
    grep -iE -m5 "fatal error|precondition failed|assertion failed" "$WORK/server.log"
    FAILED=1
fi
STORED=$($PYTHON_FOR_HELPERS -c 'import sqlite3,sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT count(*) FROM inbox").fetchone()[0])' "$WORK/rebind.sqlite" 2>/dev/null || echo "?")

if [ "$FAILED" -eq 0 ]; then
    say "PASS: no 5xx, no spec violation, rebind (pid $SERVER_PID) alive throughout; $STORED generated events stored"
else
    say "FAIL: see above; $STORED generated events stored"
fi
exit "$FAILED"
