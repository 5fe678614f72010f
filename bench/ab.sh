#!/usr/bin/env bash
# A/B of two (or more) rebind binaries on SQLite or PostgreSQL, alternating, in one sitting.
#
#   bench/ab.sh OLD_BINARY NEW_BINARY [MORE_BINARIES...]
#
# For each round (BENCH_ROUNDS, 3) and each binary in turn: a fresh SQLite database, a fresh
# `rebind serve` (synchronous=normal), BENCH_PRESIGN (150000) events presigned right before
# (bench/presign.py; BENCH_IDS=random for webhook ids in no order), then wrk (bench/rebind.lua)
# for BENCH_DURATION (10) seconds over BENCH_CONNECTIONS (32) keep-alive connections, 2 threads.
# Prints per run: events/s, p50 and p99, Rebind's CPU per event, the bytes it wrote per event
# (/proc/PID/io wchar: the WAL and the checkpoints), events per commit and a commit's mean time
# (the service's rebind_store_commit_* histograms), the machine's idle CPU and steal time,
# and with BENCH_THREADS_CPU=1 each of Rebind's threads' CPU seconds. With BENCH_STORE=postgres
# each run gets a fresh database on one throwaway cluster (scripts/test-postgres.sh, fsync=off as
# in bench/postgres.sh), and the bytes column gives way to PostgreSQL's CPU per event (all its
# processes) and the context switches of Rebind's threads per event. This machine's speed
# drifts by tens of percent within minutes: compare the binaries round by round, never against
# another sitting's numbers. Build the binaries first (e.g. `swift build -c release --product
# rebind --scratch-path .build-release` and copy the result aside); nothing here builds. Needs
# wrk and python3; results and logs go to bench/results/ab-<time>/ (git-ignored).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
[ $# -ge 2 ] || { echo "usage: bench/ab.sh BINARY_A BINARY_B [BINARY_C...]" >&2; exit 2; }
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
PRESIGN=${BENCH_PRESIGN:-150000}
THREAD_CPU=${BENCH_THREADS_CPU:-0}
STORE=${BENCH_STORE:-sqlite}
[ "$STORE" = sqlite ] || [ "$STORE" = postgres ] || { echo "BENCH_STORE is sqlite or postgres" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
for binary in "$@"; do [ -x "$binary" ] || { echo "not an executable: $binary" >&2; exit 1; }; done

RESULTS="$ROOT/bench/results/ab-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS"
SECRET="whsec_$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
machine() { awk '/^cpu /{print $5, $9}' /proc/stat; } # idle, steal (ticks)
PID=""
PG_STARTED=0
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
    [ "$PG_STARTED" = 0 ] || stop_test_postgres
}
trap cleanup EXIT
if [ "$STORE" = postgres ]; then
    # shellcheck source=../scripts/test-postgres.sh
    source "$ROOT/scripts/test-postgres.sh" # start_test_postgres, stop_test_postgres
    start_test_postgres
    PG_STARTED=1
    ADMIN_PSQL=${REBIND_TEST_POSTGRES_URL%%\?*}
    # PostgreSQL needs the key every replica shares (a throwaway one here).
    export REBIND_MASTER_KEY
    REBIND_MASTER_KEY=$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')
fi
# CPU ticks of every PostgreSQL server process (0 on SQLite).
postgres_ticks() {
    local total=0 pid
    [ "$STORE" = postgres ] || { echo 0; return; }
    for pid in $(pgrep -x postgres); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
switches() { cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ { n += $2 } END { print n }'; }

if [ "$STORE" = postgres ]; then
    echo "| round | binary | events/s | p50 ms | p99 ms | CPU µs/event | PostgreSQL CPU µs/event | context switches/event | events/commit | commit ms | idle CPU s | steal s |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
else
    echo "| round | binary | events/s | p50 ms | p99 ms | CPU µs/event | bytes written/event | events/commit | commit ms | idle CPU s | steal s |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
fi
for round in $(seq "$ROUNDS"); do
    for index in $(seq $#); do
        binary=${!index}
        run="$RESULTS/r$round-b$index"
        mkdir -p "$run"
        python3 bench/presign.py --secret "$SECRET" --count "$PRESIGN" --files 2 --prefix "$run/events" \
            --start 0 --run "ab$round$index$$" >/dev/null
        port=$(free_port)
        admin=$(free_port)
        database="sqlite://$run/rebind.sqlite"
        if [ "$STORE" = postgres ]; then
            psql -q "$ADMIN_PSQL" -c "CREATE DATABASE ab_${round}_$index" >/dev/null
            database="${ADMIN_PSQL%/*}/ab_${round}_$index?sslmode=disable"
        fi
        REBIND_DATABASE_URL="$database" REBIND_EVENTS_SECRET="$SECRET" \
        REBIND_HTTP_HOST=127.0.0.1 REBIND_HTTP_PORT="$port" REBIND_ADMIN_HOST=127.0.0.1 REBIND_ADMIN_PORT="$admin" \
            "$binary" serve >"$run/rebind.log" 2>&1 &
        PID=$!
        for _ in $(seq 100); do curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null && break; sleep 0.2; done
        kill -0 "$PID" 2>/dev/null || { echo "rebind did not start: $run/rebind.log" >&2; tail -3 "$run/rebind.log" >&2; exit 1; }
        cpu0=$(ticks "$PID")
        pg0=$(postgres_ticks)
        switched0=$(switches "$PID")
        io0=$(awk '/^wchar/{print $2}' "/proc/$PID/io")
        read -r idle0 steal0 < <(machine)
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s bench/rebind.lua \
            "http://127.0.0.1:$port" -- "$run/events" >"$run/wrk.txt" 2>&1
        cpu1=$(ticks "$PID")
        pg1=$(postgres_ticks)
        io1=$(awk '/^wchar/{print $2}' "/proc/$PID/io")
        switched=$(($(switches "$PID") - switched0))
        read -r idle1 steal1 < <(machine)
        # Events per commit and a commit's mean time, from the service's own histograms
        # (rebind_store_commit_*; a build without them prints "-").
        commits=$(curl -sf "http://127.0.0.1:$admin/metrics" | awk '
            /^rebind_store_commit_events_sum/ { es = $2 } /^rebind_store_commit_events_count/ { n = $2 }
            /^rebind_store_commit_seconds_sum/ { ss = $2 }
            END { if (n > 0) printf "%.1f | %.2f", es / n, ss * 1000 / n; else printf "- | -" }') || commits="- | -"
        if [ "$THREAD_CPU" = 1 ]; then
            for task in /proc/"$PID"/task/*; do echo "$(cat "$task/comm") $(awk '{print ($14 + $15) / 100}' "$task/stat")"; done >"$run/threads.txt"
        fi
        kill -INT "$PID"
        wait "$PID" 2>/dev/null || true
        PID=""
        result=$(grep '^RESULT ' "$run/wrk.txt") || { echo "wrk printed no result: $run/wrk.txt" >&2; exit 1; }
        field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$result"; }
        accepted=$(field accepted)
        [ "$(field non202)" = 0 ] && [ "$(field duplicates)" = 0 ] || { echo "invalid run (non-202 or duplicates): $run" >&2; exit 2; }
        awk -v r="$round" -v b="$(basename "$(dirname "$binary")")/$(basename "$binary")" -v rps="$(field rps)" \
            -v p50="$(field p50_ms)" -v p99="$(field p99_ms)" -v n="$accepted" -v cpu=$((cpu1 - cpu0)) \
            -v io=$((io1 - io0)) -v idle=$((idle1 - idle0)) -v steal=$((steal1 - steal0)) -v commits="$commits" \
            -v store="$STORE" -v pg=$((pg1 - pg0)) -v switched="$switched" '
            BEGIN {
                middle = store == "postgres" ? sprintf("%.0f | %.2f", pg * 10000 / n, switched / n) : sprintf("%.0f", io / n)
                printf "| %d | %s | %.0f | %s | %s | %.0f | %s | %s | %.1f | %.1f |\n", r, b, rps, p50, p99, cpu * 10000 / n, middle, commits, idle / 100, steal / 100
            }'
        [ "$THREAD_CPU" = 1 ] && sort "$run/threads.txt" | sed 's/^/    thread /'
        rm -f "$run"/events.*
    done
done
echo "results in $RESULTS" >&2
