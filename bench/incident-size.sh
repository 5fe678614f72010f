#!/usr/bin/env bash
# Does an event cost the same for an incident of 5 robots or 500? Ingest rate of events that
# add robots to small incidents against events that add robots to large ones, in one run.
#
#   bench/incident-size.sh
#
# For each store (SQLite, then PostgreSQL on a throwaway cluster from scripts/test-postgres.sh):
# 1. starts the release binary on a fresh database, with a grouping wait of a day so no
#    notice falls due and only the way in is measured;
# 2. fills, over HTTP and not measured, three groups of incidents: "small" and "again" to
#    BENCH_SMALL/2 robots each, "large" to BENCH_LARGE/2, each group with enough incidents
#    that a measured batch takes none past BENCH_SMALL or BENCH_LARGE;
# 3. small, large, again: wrk sends BENCH_DURATION seconds of events, each adding a robot to
#    one of the group's incidents, round robin, so they grow together (small ones towards
#    BENCH_SMALL robots, large ones from BENCH_LARGE/2 towards BENCH_LARGE);
# and prints the rates, the ratio large / mean of the two small runs (their own ratio shows how
# much the machine or the database's growth moved) and the incident sizes reached. Every event
# is a signed robot.paused with market, open positions and exposure (bench/incident_size.py).
#
# Environment: BENCH_DURATION (10), BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_SMALL
# (5), BENCH_LARGE (500), BENCH_EVENTS (150000: presigned per measured SQLite run, more than it
# can send), BENCH_PG_EVENTS (40000: the same for PostgreSQL), BENCH_STORES ("sqlite
# postgres"), BENCH_ORDER (scattered: each event to an incident far from the one before, as a
# purge's events come; sweep: the incidents in turn, which lets neighbouring events share pages,
# see bench/README.md), BENCH_BUILD (1; 0 uses .build-release), BENCH_BINARY (a rebind binary).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
SMALL=${BENCH_SMALL:-5}
LARGE=${BENCH_LARGE:-500}
STORES=${BENCH_STORES:-sqlite postgres}
BUILD=${BENCH_BUILD:-1}
BINARY=${BENCH_BINARY:-$ROOT/.build-release/release/rebind}
ORDER=${BENCH_ORDER:-scattered}

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

MISSING=()
command -v wrk >/dev/null || MISSING+=(wrk)
command -v python3 >/dev/null || MISSING+=(python3)
command -v psql >/dev/null || MISSING+=(postgresql-client)
if [ ${#MISSING[@]} -gt 0 ]; then
    say "installing ${MISSING[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${MISSING[@]}" >/dev/null
fi
if [ "$BUILD" = 1 ] && [ -z "${BENCH_BINARY:-}" ]; then
    say "building the release binary (the first build takes a while)"
    swift build -c release --product rebind --scratch-path .build-release >&2
fi
[ -x "$BINARY" ] || { say "no $BINARY: run with BENCH_BUILD=1"; exit 1; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS="$ROOT/bench/results/incident-size-$STAMP"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rebind-incident-size.XXXXXX")
mkdir -p "$RESULTS"
# shellcheck source=../scripts/test-postgres.sh
source "$ROOT/scripts/test-postgres.sh" # start_test_postgres, stop_test_postgres, test_postgres_free_port
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    [ -z "${TEST_POSTGRES_DIR:-}" ] || stop_test_postgres 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

http_ok() {
    python3 - "$1" <<'EOF'
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}
new_events() { # ADMIN_PORT: first-time events since Rebind started, from /metrics
    python3 - "$1" <<'EOF'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
print(sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
          if line.startswith("rebind_events_total{") and 'duplicate="false"' in line))
EOF
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
start_rebind() { # NAME DATABASE_URL -> REBIND_PID REBIND_PORT ADMIN_PORT
    REBIND_PORT=$(test_postgres_free_port)
    ADMIN_PORT=$(test_postgres_free_port)
    mkdir -p "$WORK/$1"
    # In its own directory, so no .env is read; a day's grouping wait keeps notices out of it.
    (cd "$WORK/$1" && exec env -i PATH="$PATH" HOME="$WORK/$1" REBIND_DATABASE_URL="$2" REBIND_EVENTS_SECRET="$SECRET" \
        REBIND_MASTER_KEY="$(head -c 32 /dev/urandom | base64)" REBIND_GROUP_WAIT_SECONDS=86400 \
        REBIND_HTTP_HOST=127.0.0.1 REBIND_HTTP_PORT="$REBIND_PORT" REBIND_ADMIN_HOST=127.0.0.1 REBIND_ADMIN_PORT="$ADMIN_PORT" \
        REBIND_TEMPLATES_DIR="$ROOT/templates" "$BINARY" serve >"$RESULTS/rebind-$1.log" 2>&1) &
    REBIND_PID=$!
    PIDS+=("$REBIND_PID")
    for _ in $(seq 300); do
        kill -0 "$REBIND_PID" 2>/dev/null || { say "rebind exited during start-up: see $RESULTS/rebind-$1.log"; exit 1; }
        http_ok "http://127.0.0.1:$ADMIN_PORT/readyz" && return 0
        sleep 0.1
    done
    say "rebind did not get ready"; exit 1
}
stop_rebind() { kill -TERM "$1" 2>/dev/null || true; for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null || true; }

presign() { # PREFIX GROUP INCIDENTS FIRST COUNT
    python3 bench/incident_size.py --secret "$SECRET" --prefix "$1" --group "$2" --incidents "$3" --first "$4" \
        --count "$5" --files "$THREADS" --run "is$STAMP" --order "$ORDER" >/dev/null
}

# Sends every event of PREFIX.* and returns once Rebind has stored TARGET first-time events.
send_all() { # PREFIX TARGET
    wrk -t"$THREADS" -c"$CONNECTIONS" -d280s --timeout 10s -s bench/rebind.lua "http://127.0.0.1:$REBIND_PORT" -- "$1" \
        >"$WORK/fill.txt" 2>&1 &
    local wrk_pid=$! last=-1 now
    while kill -0 "$wrk_pid" 2>/dev/null; do
        sleep 1
        now=$(new_events "$ADMIN_PORT")
        if [ "$now" -ge "$2" ] || [ "$now" -eq "$last" ]; then kill -INT "$wrk_pid" 2>/dev/null || true; break; fi
        last=$now
    done
    wait "$wrk_pid" || true
    # A request still in flight when wrk is stopped may never reach Rebind.
    now=$(new_events "$ADMIN_PORT")
    [ "$now" -ge $(($2 - CONNECTIONS)) ] || { say "fill stalled at $now of $2 events"; cat "$WORK/fill.txt" >&2; exit 1; }
}

# One measured run; leaves wrk's RESULT line in RESULT.
measure() { # NAME PREFIX
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s bench/rebind.lua \
        "http://127.0.0.1:$REBIND_PORT" -- "$2" >"$RESULTS/wrk-$1.txt" 2>&1
    RESULT=$(grep '^RESULT ' "$RESULTS/wrk-$1.txt" || true)
    [ -n "$RESULT" ] || { say "wrk printed no result"; cat "$RESULTS/wrk-$1.txt" >&2; exit 1; }
    if [ "$(field "$RESULT" non202)" != 0 ] || [ "$(field "$RESULT" duplicates)" != 0 ] || [ "$(field "$RESULT" exhausted_threads)" != 0 ] \
        || [ "$(field "$RESULT" read_errors)" != 0 ] || [ "$(field "$RESULT" timeouts)" != 0 ]; then
        say "invalid run (errors, or the presigned events ran out: raise BENCH_EVENTS): $RESULT"; exit 2
    fi
}

# Fills GROUP's incidents to SIZE robots each over HTTP (not measured).
fill() { # GROUP INCIDENTS SIZE
    say "$store: filling $2 $1 incidents to $3 robots each ($(($2 * $3)) events)"
    presign "$WORK/fill" "$1" "$2" 0 $(($2 * $3))
    send_all "$WORK/fill" $(($(new_events "$ADMIN_PORT") + $2 * $3))
    rm -f "$WORK"/fill.*
}

# A measured run adding robots FIRST and on to GROUP's incidents; leaves RESULT and SIZES (the
# smallest and largest incident and their count, "?" for a build before robot rows).
run() { # GROUP INCIDENTS FIRST
    say "$store: $1, $DURATION s of events adding robots to $2 incidents of $3 robots and more"
    presign "$WORK/$1" "$1" "$2" "$3" "$EVENTS"
    measure "$store-$1" "$WORK/$1"
    SIZES=$(sizes "u_$1_" 2>/dev/null || echo "? ? ?")
    rm -f "$WORK/$1".*
}

SUMMARY=()
for store in $STORES; do
    case "$store" in
        sqlite)
            EVENTS=${BENCH_EVENTS:-150000}
            URL="sqlite://$WORK/sqlite/rebind.sqlite"
            sizes() { python3 -c 'import sqlite3, sys; print(*sqlite3.connect(sys.argv[1]).execute("SELECT min(robot_count), max(robot_count), count(*) FROM incidents WHERE user_id LIKE ?", (sys.argv[2] + "%",)).fetchone())' "$WORK/sqlite/rebind.sqlite" "$1"; }
            ;;
        postgres)
            EVENTS=${BENCH_PG_EVENTS:-40000}
            start_test_postgres
            URL=$REBIND_TEST_POSTGRES_URL
            sizes() { psql -At -F ' ' "$(sed 's/?.*//' <<<"$URL")" -c "SELECT min(robot_count), max(robot_count), count(*) FROM incidents WHERE user_id LIKE '$1%'"; }
            ;;
        *) say "BENCH_STORES lists sqlite and postgres"; exit 1 ;;
    esac
    start_rebind "$store" "$URL"
    # Every measured event adds a robot to an incident that exists already, round robin over
    # enough incidents that a whole presigned batch takes none past its size: the small and the
    # large runs touch rows spread the same way and differ only in the incidents' sizes.
    SMALL_INCIDENTS=$((EVENTS / (SMALL - SMALL / 2)))
    LARGE_INCIDENTS=$((EVENTS / (LARGE - LARGE / 2)))
    fill small "$SMALL_INCIDENTS" $((SMALL / 2))
    fill large "$LARGE_INCIDENTS" $((LARGE / 2))
    fill again "$SMALL_INCIDENTS" $((SMALL / 2))

    # Small, large, then small again (other incidents of the same size): a machine that got
    # busier or a database that grew would show as a difference between the two small runs.
    run small "$SMALL_INCIDENTS" $((SMALL / 2))
    SMALL_RESULT=$RESULT SMALL_SIZES=$SIZES
    run large "$LARGE_INCIDENTS" $((LARGE / 2))
    LARGE_RESULT=$RESULT LARGE_SIZES=$SIZES
    run again "$SMALL_INCIDENTS" $((SMALL / 2))
    AGAIN_RESULT=$RESULT AGAIN_SIZES=$SIZES
    stop_rebind "$REBIND_PID"
    [ "$store" != postgres ] || stop_test_postgres

    SUMMARY+=("$(python3 - "$store" "$SMALL_RESULT" "$LARGE_RESULT" "$AGAIN_RESULT" "$SMALL_SIZES" "$LARGE_SIZES" "$AGAIN_SIZES" <<'EOF'
import re, sys
store = sys.argv[1]
small, large, again = (dict(re.findall(r"(\w+)=(\S+)", text)) for text in sys.argv[2:5])
def sizes(text):
    low, high, count = text.split()
    return f"{count} incidents, {low}–{high} robots each at the end"
def row(name, result, size):
    return f"| {store} | {name}: {sizes(size)} | {float(result['rps']):,.0f} | {result['p50_ms']} / {result['p99_ms']} |"
rate = lambda r: float(r["rps"])
print(row("small", small, sys.argv[5]))
print(row("large", large, sys.argv[6]))
print(row("small again", again, sys.argv[7]))
print(f"| {store} | **large / mean of the small runs** | **{rate(large) / ((rate(small) + rate(again)) / 2):.2f}x** "
      f"(small again / small {rate(again) / rate(small):.2f}x) | |")
EOF
)")
done

{
    echo "# Ingest rate by incident size, $STAMP"
    echo
    echo "Machine: $(nproc) cores (shared), $(uname -r); $BINARY; wrk $THREADS threads, $CONNECTIONS connections, $DURATION s per run; order $ORDER."
    echo
    echo "| store | run | events/s | p50 / p99 ms |"
    echo "|---|---|---|---|"
    printf '%s\n' "${SUMMARY[@]}"
} | tee "$RESULTS/summary.md"
say "results in $RESULTS"
