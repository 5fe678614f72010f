#!/usr/bin/env bash
# Rebind's intake benchmark on PostgreSQL, one replica and three, beside SQLite, in one run.
#
#   bench/postgres.sh
#
# The ingest benchmark of bench/run.sh (wrk POSTing presigned Standard-Webhooks-signed events,
# one per request, bench/rebind.lua), three times in the same invocation, one after the other:
#   (a) one `rebind serve` on a fresh SQLite database (default durability, synchronous=normal);
#   (b) one `rebind serve` on a fresh PostgreSQL database;
#   (c) BENCH_REPLICAS (3) `rebind serve` processes on one fresh PostgreSQL database, the load
#       split evenly: one wrk process per replica, in parallel, the connections divided between
#       them (32 -> 11 + 11 + 10), the rates summed and their latency quantiles merged.
# PostgreSQL is a throwaway cluster from scripts/test-postgres.sh (loopback, free port, removed
# at the end) unless BENCH_POSTGRES_URL names a server; each configuration gets its own
# database, created with psql (and dropped at the end on a given server). While (b) and (c) run,
# pg_stat_activity is sampled twice a second for what the database sessions are doing.
# Afterwards every configuration's `inbox` rows are counted against the 202 answers wrk saw.
# Prints requests/s, p50/p90/p99/max latency, non-202 answers, duplicates and socket errors,
# CPU seconds of Rebind, PostgreSQL and wrk, and the ratios (b)/(a), (c)/(a), (c)/(b); writes
# everything to bench/results/pg-<time>/ (git-ignored).
#
# Environment: BENCH_DURATION (20), BENCH_CONNECTIONS (32), BENCH_THREADS (2; in (c) each
# replica's wrk gets ceil(THREADS / REPLICAS)), BENCH_REPLICAS (3), BENCH_PRESIGN (events
# presigned per configuration, 40000 x DURATION), BENCH_BUILD (1; 0 uses the existing
# .build-release binary), BENCH_BINARY (another rebind binary, not built), BENCH_POSTGRES_URL
# (a server to create the databases on, e.g. postgres://USER:PASSWORD@HOST:PORT/postgres;
# default: a throwaway cluster), BENCH_PG_FSYNC (off: the throwaway cluster keeps the storage
# tests' fsync=off, which like SQLite's default keeps an acknowledged event through a crash of
# either process but not through power loss or a kernel crash; on: restarted with fsync=on,
# every commit synced before the answer), BENCH_PG_STATEMENTS (0; 1 loads pg_stat_statements in
# the throwaway cluster and writes each database's costliest statements to pg-statements-*.txt).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${BENCH_DURATION:-20}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
REPLICAS=${BENCH_REPLICAS:-3}
PRESIGN=${BENCH_PRESIGN:-$((40000 * DURATION))}
BUILD=${BENCH_BUILD:-1}
PG_FSYNC=${BENCH_PG_FSYNC:-off}
STATEMENTS=${BENCH_PG_STATEMENTS:-0}
BINARY=${BENCH_BINARY:-$ROOT/.build-release/release/rebind}

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[ "$CONNECTIONS" -ge "$REPLICAS" ] || { say "BENCH_CONNECTIONS must be at least BENCH_REPLICAS"; exit 1; }
case "$PG_FSYNC" in on | off) ;; *) say "BENCH_PG_FSYNC is on or off"; exit 1 ;; esac

# --- tools (Debian packages; PostgreSQL itself comes with start_test_postgres) ---
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
RESULTS="$ROOT/bench/results/pg-$STAMP"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rebind-pgbench.XXXXXX")
mkdir -p "$RESULTS"
PIDS=()
DATABASES=()
ADMIN_URL=""
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
        for db in "${DATABASES[@]}"; do psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done
    fi
    stop_test_postgres 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "/proc/$1/stat"; }
cpu_sum() { local total=0 pid; for pid in "$@"; do total=$(awk -v a="$total" -v b="$(cpu_seconds "$pid")" 'BEGIN{printf "%.2f", a+b}'); done; echo "$total"; }
http_ok() {
    python3 - "$1" <<'EOF'
import sys, urllib.request
try:
    sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}
wait_ready() { # URL PID
    for _ in $(seq 300); do
        kill -0 "$2" 2>/dev/null || { say "process $2 exited during start-up"; return 1; }
        http_ok "$1" && return 0
        sleep 0.1
    done
    say "$1 did not answer"; return 1
}
stop() { kill -TERM "$1" 2>/dev/null || true; for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null || true; }
# The same server and credentials, another database.
with_database() {
    python3 - "$1" "$2" <<'EOF'
import sys, urllib.parse
parts = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(parts._replace(path="/" + sys.argv[2])))
EOF
}
# psql takes libpq URLs, which know no `schema` parameter; Rebind's URLs may carry one.
psql_url() {
    python3 - "$1" <<'EOF'
import sys, urllib.parse
parts = urllib.parse.urlsplit(sys.argv[1])
query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "schema"]
print(urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query))))
EOF
}

# --- PostgreSQL ---
# shellcheck source=../scripts/test-postgres.sh
source "$ROOT/scripts/test-postgres.sh" # start_test_postgres, stop_test_postgres, test_postgres_free_port
PG_LOCAL=0
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
    ADMIN_URL=$BENCH_POSTGRES_URL
    [ "$PG_FSYNC" = off ] || say "BENCH_PG_FSYNC applies to the throwaway cluster only; the given server keeps its settings"
else
    start_test_postgres
    ADMIN_URL=$REBIND_TEST_POSTGRES_URL
    PG_LOCAL=1
    if [ "$PG_FSYNC" = on ] || [ "$STATEMENTS" = 1 ]; then
        # scripts/test-postgres.sh starts the cluster with -c fsync=off on the command line,
        # which outranks ALTER SYSTEM: restart it with the same options and these.
        PG_PORT=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).port)' "$ADMIN_URL")
        EXTRA=""
        [ "$STATEMENTS" = 0 ] || EXTRA="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_planning=on"
        "${TEST_POSTGRES_PG_CTL[@]}" -l "$TEST_POSTGRES_DIR/server.log" -w -t 60 -m fast \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $TEST_POSTGRES_DIR -c fsync=$PG_FSYNC -c max_connections=300 $EXTRA" \
            restart >/dev/null
    fi
fi
ADMIN_PSQL=$(psql_url "$ADMIN_URL")
PG_VERSION=$(psql -At "$ADMIN_PSQL" -c "SHOW server_version")
PG_SETTINGS=$(psql -At "$ADMIN_PSQL" -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections', 'wal_level')")
say "PostgreSQL $PG_VERSION: $PG_SETTINGS"
postgres_cpu() { # CPU seconds of the local cluster: the postmaster, its children, and its reaped children
    [ "$PG_LOCAL" = 1 ] || { echo 0; return; }
    local postmaster
    postmaster=$(head -1 "$TEST_POSTGRES_DIR/data/postmaster.pid")
    python3 - "$postmaster" <<'EOF'
import os, sys
hz = os.sysconf("SC_CLK_TCK")
root = sys.argv[1]
def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
total = 0
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        fields = stat(pid)  # fields[0] is the state, [1] the parent, [11..14] utime stime cutime cstime
    except OSError:
        continue
    if pid == root:
        total += sum(int(x) for x in fields[11:15])
    elif fields[1] == root:
        total += int(fields[11]) + int(fields[12])
print(f"{total / hz:.2f}")
EOF
}
new_database() { # NAME -> prints its URL
    psql -q "$ADMIN_PSQL" -c "CREATE DATABASE $1" >/dev/null
    [ "$STATEMENTS" = 0 ] || psql -q "$(psql_url "$(with_database "$ADMIN_URL" "$1")")" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
    DATABASES+=("$1")
    with_database "$ADMIN_URL" "$1"
}

SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
MASTER_KEY=$(head -c 32 /dev/urandom | base64)
# Rebind runs in its own directory so no .env is merged in; only what is set here counts.
rebind_env() { # DATABASE_URL PORT ADMIN_PORT -> env arguments
    printf '%s\n' REBIND_DATABASE_URL="$1" REBIND_EVENTS_SECRET="$SECRET" REBIND_MASTER_KEY="$MASTER_KEY" \
        REBIND_HTTP_HOST=127.0.0.1 REBIND_HTTP_PORT="$2" REBIND_ADMIN_HOST=127.0.0.1 REBIND_ADMIN_PORT="$3" \
        REBIND_TEMPLATES_DIR="$ROOT/templates"
}
start_rebind() { # NAME DATABASE_URL -> REBIND_PID REBIND_PORT ADMIN_PORT
    REBIND_PORT=$(test_postgres_free_port)
    ADMIN_PORT=$(test_postgres_free_port)
    mkdir -p "$WORK/$1"
    local vars
    mapfile -t vars < <(rebind_env "$2" "$REBIND_PORT" "$ADMIN_PORT")
    (cd "$WORK/$1" && exec env -u REBIND_PLATFORM_URL -u REBIND_TELEGRAM_BOT_TOKEN -u REBIND_SLACK_BOT_TOKEN \
        -u REBIND_SQLITE_SYNCHRONOUS "${vars[@]}" "$BINARY" serve) >"$RESULTS/rebind-$1.log" 2>&1 &
    REBIND_PID=$!
    PIDS+=("$REBIND_PID")
    wait_ready "http://127.0.0.1:$ADMIN_PORT/readyz" "$REBIND_PID"
    say "rebind $1 pid $REBIND_PID on 127.0.0.1:$REBIND_PORT (admin $ADMIN_PORT)"
}
migrate() { # DATABASE_URL: once, before the replicas start
    local vars
    mapfile -t vars < <(rebind_env "$1" 0 0)
    (cd "$WORK" && env "${vars[@]}" "$BINARY" migrate) >>"$RESULTS/migrate.log" 2>&1
}

presign() { # COUNT FILES PREFIX RUN
    python3 bench/presign.py --secret "$SECRET" --count "$1" --files "$2" --prefix "$3" --start 0 --run "$4" >/dev/null
}

# bench/rebind.lua, plus 1,000 evenly spaced latency quantiles (the 0.05th, 0.15th, ...
# 99.95th percentile, in microseconds) written to $BENCH_HIST, so that the parallel wrk
# processes of (c) can be merged into one distribution. (wrk's Lua API has no cheap way to read
# its whole histogram: latency(i) walks it from the start for every call.)
cat >"$WORK/quantiles.lua" <<EOF
dofile("$ROOT/bench/rebind.lua")
local rebind_done = done
function done(summary, latency, requests)
   rebind_done(summary, latency, requests)
   local out = assert(io.open(os.getenv("BENCH_HIST"), "w"))
   for k = 0, 999 do
      out:write(latency:percentile((k + 0.5) / 10), "\n")
   end
   out:close()
end
EOF

# What the database sessions do, twice a second, until killed: state|wait type|wait event|count.
SAMPLER_PID=""
start_sampler() { # NAME DATABASE_URL
    printf '%s\n' "SELECT 'sample', '', '', 1 UNION ALL
        SELECT state, coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '-'), count(*)
        FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()
        GROUP BY 1, 2, 3" '\watch 0.5' |
        psql -q -At -F'|' "$(psql_url "$2")" >"$RESULTS/pg-activity-$1.txt" 2>"$RESULTS/pg-activity-$1.err" &
    SAMPLER_PID=$!
    PIDS+=("$SAMPLER_PID")
}
stop_sampler() { kill -TERM "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; }

WRK_PIDS=()
start_wrk() { # NAME PORT PREFIX THREADS CONNECTIONS (in the background)
    local name=$1 port=$2 prefix=$3 threads=$4 connections=$5
    ( TIMEFORMAT='%U %S'
      time BENCH_HIST="$RESULTS/quantiles-$name.txt" wrk -t"$threads" -c"$connections" -d"${DURATION}s" --timeout 10s --latency \
          -s "$WORK/quantiles.lua" "http://127.0.0.1:$port" -- "$prefix" >"$RESULTS/wrk-$name.txt" 2>"$RESULTS/wrk-$name.err"
    ) 2>"$RESULTS/time-$name.txt" &
    WRK_PIDS+=($!)
}
wait_wrk() { local pid; for pid in "${WRK_PIDS[@]}"; do wait "$pid"; done; WRK_PIDS=(); }

# One configuration: presign, sample, load all its replicas at once, account CPU.
# measure NAME DATABASE_URL PORT... ; writes $RESULTS/meta-NAME.txt
measure() {
    local name=$1 url=$2; shift 2
    local ports=("$@") n=$# i t
    local per_threads=$(((THREADS + n - 1) / n))
    [ "$n" -gt 1 ] || per_threads=$THREADS
    # One batch, one file per wrk thread of all replicas, as for a single wrk: thread t of
    # replica i reads file i * threads + t, so the replicas send neighbouring events at once.
    say "$name: presigning $PRESIGN events"
    presign "$PRESIGN" $((n * per_threads)) "$WORK/events-$name" "b${STAMP}${name}"
    for i in "${!ports[@]}"; do
        for t in $(seq "$per_threads"); do
            ln -s "$WORK/events-$name.$((i * per_threads + t))" "$WORK/events-$name-$i.$t"
        done
    done
    [ "$url" = sqlite ] || start_sampler "$name" "$url"
    local r0 p0 meta="$RESULTS/meta-$name.txt"
    r0=$(cpu_sum "${REPLICA_PIDS[@]}"); p0=$(postgres_cpu)
    say "$name: wrk $DURATION s, $n replica(s), $CONNECTIONS connections, $per_threads thread(s) per replica"
    for i in "${!ports[@]}"; do
        # The connections split as evenly as they go: 32 over 3 is 11 + 11 + 10.
        start_wrk "$name-$i" "${ports[$i]}" "$WORK/events-$name-$i" "$per_threads" \
            $((CONNECTIONS / n + (i < CONNECTIONS % n ? 1 : 0)))
    done
    wait_wrk
    {
        echo "replicas=$n"
        echo "threads_per_replica=$per_threads"
        echo "rebind_cpu=$(awk -v a="$r0" -v b="$(cpu_sum "${REPLICA_PIDS[@]}")" 'BEGIN{printf "%.2f", b-a}')"
        echo "postgres_cpu=$(awk -v a="$p0" -v b="$(postgres_cpu)" 'BEGIN{printf "%.2f", b-a}')"
    } >"$meta"
    [ "$url" = sqlite ] || stop_sampler
    rm -f "$WORK"/events-"$name"[.-]*
    for i in "${!ports[@]}"; do
        grep -q '^RESULT ' "$RESULTS/wrk-$name-$i.txt" || { say "wrk printed no result:"; cat "$RESULTS/wrk-$name-$i".* >&2; exit 1; }
        say "$name replica $i: $(grep '^RESULT ' "$RESULTS/wrk-$name-$i.txt")"
    done
}

uptime >"$RESULTS/uptime-start.txt"
say "load at start: $(cat "$RESULTS/uptime-start.txt")"

# --- (a) SQLite ---
start_rebind sqlite "sqlite://$WORK/sqlite/rebind.sqlite"
REPLICA_PIDS=("$REBIND_PID")
measure sqlite sqlite "$REBIND_PORT"
stop "$REBIND_PID"
python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM inbox").fetchone()[0])' \
    "$WORK/sqlite/rebind.sqlite" >"$RESULTS/stored-sqlite.txt"

# --- (b) PostgreSQL, one replica; (c) PostgreSQL, REPLICAS replicas ---
pg_config() { # NAME COUNT
    local name=$1 count=$2 url i ports=()
    url=$(new_database "rebind_bench_${STAMP,,}_$name")
    migrate "$url"
    REPLICA_PIDS=()
    for i in $(seq 0 $((count - 1))); do
        start_rebind "$name-$i" "$url"
        REPLICA_PIDS+=("$REBIND_PID")
        ports+=("$REBIND_PORT")
    done
    measure "$name" "$url" "${ports[@]}"
    for i in "${REPLICA_PIDS[@]}"; do stop "$i"; done
    sleep 1 # the statistics collector's last flush
    local psql_db
    psql_db=$(psql_url "$url")
    psql -At "$psql_db" -c "SELECT count(*) FROM inbox" >"$RESULTS/stored-$name.txt"
    psql -At "$psql_db" -c "SELECT 'xact_commit=' || xact_commit || ' xact_rollback=' || xact_rollback || ' deadlocks=' || deadlocks
        || ' tup_inserted=' || tup_inserted || ' tup_updated=' || tup_updated FROM pg_stat_database WHERE datname = current_database()" \
        >"$RESULTS/pg-stats-$name.txt"
    if [ "$STATEMENTS" = 1 ]; then # the statements this database ran, by time spent (planning + executing)
        psql "$psql_db" -c "SELECT calls, round((total_plan_time + total_exec_time)::numeric, 0) AS total_ms,
            round(((total_plan_time + total_exec_time) / calls * 1000)::numeric, 1) AS mean_us,
            round((total_plan_time / calls * 1000)::numeric, 1) AS plan_us, left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query
            FROM pg_stat_statements WHERE calls > 0 AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            ORDER BY total_plan_time + total_exec_time DESC LIMIT 15" >"$RESULTS/pg-statements-$name.txt"
    fi
}
pg_config postgres1 1
pg_config "postgres$REPLICAS" "$REPLICAS"
uptime >"$RESULTS/uptime-end.txt"

# --- report ---
STATUS=0
python3 - "$RESULTS" "$REPLICAS" <<EOF || STATUS=$?
import collections, glob, os, re, sys
results, replicas = sys.argv[1], int(sys.argv[2])
configs = [("sqlite", "(a) SQLite, 1 replica"), ("postgres1", "(b) PostgreSQL, 1 replica"),
           (f"postgres{replicas}", f"(c) PostgreSQL, {replicas} replicas")]

def read(path):
    with open(os.path.join(results, path)) as f:
        return f.read()

def percentile(points, p):
    """points: (latency µs, weight) pairs from every wrk process; the value at rank p %."""
    points = sorted(points)
    rank = p / 100 * sum(n for _, n in points)
    seen = 0.0
    for us, n in points:
        seen += n
        if seen >= rank - 1e-9:
            return us / 1000
    return points[-1][0] / 1000 if points else 0.0

rows = {}
for key, label in configs:
    meta = dict(line.split("=", 1) for line in read(f"meta-{key}.txt").split())
    parts = [dict(re.findall(r"(\w+)=(\S+)", re.search(r"^RESULT .*$", read(f"wrk-{key}-{i}.txt"), re.M).group(0)))
             for i in range(int(meta["replicas"]))]
    # One process: wrk's own percentiles. Several: their quantiles, each weighted by the
    # requests it stands for, merged (exact to a tenth of a percentile).
    points = []
    for i, p in enumerate(parts):
        values = [float(x) for x in read(f"quantiles-{key}-{i}.txt").split()]
        points += [(v, int(p["requests"]) / len(values)) for v in values]
    merged = len(parts) > 1
    wrk_cpu = sum(sum(float(x) for x in read(f"time-{key}-{i}.txt").split()[-2:]) for i in range(int(meta["replicas"])))
    r = dict(label=label, replicas=int(meta["replicas"]),
             rps=sum(float(p["rps"]) for p in parts), accepted=sum(int(p["accepted"]) for p in parts),
             per_replica=[float(p["rps"]) for p in parts],
             non202=sum(int(p["non202"]) for p in parts), duplicates=sum(int(p["duplicates"]) for p in parts),
             exhausted=sum(int(p["exhausted_threads"]) for p in parts),
             socket=sum(int(p[k]) for p in parts for k in ("connect_errors", "read_errors", "write_errors", "timeouts")),
             p50=percentile(points, 50) if merged else float(parts[0]["p50_ms"]),
             p90=percentile(points, 90) if merged else float(parts[0]["p90_ms"]),
             p99=percentile(points, 99) if merged else float(parts[0]["p99_ms"]),
             max=max(float(p["max_ms"]) for p in parts),
             per_replica_latency=[(float(p["p50_ms"]), float(p["p99_ms"])) for p in parts],
             stored=int(read(f"stored-{key}.txt").strip()),
             rebind_cpu=float(meta["rebind_cpu"]), postgres_cpu=float(meta["postgres_cpu"]), wrk_cpu=wrk_cpu)
    if os.path.exists(os.path.join(results, f"pg-stats-{key}.txt")):
        r["pg_stats"] = read(f"pg-stats-{key}.txt").strip()
    if os.path.exists(os.path.join(results, f"pg-activity-{key}.txt")):
        samples, states = 0, collections.Counter()
        for line in read(f"pg-activity-{key}.txt").split("\n"):
            fields = line.split("|")
            if len(fields) != 4:
                continue
            if fields[0] == "sample":
                samples += 1
            else:
                states[" / ".join(fields[:3])] += int(fields[3])
        r["activity"] = (samples, states)
    rows[key] = r

a, b, c = (rows[key] for key, _ in configs)
lines = []
w = lines.append
w(f"# Rebind ingest benchmark on PostgreSQL, $STAMP")
w("")
w(f"Machine: $(nproc) cores (shared), $(uname -r); load at start: $(sed 's/.*load average/load average/' "$RESULTS/uptime-start.txt"),"
  f" at end: $(sed 's/.*load average/load average/' "$RESULTS/uptime-end.txt"). Rebind: $(if [ -n "${BENCH_BINARY:-}" ]; then echo "$BINARY"; else echo "release build of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ', working tree differs in Sources')"; fi).")
w(f"PostgreSQL $PG_VERSION, {'throwaway cluster (scripts/test-postgres.sh), loopback' if $PG_LOCAL else 'given server'}: $PG_SETTINGS.")
w(f"Load: wrk, {$DURATION} s per configuration, $CONNECTIONS keep-alive connections in all (split between replicas),"
  f" $THREADS threads ({c['replicas']} in (c), one wrk per replica), loopback.")
w("")
w("| configuration | req/s | p50 ms | p90 ms | p99 ms | max ms | non-202 | duplicates | socket errors | 202 seen / rows in inbox | Rebind CPU s | PostgreSQL CPU s | wrk CPU s |")
w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in (a, b, c):
    split = f" ({' + '.join(f'{x:.0f}' for x in r['per_replica'])})" if r["replicas"] > 1 else ""
    w(f"| {r['label']} | {r['rps']:.0f}{split} | {r['p50']:.2f} | {r['p90']:.2f} | {r['p99']:.2f} | {r['max']:.1f} | {r['non202']} | {r['duplicates']}"
      f" | {r['socket']} | {r['accepted']:,} / {r['stored']:,} | {r['rebind_cpu']:.1f} | {r['postgres_cpu']:.1f} | {r['wrk_cpu']:.1f} |")
w("")
if c["replicas"] > 1:
    w(f"- (c) per replica, p50 / p99 ms: " + ", ".join(f"{p50:.2f} / {p99:.2f}" for p50, p99 in c["per_replica_latency"])
      + " ((c)'s percentiles above merge the three wrk processes' quantiles)")
w(f"- Ratios of req/s: (b)/(a) **{b['rps'] / a['rps']:.2f}x**, (c)/(a) **{c['rps'] / a['rps']:.2f}x**, (c)/(b) **{c['rps'] / b['rps']:.2f}x**")
for r in (a, b, c):
    cpu = r["rebind_cpu"] + r["postgres_cpu"]
    if r["accepted"]:
        w(f"- {r['label']}: CPU per event {1e6 * r['rebind_cpu'] / r['accepted']:.0f} µs Rebind"
          + (f" + {1e6 * r['postgres_cpu'] / r['accepted']:.0f} µs PostgreSQL" if r["postgres_cpu"] else "")
          + f"; {r['accepted'] / ($DURATION):.0f} events/s over {cpu / $DURATION:.2f} CPUs"
          + (f"; {r['pg_stats']}" if "pg_stats" in r else ""))
ok = True
for r in (a, b, c):
    # wrk stops with requests in flight: those may be stored without their 202 being counted.
    stored_ok = r["accepted"] <= r["stored"] <= r["accepted"] + $CONNECTIONS
    clean = r["non202"] == 0 and r["duplicates"] == 0 and r["socket"] == 0 and r["exhausted"] == 0
    ok = ok and stored_ok and clean
    w(f"- {r['label']}: every 202 stored: {'yes' if r['stored'] >= r['accepted'] else 'NO'}"
      f" ({r['accepted']:,} acknowledged, {r['stored']:,} rows in inbox, {r['stored'] - r['accepted']} in flight when wrk stopped)"
      + ("" if clean else f"; errors: non-202 {r['non202']}, duplicates {r['duplicates']}, socket {r['socket']}, exhausted threads {r['exhausted']}"))
for r in (b, c):
    if "activity" in r:
        samples, states = r["activity"]
        sessions = sum(states.values())
        w("")
        w(f"What the {r['label']} database sessions were doing ({samples} samples of pg_stat_activity, {sessions / max(samples, 1):.1f} sessions on average):")
        w("")
        w("| state / wait type / wait event | share of session samples |")
        w("|---|---|")
        for state, n in states.most_common(8):
            w(f"| {state} | {100 * n / sessions:.1f} % |")
for key, label in configs[1:]:
    if os.path.exists(os.path.join(results, f"pg-statements-{key}.txt")):
        w("")
        w(f"Statements of {label}, by time in PostgreSQL (pg_stat_statements, planning + execution):")
        w("")
        w("\n".join("    " + line for line in read(f"pg-statements-{key}.txt").rstrip().split("\n")))
w("")
w(f"- measurement valid (no errors, every 202 stored): {'yes' if ok else 'NO'}")
text = "\n".join(lines)
open(os.path.join(results, "summary.md"), "w").write(text + "\n")
# One line for bench/run.sh, which reports these beside its own runs.
with open(os.path.join(results, "result.txt"), "w") as f:
    for key, r in (("a", a), ("b", b), ("c", c)):
        f.write(f"PG config={key} replicas={r['replicas']} rps={r['rps']:.1f} p50_ms={r['p50']:.3f} p99_ms={r['p99']:.3f}"
                f" accepted={r['accepted']} stored={r['stored']} rebind_cpu={r['rebind_cpu']:.2f} postgres_cpu={r['postgres_cpu']:.2f}"
                f" valid={int(ok)}\n")
print(text)
sys.exit(0 if ok else 2)
EOF
say "results in $RESULTS"
# bench/run.sh asks where the results went.
[ -z "${BENCH_PG_RESULT_LINK:-}" ] || ln -sfn "$RESULTS" "$BENCH_PG_RESULT_LINK"
exit $STATUS
