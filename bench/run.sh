#!/usr/bin/env bash
# Rebind's intake benchmark, against Prometheus Alertmanager and a Hummingbird hello-world
# server in the same run, with Rebind on SQLite (both durability settings) and on PostgreSQL
# (one replica and three).
#
#   bench/run.sh
#
# 1. builds the release binaries (Rebind in .build-release, bench/hello in its own .build),
#    starts Rebind on a fresh SQLite database (REBIND_SQLITE_SYNCHRONOUS=normal, the default),
#    Alertmanager (null receiver) and the hello-world server (a fixed 202, nothing read);
# 2. presigns BENCH_PRESIGN distinct events, then wrk POSTs them, one event per request, over
#    BENCH_CONNECTIONS keep-alive connections for BENCH_DURATION seconds;
# 3. wrk POSTs single alerts with distinct labels to Alertmanager, same threads, connections
#    and duration;
# 4. wrk POSTs the same request (one presigned event, bench/hello.lua) to the hello-world
#    server: the framework's ceiling on this machine, of which Rebind's rate is printed as a share;
# 5. keeps posting signed events to the same Rebind process until its store holds
#    BENCH_FILL events, and reads its peak RSS (VmHWM);
# 6. repeats step 2 on a fresh database with REBIND_SQLITE_SYNCHRONOUS=full;
# 7. runs bench/postgres.sh with the same binary, duration and connections: SQLite, PostgreSQL
#    with one replica and with three, each against a fresh database, in one invocation (its
#    own SQLite run is the baseline of its PostgreSQL ratios: same minutes of the machine).
# Prints every rate, the ratios, p50/p99, error counts, CPU per event, events per commit (the
# service's rebind_store_commit_* histograms) and the peak RSS; writes
# everything to bench/results/<time>/ (git-ignored). With BENCH_STRICT=1 exits 1 when a target
# is missed (Rebind >= 0.5x Alertmanager with p99 < 10 ms; full p99 < 20 ms; PostgreSQL >= 0.5x
# SQLite; three replicas >= 0.9x one; peak RSS < 150 MB after 1,000,000 events).
#
# Environment: BENCH_DURATION (20), BENCH_CONNECTIONS (32), BENCH_THREADS (2),
# BENCH_PRESIGN (1000000), BENCH_FILL (1000000; 0 skips step 5), BENCH_FULL (1; 0 skips
# step 6), BENCH_POSTGRES (1; 0 skips step 7), BENCH_BUILD (1; 0 uses the existing binaries),
# BENCH_STRICT (0; 1 exits 1 when a target is missed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DURATION=${BENCH_DURATION:-20}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
PRESIGN=${BENCH_PRESIGN:-1000000}
FILL=${BENCH_FILL:-1000000}
RUN_FULL=${BENCH_FULL:-1}
RUN_POSTGRES=${BENCH_POSTGRES:-1}
BUILD=${BENCH_BUILD:-1}
STRICT=${BENCH_STRICT:-0}
BINARY=.build-release/release/rebind
HELLO=bench/hello/.build/release/hello

say() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# --- tools (Debian packages) ---
MISSING=()
command -v wrk >/dev/null || MISSING+=(wrk)
command -v prometheus-alertmanager >/dev/null || MISSING+=(prometheus-alertmanager)
command -v python3 >/dev/null || MISSING+=(python3)
if [ ${#MISSING[@]} -gt 0 ]; then
    say "installing ${MISSING[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${MISSING[@]}" >/dev/null
fi

if [ "$BUILD" = 1 ]; then
    say "building the release binaries (the first build takes a while)"
    swift build -c release --product rebind --scratch-path .build-release >&2
    swift build -c release --package-path bench/hello >&2
fi
[ -x "$BINARY" ] || { say "no $BINARY: run with BENCH_BUILD=1"; exit 1; }
[ -x "$HELLO" ] || { say "no $HELLO: run with BENCH_BUILD=1"; exit 1; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS="$ROOT/bench/results/$STAMP"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rebind-bench.XXXXXX")
mkdir -p "$RESULTS"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "/proc/$1/stat"; }
proc_kib() { awk -v f="$2:" '$1==f {print $2}' "/proc/$1/status"; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
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
stored_events() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM inbox").fetchone()[0])' "$1"; }
new_events() { # ADMIN_PORT: Rebind's count of first-time events since it started, from the admin listener's /metrics
    python3 - "$1" <<'EOF'
import re, sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
print(sum(int(float(line.rsplit(" ", 1)[1])) for line in text.splitlines()
          if line.startswith("rebind_events_total{") and 'duplicate="false"' in line))
EOF
}

commit_stats() { # ADMIN_PORT: events per commit and a commit's mean ms so far, from rebind_store_commit_*
    python3 - "$1" <<'EOF'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5).read().decode()
value = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines() if line.startswith("rebind_store_commit_")}
n = value.get("rebind_store_commit_events_count", 0)
print(f"{value['rebind_store_commit_events_sum'] / n:.1f} {1000 * value['rebind_store_commit_seconds_sum'] / n:.2f}" if n else "- -")
EOF
}

SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
start_rebind() { # NAME SYNCHRONOUS -> REBIND_PID REBIND_PORT ADMIN_PORT REBIND_DB
    REBIND_PORT=$(free_port)
    ADMIN_PORT=$(free_port)
    REBIND_DB="$WORK/$1/rebind.sqlite"
    mkdir -p "$WORK/$1"
    REBIND_DATABASE_URL="sqlite://$REBIND_DB" REBIND_EVENTS_SECRET="$SECRET" \
    REBIND_SQLITE_SYNCHRONOUS="$2" REBIND_HTTP_HOST=127.0.0.1 REBIND_HTTP_PORT="$REBIND_PORT" \
    REBIND_ADMIN_HOST=127.0.0.1 REBIND_ADMIN_PORT="$ADMIN_PORT" \
    REBIND_TEMPLATES_DIR="$ROOT/templates" \
        "$BINARY" serve >"$RESULTS/rebind-$1.log" 2>&1 &
    REBIND_PID=$!
    PIDS+=("$REBIND_PID")
    wait_ready "http://127.0.0.1:$ADMIN_PORT/readyz" "$REBIND_PID"
    say "rebind ($2) pid $REBIND_PID on 127.0.0.1:$REBIND_PORT (admin $ADMIN_PORT)"
}
stop() { kill -TERM "$1" 2>/dev/null || true; for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null || true; }

presign() { # COUNT PREFIX START
    say "presigning $1 events"
    python3 bench/presign.py --secret "$SECRET" --count "$1" --files "$THREADS" --prefix "$2" \
        --start "$3" --run "bench$STAMP" >/dev/null
}

# Runs wrk in the foreground; leaves its RESULT line in WRK_RESULT and its CPU use in WRK_CPU.
run_wrk() { # NAME SCRIPT URL [script args...]
    local name=$1 script=$2 url=$3; shift 3
    local TIMEFORMAT='%U %S'
    { time wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$script" "$url" -- "$@" \
        >"$RESULTS/wrk-$name.txt" 2>"$RESULTS/wrk-$name.err"; } 2>"$WORK/time-$name"
    WRK_CPU=$(awk '{printf "%.2f", $1+$2}' "$WORK/time-$name")
    WRK_RESULT=$(grep '^RESULT ' "$RESULTS/wrk-$name.txt" || true)
    [ -n "$WRK_RESULT" ] || { say "wrk printed no result:"; cat "$RESULTS/wrk-$name.txt" "$RESULTS/wrk-$name.err" >&2; exit 1; }
}

# --- 1. the two services ---
AM_PORT=$(free_port)
mkdir -p "$WORK/alertmanager"
prometheus-alertmanager --config.file="$ROOT/bench/alertmanager.yml" --storage.path="$WORK/alertmanager" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= --log.level=warn \
    >"$RESULTS/alertmanager.log" 2>&1 &
AM_PID=$!
PIDS+=("$AM_PID")
wait_ready "http://127.0.0.1:$AM_PORT/-/ready" "$AM_PID"
say "alertmanager $(prometheus-alertmanager --version 2>&1 | head -1 | awk '{print $3}') pid $AM_PID on 127.0.0.1:$AM_PORT"

start_rebind normal normal
NORMAL_PID=$REBIND_PID NORMAL_PORT=$REBIND_PORT NORMAL_ADMIN_PORT=$ADMIN_PORT NORMAL_DB=$REBIND_DB

# --- 2. Rebind, synchronous=normal ---
presign "$PRESIGN" "$WORK/events-normal" 0
say "wrk: $DURATION s of signed events to rebind, $THREADS threads, $CONNECTIONS connections"
R0=$(cpu_seconds "$NORMAL_PID"); A0=$(cpu_seconds "$AM_PID")
run_wrk rebind-normal bench/rebind.lua "http://127.0.0.1:$NORMAL_PORT" "$WORK/events-normal"
REBIND_RESULT=$WRK_RESULT
REBIND_CPU=$(awk -v a="$R0" -v b="$(cpu_seconds "$NORMAL_PID")" 'BEGIN{printf "%.2f", b-a}')
IDLE_AM_CPU=$(awk -v a="$A0" -v b="$(cpu_seconds "$AM_PID")" 'BEGIN{printf "%.2f", b-a}')
REBIND_WRK_CPU=$WRK_CPU
read -r REBIND_PER_COMMIT REBIND_COMMIT_MS < <(commit_stats "$NORMAL_ADMIN_PORT")
rm -f "$WORK"/events-normal.*
say "$REBIND_RESULT"

# --- 3. Alertmanager ---
say "wrk: $DURATION s of single alerts to alertmanager, $THREADS threads, $CONNECTIONS connections"
R0=$(cpu_seconds "$NORMAL_PID"); A0=$(cpu_seconds "$AM_PID")
run_wrk alertmanager bench/alertmanager.lua "http://127.0.0.1:$AM_PORT" "r$STAMP"
AM_RESULT=$WRK_RESULT
AM_CPU=$(awk -v a="$A0" -v b="$(cpu_seconds "$AM_PID")" 'BEGIN{printf "%.2f", b-a}')
IDLE_REBIND_CPU=$(awk -v a="$R0" -v b="$(cpu_seconds "$NORMAL_PID")" 'BEGIN{printf "%.2f", b-a}')
AM_WRK_CPU=$WRK_CPU
AM_HWM=$(proc_kib "$AM_PID" VmHWM)
say "$AM_RESULT"
# Alertmanager keeps working on the alerts it holds; stop it so it does not take CPU from what follows.
stop "$AM_PID"

# --- 4. the hello-world server: the framework's ceiling ---
HELLO_PORT=$(free_port)
"$HELLO" "$HELLO_PORT" >"$RESULTS/hello.log" 2>&1 &
HELLO_PID=$!
PIDS+=("$HELLO_PID")
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$HELLO_PORT") 2>/dev/null && break; sleep 0.1; done
presign 10 "$WORK/events-hello" 0
say "wrk: $DURATION s of the same request to the hello-world server"
H0=$(cpu_seconds "$HELLO_PID")
run_wrk hello bench/hello.lua "http://127.0.0.1:$HELLO_PORT" "$WORK/events-hello"
HELLO_RESULT=$WRK_RESULT
HELLO_CPU=$(awk -v a="$H0" -v b="$(cpu_seconds "$HELLO_PID")" 'BEGIN{printf "%.2f", b-a}')
HELLO_WRK_CPU=$WRK_CPU
rm -f "$WORK"/events-hello.*
say "$HELLO_RESULT"
stop "$HELLO_PID"

# --- 5. fill Rebind's store, through HTTP, to BENCH_FILL events ---
RATE=$(field "$REBIND_RESULT" rps | cut -d. -f1)
[ "${RATE:-0}" -gt 1000 ] || RATE=1000
NEXT=$((PRESIGN + 1000))
FILLED_BY_HTTP=0
if [ "$FILL" -gt 0 ]; then
    for round in $(seq 20); do
        HAVE=$(new_events "$NORMAL_ADMIN_PORT")
        [ "$HAVE" -ge "$FILL" ] && break
        # A chunk that is sent well within the 300 s signature window.
        CHUNK=$((FILL - HAVE + 2 * CONNECTIONS))
        MAX_CHUNK=$((RATE * 150))
        [ "$CHUNK" -le "$MAX_CHUNK" ] || CHUNK=$MAX_CHUNK
        say "fill round $round: $HAVE events stored, sending $CHUNK more"
        presign "$CHUNK" "$WORK/fill" "$NEXT"
        NEXT=$((NEXT + CHUNK + 1000))
        TARGET=$((HAVE + CHUNK - 2 * CONNECTIONS))
        FILL_SECONDS=$((CHUNK * 16 / RATE / 10 + 10))
        [ "$FILL_SECONDS" -le 280 ] || FILL_SECONDS=280 # signatures are valid for 300 s
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${FILL_SECONDS}s" --timeout 10s -s bench/rebind.lua \
            "http://127.0.0.1:$NORMAL_PORT" -- "$WORK/fill" >"$RESULTS/wrk-fill-$round.txt" 2>"$RESULTS/wrk-fill-$round.err" &
        WRK_PID=$!
        LAST=-1
        while kill -0 "$WRK_PID" 2>/dev/null; do
            sleep 1
            NOW=$(new_events "$NORMAL_ADMIN_PORT")
            # Done (or stalled): stop wrk early rather than wait out its duration.
            if [ "$NOW" -ge "$TARGET" ] || [ "$NOW" -eq "$LAST" ]; then kill -INT "$WRK_PID" 2>/dev/null || true; break; fi
            LAST=$NOW
        done
        wait "$WRK_PID" || true
        rm -f "$WORK"/fill.*
        FILL_LINE=$(grep '^RESULT ' "$RESULTS/wrk-fill-$round.txt" || true)
        if [ "$(field "$FILL_LINE" non202)" != 0 ] || [ "$(field "$FILL_LINE" read_errors)" != 0 ]; then
            say "fill round $round had errors: $FILL_LINE"
        fi
    done
    FILLED_BY_HTTP=1
fi
STORED=$(stored_events "$NORMAL_DB")
RSS_HWM=$(proc_kib "$NORMAL_PID" VmHWM)
RSS_NOW=$(proc_kib "$NORMAL_PID" VmRSS)
DB_BYTES=$(du -cb "$NORMAL_DB"* | tail -1 | cut -f1)
say "rebind holds $STORED events; VmHWM $RSS_HWM KiB, VmRSS $RSS_NOW KiB"
stop "$NORMAL_PID"

# --- 6. Rebind, synchronous=full ---
FULL_RESULT=""
if [ "$RUN_FULL" = 1 ]; then
    start_rebind full full
    FULL_PID=$REBIND_PID
    presign "$PRESIGN" "$WORK/events-full" 0
    say "wrk: $DURATION s of signed events to rebind (synchronous=full)"
    R0=$(cpu_seconds "$FULL_PID")
    run_wrk rebind-full bench/rebind.lua "http://127.0.0.1:$REBIND_PORT" "$WORK/events-full"
    FULL_RESULT=$WRK_RESULT
    FULL_CPU=$(awk -v a="$R0" -v b="$(cpu_seconds "$FULL_PID")" 'BEGIN{printf "%.2f", b-a}')
    FULL_WRK_CPU=$WRK_CPU
    read -r FULL_PER_COMMIT FULL_COMMIT_MS < <(commit_stats "$ADMIN_PORT")
    FULL_HWM=$(proc_kib "$FULL_PID" VmHWM)
    rm -f "$WORK"/events-full.*
    say "$FULL_RESULT"
    stop "$FULL_PID"
fi

# --- 7. PostgreSQL, one replica and three, beside SQLite (bench/postgres.sh) ---
PG_RESULTS=""
if [ "$RUN_POSTGRES" = 1 ]; then
    say "bench/postgres.sh: SQLite, PostgreSQL one replica and three"
    BENCH_BINARY="$ROOT/$BINARY" BENCH_BUILD=0 BENCH_DURATION="$DURATION" BENCH_CONNECTIONS="$CONNECTIONS" \
        BENCH_THREADS="$THREADS" BENCH_PG_RESULT_LINK="$WORK/pg-results" bench/postgres.sh >"$RESULTS/postgres.txt" || true
    [ -f "$WORK/pg-results/result.txt" ] && PG_RESULTS=$(cat "$WORK/pg-results/result.txt")
    [ -n "$PG_RESULTS" ] || say "bench/postgres.sh printed no result: see $RESULTS/postgres.txt"
fi

# --- report ---
STATUS=0
python3 - "$RESULTS/summary.md" <<EOF || STATUS=$?
import re, sys
def parse(line):
    return dict(re.findall(r"(\w+)=(\S+)", line))
rebind, am, hello = parse("""$REBIND_RESULT"""), parse("""$AM_RESULT"""), parse("""$HELLO_RESULT""")
pg = {r["config"]: r for r in map(parse, """$PG_RESULTS""".strip().splitlines())}
full = parse("""$FULL_RESULT""") if """$FULL_RESULT""" else None
duration, cores = $DURATION, $(nproc)
ratio = float(rebind["rps"]) / float(am["rps"])
hwm_mb = $RSS_HWM / 1024
stored, fill = $STORED, $FILL

def valid(r, bad_key):
    return all(int(r[k]) == 0 for k in (bad_key, "connect_errors", "read_errors", "write_errors", "timeouts")) \
        and int(r.get("exhausted_threads", 0)) == 0 and int(r.get("duplicates", 0)) == 0
ok_rebind, ok_am, ok_hello = valid(rebind, "non202"), valid(am, "non2xx"), valid(hello, "non202")
ok_pg = all(r["valid"] == "1" for r in pg.values()) if pg else True
ok_full = valid(full, "non202") if full else True
lines = []
w = lines.append
w(f"# Rebind benchmark, $STAMP")
w("")
w(f"Machine: {cores} cores (shared), $(uname -r); Rebind release build; Alertmanager $(prometheus-alertmanager --version 2>&1 | head -1 | awk '{print $3}').")
w(f"Load: wrk, $THREADS threads, $CONNECTIONS keep-alive connections, {duration} s per run, loopback.")
w("")
w("| run | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx / non-202 | socket errors | server CPU s | wrk CPU s |")
w("|---|---|---|---|---|---|---|---|---|---|")
def row(name, r, bad, cpu, wcpu):
    errs = sum(int(r[k]) for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    w(f"| {name} | {float(r['rps']):.0f} | {r['p50_ms']} | {r['p90_ms']} | {r['p99_ms']} | {r['max_ms']} | {r[bad]} | {errs} | {cpu} | {wcpu} |")
row("Rebind, synchronous=normal (default)", rebind, "non202", "$REBIND_CPU", "$REBIND_WRK_CPU")
row("Alertmanager (in memory)", am, "non2xx", "$AM_CPU", "$AM_WRK_CPU")
if full:
    row("Rebind, synchronous=full", full, "non202", "${FULL_CPU:-}", "${FULL_WRK_CPU:-}")
row("Hummingbird hello-world (fixed 202, nothing read)", hello, "non202", "$HELLO_CPU", "$HELLO_WRK_CPU")
w("")
def per_event(cpu, r):
    return 1e6 * float(cpu) / max(int(r["accepted"]), 1)
w(f"- Server CPU per event: Rebind (normal) {per_event('$REBIND_CPU', rebind):.0f} µs"
  + (f", (full) {per_event('${FULL_CPU:-0}', full):.0f} µs" if full else "")
  + f", hello-world {per_event('$HELLO_CPU', hello):.0f} µs; Alertmanager {1e6 * float('$AM_CPU') / max(int(am['requests']), 1):.0f} µs per alert")
w(f"- Events per commit (rebind_store_commit_*): normal $REBIND_PER_COMMIT, a commit $REBIND_COMMIT_MS ms on average"
  + (f"; full ${FULL_PER_COMMIT:-}, ${FULL_COMMIT_MS:-} ms" if full else ""))
w(f"- Rebind (normal) / hello-world: **{float(rebind['rps']) / float(hello['rps']):.2f}** of the framework's ceiling on this machine")
if pg:
    w("")
    w("PostgreSQL (bench/postgres.sh in this run; its own SQLite run is the baseline of its ratios):")
    w("")
    w("| configuration | req/s | p50 ms | p99 ms | Rebind CPU per event | PostgreSQL CPU per event | every 202 stored |")
    w("|---|---|---|---|---|---|---|")
    names = {"a": "SQLite, 1 replica", "b": "PostgreSQL, 1 replica", "c": f"PostgreSQL, {pg['c']['replicas']} replicas" if "c" in pg else ""}
    for key in ("a", "b", "c"):
        if key in pg:
            r = pg[key]
            n = max(int(r["accepted"]), 1)
            w(f"| {names[key]} | {float(r['rps']):.0f} | {float(r['p50_ms']):.2f} | {float(r['p99_ms']):.2f} | {1e6 * float(r['rebind_cpu']) / n:.0f} µs"
              f" | {1e6 * float(r['postgres_cpu']) / n:.0f} µs | {'yes' if int(r['stored']) >= int(r['accepted']) else 'NO'} |")
w("")
w(f"- Ratio Rebind (normal) / Alertmanager: **{ratio:.2f}x** (target >= 0.5x)"
  + (f"; Rebind (full) / Alertmanager: **{float(full['rps']) / float(am['rps']):.2f}x**" if full else ""))
w(f"- Rebind p50 / p99 (normal): {rebind['p50_ms']} ms / **{rebind['p99_ms']} ms** (target p99 < 10 ms)"
  + (f"; full: {full['p50_ms']} ms / {full['p99_ms']} ms" if full else ""))
w(f"- Rebind peak RSS (VmHWM) after {stored:,} stored events, all received over HTTP by one process: **{hwm_mb:.1f} MB**"
  f" (VmRSS {$RSS_NOW / 1024:.1f} MB; database {$DB_BYTES / 1e6:.0f} MB on disk; target < 150 MB)")
w(f"- Alertmanager peak RSS after its run: {$AM_HWM / 1024:.0f} MB")
w(f"- Idle CPU during the other's run: Alertmanager {'$IDLE_AM_CPU'} s, Rebind {'$IDLE_REBIND_CPU'} s")
w("")
targets = [("rate >= 0.5x Alertmanager", ratio >= 0.5), ("p99 < 10 ms", float(rebind["p99_ms"]) < 10),
           ("peak RSS < 150 MB after 1,000,000 events", hwm_mb < 150 and stored >= 1_000_000)]
if full:
    targets.append(("full: p99 < 20 ms", float(full["p99_ms"]) < 20))
if pg and "a" in pg and "b" in pg:
    pg_ratio = float(pg["b"]["rps"]) / float(pg["a"]["rps"])
    w(f"- Ratio PostgreSQL (1 replica) / SQLite: **{pg_ratio:.2f}x** (target >= 0.5x)")
    targets.append(("PostgreSQL >= 0.5x SQLite", pg_ratio >= 0.5))
    if "c" in pg:
        replica_ratio = float(pg["c"]["rps"]) / float(pg["b"]["rps"])
        w(f"- Ratio PostgreSQL {pg['c']['replicas']} replicas / 1 replica: **{replica_ratio:.2f}x** (target >= 0.9x)")
        targets.append(("replicas >= 0.9x one", replica_ratio >= 0.9))
elif $RUN_POSTGRES:
    targets.append(("PostgreSQL measured", False))
for name, met in targets:
    w(f"- target {name}: {'met' if met else 'MISSED'}")
w(f"- measurement valid (no errors, every event answered 202 and new, every PostgreSQL 202 stored): {'yes' if ok_rebind and ok_am and ok_full and ok_hello and ok_pg else 'NO'}")
text = "\n".join(lines)
open(sys.argv[1], "w").write(text + "\n")
print(text)
status = 0 if ok_rebind and ok_am and ok_full and ok_hello and ok_pg else 2
if $STRICT and not all(met for _, met in targets):
    status = status or 1
sys.exit(status)
EOF
say "results in $RESULTS"
exit $STATUS
