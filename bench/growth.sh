#!/usr/bin/env bash
# Does an event cost the same after a million as at the start? Rebind's ingest rate per
# 100,000 events, up to 1,000,000, in one process per store and workload:
#
#   bench/growth.sh
#
# Workloads (events from bench/incident_size.py, robot.paused, each adding a new robot with
# market, open positions and exposure to an incident; Standard-Webhooks signed, sent by wrk with
# bench/rebind.lua over BENCH_CONNECTIONS connections):
#   grow   BENCH_ACCOUNTS (20,000) accounts: every event adds another robot to its account's open
#          incident, so incidents grow together to 1,000,000 / 20,000 = 50 robots each (an
#          exchange-wide revocation, traders with dozens of robots on one key);
#   fresh  a new account for every event: a million incidents of one robot.
# Stores: SQLite (a fresh file, synchronous=normal) and PostgreSQL (a fresh database on a
# throwaway cluster from scripts/test-postgres.sh, fsync=off as in bench/postgres.sh). Each
# store and workload gets a fresh `rebind serve` with REBIND_GROUP_WAIT_SECONDS=86400, so no
# notice falls due and only the way in is measured. Events go in chunks of 100,000, presigned
# right before they are sent (signatures hold for 300 s); a chunk's rate is its 100,000 events
# (less 2 x BENCH_CONNECTIONS that wrk reads but may not send as its threads run out) over the
# time from its first request to Rebind's count of new events (rebind_events_total, polled every
# 0.2 s) reaching them. After the last chunk: the process's peak RSS (VmHWM).
#
# Prints one table per store: the rate of each 100,000, for both workloads, the ratio of the
# chunk after 600,000 events (600k-700k) and of the last to the first, p99 of each chunk, per
# event of each chunk Rebind's CPU time and the bytes it read and wrote through system calls
# (on PostgreSQL only Rebind's side), and the peak RSS; every chunk must be answered 202 to
# every event, none a duplicate. With BENCH_STRICT=1 exits 1 when a target is missed (600k-700k
# at least 0.9x the first 100,000 on each store and workload; peak RSS under 150 MB) or was not
# measured (a run that stopped before a chunk starting at 600,000 events, e.g. a smaller
# BENCH_TOTAL or BENCH_PG_TOTAL). With another BENCH_CHUNK the comparison is of the first chunk
# starting at or after 600,000 events with the first chunk. Results go to
# bench/results/growth-<time>/.
#
# Environment: BENCH_TOTAL (1000000), BENCH_PG_TOTAL (BENCH_TOTAL: PostgreSQL's, which takes
# longer), BENCH_CHUNK (100000), BENCH_ACCOUNTS (20000),
# BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_STORES ("sqlite postgres"),
# BENCH_WORKLOADS ("grow fresh"), BENCH_BUILD (1; 0 uses .build-release), BENCH_BINARY
# (another build), BENCH_STRICT (0), BENCH_IDS (sequential; random: webhook ids in no order,
# as a sender of random UUIDs sends them, see bench/presign.py).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TOTAL=${BENCH_TOTAL:-1000000}
PG_TOTAL=${BENCH_PG_TOTAL:-$TOTAL}
CHUNK=${BENCH_CHUNK:-100000}
ACCOUNTS=${BENCH_ACCOUNTS:-20000}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
STORES=${BENCH_STORES:-sqlite postgres}
WORKLOADS=${BENCH_WORKLOADS:-grow fresh}
BUILD=${BENCH_BUILD:-1}
STRICT=${BENCH_STRICT:-0}
BINARY=${BENCH_BINARY:-$ROOT/.build-release/release/rebind}

say() { printf '[growth %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ $((CHUNK % ACCOUNTS)) -eq 0 ] || { say "BENCH_CHUNK must be a multiple of BENCH_ACCOUNTS"; exit 1; }

MISSING=()
command -v wrk >/dev/null || MISSING+=(wrk)
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
RESULTS="$ROOT/bench/results/growth-$STAMP"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rebind-growth.XXXXXX")
mkdir -p "$RESULTS"
PIDS=()
PG_STARTED=0
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    [ "$PG_STARTED" = 0 ] || stop_test_postgres 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# shellcheck source=../scripts/test-postgres.sh
source "$ROOT/scripts/test-postgres.sh" # start_test_postgres, stop_test_postgres, test_postgres_free_port

http_ok() { python3 -c 'import sys, urllib.request; sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)' "$1" 2>/dev/null; }
wait_ready() { # URL PID
    for _ in $(seq 600); do
        kill -0 "$2" 2>/dev/null || { say "process $2 exited during start-up"; return 1; }
        http_ok "$1" && return 0
        sleep 0.1
    done
    say "$1 did not answer"; return 1
}
stop() { kill -TERM "$1" 2>/dev/null || true; for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null || true; }
proc_kib() { awk -v f="$2:" '$1==f {print $2}' "/proc/$1/status"; }

SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
MASTER_KEY=$(head -c 32 /dev/urandom | base64)

# Sends one presigned chunk and prints "seconds events p99_ms non202 duplicates socket_errors
# cpu_us read_kb written_kb": the time from wrk's start until Rebind has counted TARGET new
# events, and Rebind's CPU time and the bytes it read and wrote through system calls
# (/proc/PID/io rchar and wchar: SQLite's page reads and WAL writes) per event of the chunk.
send_chunk() { # NAME PORT ADMIN_PORT PREFIX TARGET PID
    local name=$1 port=$2 admin=$3 prefix=$4 target=$5 pid=$6
    python3 - "$admin" "$target" "$RESULTS/wrk-$name.txt" "$prefix" "$port" "$CONNECTIONS" "$THREADS" "$ROOT/bench/rebind.lua" "$pid" <<'EOF'
import os, re, signal, subprocess, sys, time, urllib.request
admin, target, out, prefix, port, connections, threads, script, pid = sys.argv[1:]
def usage():
    """Rebind's CPU seconds and its bytes read and written through system calls so far."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    io = dict(l.split(": ") for l in open(f"/proc/{pid}/io").read().splitlines())
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(io["rchar"]), int(io["wchar"])
def stored():
    text = urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics", timeout=5).read().decode()
    return sum(int(float(l.rsplit(" ", 1)[1])) for l in text.splitlines()
               if l.startswith("rebind_events_total{") and 'duplicate="false"' in l)
begin = stored()
before = usage()
with open(out, "w") as f:
    started = time.monotonic()
    wrk = subprocess.Popen(["wrk", f"-t{threads}", f"-c{connections}", "-d280s", "--timeout", "10s", "--latency", "-s", script,
                            f"http://127.0.0.1:{port}", "--", prefix], stdout=f, stderr=subprocess.STDOUT)
    last, still = -1, 0
    while True:
        time.sleep(0.2)
        now = stored()
        if now >= int(target):
            seconds = time.monotonic() - started
            break
        still = still + 1 if now == last else 0
        if wrk.poll() is not None or still > 150:  # wrk ended or 30 s without progress
            seconds = float("nan")
            break
        last = now
    after = usage()
    wrk.send_signal(signal.SIGINT)
    wrk.wait()
text = open(out).read()
m = re.search(r"^RESULT .*$", text, re.M)
r = dict(re.findall(r"(\w+)=(\S+)", m.group(0))) if m else {}
socket = sum(int(r.get(k, 0)) for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
events = int(target) - begin
cpu, read, written = ((a - b) / events for a, b in zip(after, before))
print(f"{seconds:.3f} {events} {r.get('p99_ms', 'nan')} {r.get('non202', '-1')} {r.get('duplicates', '-1')} {socket}"
      f" {cpu * 1e6:.0f} {read / 1024:.1f} {written / 1024:.1f}")
EOF
}

# One store and workload, fresh process and database: chunk after chunk up to TOTAL events.
measure() { # STORE WORKLOAD DATABASE_URL
    local store=$1 workload=$2 url=$3 port admin pid sent=0 chunk=0 line total=$TOTAL
    [ "$store" = sqlite ] || total=$PG_TOTAL
    port=$(test_postgres_free_port)
    admin=$(test_postgres_free_port)
    mkdir -p "$WORK/$store-$workload"
    (cd "$WORK/$store-$workload" && exec env -u REBIND_PLATFORM_URL -u REBIND_TELEGRAM_BOT_TOKEN -u REBIND_SLACK_BOT_TOKEN \
        REBIND_DATABASE_URL="$url" REBIND_EVENTS_SECRET="$SECRET" REBIND_MASTER_KEY="$MASTER_KEY" \
        REBIND_HTTP_HOST=127.0.0.1 REBIND_HTTP_PORT="$port" REBIND_ADMIN_HOST=127.0.0.1 REBIND_ADMIN_PORT="$admin" \
        REBIND_GROUP_WAIT_SECONDS=86400 "$BINARY" serve) >"$RESULTS/rebind-$store-$workload.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_ready "http://127.0.0.1:$admin/readyz" "$pid"
    say "$store / $workload: rebind pid $pid"
    while [ "$sent" -lt "$total" ]; do
        chunk=$((chunk + 1))
        if [ "$workload" = grow ]; then
            # Robots FIRST.. of the same ACCOUNTS incidents: chunk after chunk they grow.
            python3 bench/incident_size.py --secret "$SECRET" --prefix "$WORK/chunk" --group grow --incidents "$ACCOUNTS" \
                --first $((sent / ACCOUNTS)) --count "$CHUNK" --files "$THREADS" --run "g$STAMP" >/dev/null
        else
            # A group of its own per chunk: every event a new user and account.
            python3 bench/incident_size.py --secret "$SECRET" --prefix "$WORK/chunk" --group "f$chunk" --incidents 1000003 \
                --count "$CHUNK" --files "$THREADS" --run "f$STAMP" >/dev/null
        fi
        # wrk stops a thread whose file ran out with a few requests read but never sent: the
        # chunk is done when all but 2 x CONNECTIONS of its events are stored.
        line=$(send_chunk "$store-$workload-$chunk" "$port" "$admin" "$WORK/chunk" $((sent + CHUNK - 2 * CONNECTIONS)) "$pid")
        sent=$((sent + CHUNK))
        echo "$store $workload $chunk $sent $line" >>"$RESULTS/chunks.txt"
        say "$store / $workload: $sent events; chunk $chunk: $line (seconds events p99 non202 duplicates socket cpu_us read_kb written_kb per event)"
        rm -f "$WORK"/chunk.*
    done
    echo "$store $workload $(proc_kib "$pid" VmHWM)" >>"$RESULTS/rss.txt"
    stop "$pid"
}

uptime >"$RESULTS/uptime-start.txt"
for store in $STORES; do
    for workload in $WORKLOADS; do
        case "$store" in
            sqlite) measure sqlite "$workload" "sqlite://$WORK/sqlite-$workload.sqlite" ;;
            postgres)
                if [ "$PG_STARTED" = 0 ]; then start_test_postgres; PG_STARTED=1; fi
                psql -q "$REBIND_TEST_POSTGRES_URL" -c "CREATE DATABASE growth_$workload" >/dev/null
                measure postgres "$workload" "$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
                    "$REBIND_TEST_POSTGRES_URL" "growth_$workload")"
                ;;
            *) say "unknown store $store"; exit 1 ;;
        esac
    done
done
uptime >"$RESULTS/uptime-end.txt"

STATUS=0
python3 - "$RESULTS" "$CHUNK" "$STRICT" <<EOF || STATUS=$?
import collections, math, os, sys
results, chunk, strict = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
rows = collections.defaultdict(dict)
valid = True
for line in open(os.path.join(results, "chunks.txt")):
    store, workload, n, sent, seconds, events, p99, non202, dupl, socket, cpu, read, written = line.split()
    seconds = float(seconds)
    ok = not math.isnan(seconds) and non202 == "0" and dupl == "0" and socket == "0"
    valid = valid and ok
    rows[(store, workload)][int(n)] = (int(events) / seconds if ok else float("nan"), p99, int(sent), cpu, read, written)
rss = {tuple(l.split()[:2]): int(l.split()[2]) for l in open(os.path.join(results, "rss.txt"))}
lines = [f"# Ingest rate per {chunk:,} events, $STAMP", "",
         f"Machine: $(nproc) cores (shared), $(uname -r); load at start: $(sed 's/.*load average/load average/' "$RESULTS/uptime-start.txt"), at end: $(sed 's/.*load average/load average/' "$RESULTS/uptime-end.txt").",
         f"Rebind: $(if [ -n "${BENCH_BINARY:-}" ]; then echo "$BINARY"; else echo "release build of $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ', working tree differs in Sources')"; fi); wrk $THREADS threads, $CONNECTIONS connections; grow = $ACCOUNTS accounts, fresh = a new account per event.", ""]
targets = []
for store in dict.fromkeys(s for s, _ in rows):
    workloads = [w for s, w in rows if s == store]
    lines.append(f"## {store}")
    lines.append("")
    lines.append("| events | " + " | ".join(f"{w} events/s | p99 ms | CPU µs | read KB | written KB" for w in workloads) + " |")
    lines.append("|---|" + "---|---|---|---|---|" * len(workloads))
    for n in sorted(rows[(store, workloads[0])]):
        cells = []
        for w in workloads:
            rate, p99, sent, cpu, read, written = rows[(store, w)].get(n, (float("nan"), "-", 0, "-", "-", "-"))
            cells += [f"{rate:,.0f}", p99, cpu, read, written]
        lines.append(f"| {(n - 1) * chunk:,}–{n * chunk:,} | " + " | ".join(cells) + " |")
    lines.append("")
    for w in workloads:
        r = rows[(store, w)]
        first = r[1][0]
        last = r[max(r)][0]
        # The chunk that starts at 600,000 events (the 600k-700k chunk at the default size).
        late = next((n for n in sorted(r) if (n - 1) * chunk >= 600000), None)
        if late is None:
            comparison = f"no chunk started at 600,000 events or later (the run stopped at {max(r) * chunk:,})"
        else:
            comparison = f"{(late - 1) * chunk:,}–{late * chunk:,} / first chunk **{r[late][0] / first:.2f}x**"
        lines.append(f"- {store} / {w}: {comparison}, last / first {last / first:.2f}x;"
                     f" peak RSS {rss.get((store, w), 0) / 1024:.1f} MB after {r[max(r)][2]:,} events")
        targets.append((f"{store} / {w}: 600k-700k >= 0.9x the first 100k", None if late is None else r[late][0] / first >= 0.9))
        targets.append((f"{store} / {w}: peak RSS < 150 MB", rss.get((store, w), 10**9) < 150 * 1024))
    lines.append("")
for name, met in targets:
    lines.append(f"- target {name}: {'not measured (no chunk started at 600,000 events or later)' if met is None else 'met' if met else 'MISSED'}")
lines.append(f"- measurement valid (every chunk answered 202, no duplicate, no socket error): {'yes' if valid else 'NO'}")
text = "\n".join(lines)
open(os.path.join(results, "summary.md"), "w").write(text + "\n")
print(text)
status = 0 if valid else 2
if strict and not all(m for _, m in targets):
    status = status or 1
sys.exit(status)
EOF
say "results in $RESULTS"
exit $STATUS
