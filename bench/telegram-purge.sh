#!/usr/bin/env bash
# The exchange-wide purge: 100,000 signed robot.paused events for 20,000 accounts (each
# account's user with a Telegram chat of its own) into a release build of `rebind serve`,
# whose outbox must send exactly one guidance message per account to a fake Telegram that
# allows 1,000 messages/s overall and 1/s per chat and answers 429 past that, with Rebind's
# global rate at 900/s. Meanwhile `/help` updates arrive on the webhook and the time until
# their reply reaches the fake is measured.
#
#   bench/telegram-purge.sh
#
# Prints: guidance messages sent (target 20,000, one per account), 429s (target 0), the send
# rate against the configured one, Rebind's CPU time and peak RSS, and the /help latency
# p50/p99 (target p99 < 20 ms). Loopback only; stops by itself (BENCH_TIMEOUT). Logs and the
# raw JSON go to bench/results/purge-<time>/ (git-ignored).
#
# Environment: BENCH_ACCOUNTS (20000), BENCH_ROBOTS (5), BENCH_RATE (900, Rebind's
# REBIND_TELEGRAM_RATE), BENCH_TELEGRAM_RATE (1000, the fake's limit), BENCH_GROUP_WAIT (10,
# REBIND_GROUP_WAIT_SECONDS), BENCH_PROBE_RATE (20 /help updates a second), BENCH_TIMEOUT (300
# seconds for the whole purge), BENCH_BUILD (1; 0 reuses .build-release), BENCH_BINARY (the
# release binary; another build to compare), BENCH_STRICT (0; 1 exits 1 when a target is missed).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ACCOUNTS=${BENCH_ACCOUNTS:-20000}
ROBOTS=${BENCH_ROBOTS:-5}
RATE=${BENCH_RATE:-900}
TELEGRAM_RATE=${BENCH_TELEGRAM_RATE:-1000}
GROUP_WAIT=${BENCH_GROUP_WAIT:-10}
PROBE_RATE=${BENCH_PROBE_RATE:-20}
TIMEOUT=${BENCH_TIMEOUT:-300}
BUILD=${BENCH_BUILD:-1}
STRICT=${BENCH_STRICT:-0}
BINARY=${BENCH_BINARY:-.build-release/release/rebind}

say() { printf '[purge %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

command -v python3 >/dev/null || { say "python3 is needed"; exit 1; }
if [ "$BUILD" = 1 ] && [ -z "${BENCH_BINARY:-}" ]; then
    say "building the release binary (the first build takes a while)"
    swift build -c release --product rebind --scratch-path .build-release >&2
fi
[ -x "$BINARY" ] || { say "no $BINARY: run with BENCH_BUILD=1"; exit 1; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS="$ROOT/bench/results/purge-$STAMP"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rebind-purge.XXXXXX")
mkdir -p "$RESULTS"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
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
wait_ready() { # URL PID
    for _ in $(seq 300); do
        kill -0 "$2" 2>/dev/null || { say "process $2 exited during start-up"; return 1; }
        python3 -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    say "$1 did not answer"; return 1
}

EVENTS_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
MASTER_KEY=$(head -c 32 /dev/urandom | base64)
BOT_TOKEN="123456789:AAHbenchToken_$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
WEBHOOK_SECRET="bench-webhook-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# --- the fake Telegram ---
FAKE_PORT=$(free_port)
python3 bench/telegram_purge.py fake --port "$FAKE_PORT" --token "$BOT_TOKEN" --global-rate "$TELEGRAM_RATE" --per-chat 1 \
    >"$RESULTS/fake-telegram.log" 2>&1 &
FAKE_PID=$!
PIDS+=("$FAKE_PID")
wait_ready "http://127.0.0.1:$FAKE_PORT/_stats" "$FAKE_PID"

# --- Rebind ---
REBIND_PORT=$(free_port)
ADMIN_PORT=$(free_port)
REBIND_DATABASE_URL="sqlite://$WORK/rebind.sqlite" REBIND_EVENTS_SECRET="$EVENTS_SECRET" REBIND_MASTER_KEY="$MASTER_KEY" \
REBIND_HTTP_HOST=127.0.0.1 REBIND_HTTP_PORT="$REBIND_PORT" REBIND_TEMPLATES_DIR="$ROOT/templates" \
REBIND_ADMIN_HOST=127.0.0.1 REBIND_ADMIN_PORT="$ADMIN_PORT" \
REBIND_TELEGRAM_BOT_TOKEN="$BOT_TOKEN" REBIND_TELEGRAM_WEBHOOK_SECRET="$WEBHOOK_SECRET" \
REBIND_TELEGRAM_API_URL="http://127.0.0.1:$FAKE_PORT" REBIND_TELEGRAM_RATE="$RATE" REBIND_TELEGRAM_PAID_BROADCAST=true \
REBIND_GROUP_WAIT_SECONDS="$GROUP_WAIT" REBIND_LOG_LEVEL=warning \
    "$BINARY" serve >"$RESULTS/rebind.log" 2>&1 &
REBIND_PID=$!
PIDS+=("$REBIND_PID")
wait_ready "http://127.0.0.1:$ADMIN_PORT/readyz" "$REBIND_PID"
say "rebind pid $REBIND_PID on 127.0.0.1:$REBIND_PORT (admin $ADMIN_PORT), fake Telegram pid $FAKE_PID on 127.0.0.1:$FAKE_PORT"

# --- the purge ---
say "posting $((ACCOUNTS * ROBOTS)) events for $ACCOUNTS accounts; Rebind at $RATE/s, Telegram allows $TELEGRAM_RATE/s and 1/s per chat"
R0=$(cpu_seconds "$REBIND_PID")
F0=$(cpu_seconds "$FAKE_PID")
timeout $((TIMEOUT + 120)) python3 bench/telegram_purge.py drive --rebind "http://127.0.0.1:$REBIND_PORT" \
    --fake "http://127.0.0.1:$FAKE_PORT" --events-secret "$EVENTS_SECRET" --webhook-secret "$WEBHOOK_SECRET" \
    --accounts "$ACCOUNTS" --robots "$ROBOTS" --probe-rate "$PROBE_RATE" --timeout "$TIMEOUT" --rebind-pid "$REBIND_PID" \
    >"$RESULTS/result.json"
REBIND_CPU=$(awk -v a="$R0" -v b="$(cpu_seconds "$REBIND_PID")" 'BEGIN{printf "%.2f", b-a}')
FAKE_CPU=$(awk -v a="$F0" -v b="$(cpu_seconds "$FAKE_PID")" 'BEGIN{printf "%.2f", b-a}')
REBIND_HWM=$(proc_kib "$REBIND_PID" VmHWM)
REBIND_LOG_LINES=$(wc -l <"$RESULTS/rebind.log")

python3 - "$RESULTS/result.json" "$RATE" "$REBIND_CPU" "$REBIND_HWM" "$FAKE_CPU" "$STRICT" "$REBIND_LOG_LINES" <<'EOF'
import json, sys
result = json.load(open(sys.argv[1]))
rate, cpu, hwm_kib, fake_cpu, strict, log_lines = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6] == "1", int(sys.argv[7])
fake, probes, per_second = result["fake"], result["probes"], result["send_rate_per_whole_second"]
refused = fake["refused_429_global"] + fake["refused_429_per_chat"]
accounts = result["accounts"]
missed = []
def line(name, value, target="", ok=True):
    if not ok: missed.append(name)
    print(f"{name:<44} {value:<34} {target}{'' if ok else '  MISSED'}")
print()
line("events posted (answers)", f"{result['events']:,} in {result['posting_seconds']} s ({result['events_per_second_posted']:,}/s)",
     f"{result['events_answers']}", ok=result["events_answers"].get("202") == result["events"] and "duplicate" not in result["events_answers"])
line("guidance messages sent (sendMessage 200)", f"{fake['guidance_sends']:,} to {fake['guidance_chats']:,} chats",
     f"target {accounts:,}, one per account", ok=fake["guidance_sends"] == accounts and fake["guidance_chats"] == accounts)
line("chats that got more than one", f"{fake['guidance_chats_with_more_than_one']}", "target 0", ok=fake["guidance_chats_with_more_than_one"] == 0)
line("edits (editMessageText 200)", f"{fake['edits']}", "")
line("429s answered", f"{refused} (global {fake['refused_429_global']}, per chat {fake['refused_429_per_chat']})", "target 0", ok=refused == 0)
line("send rate, first to last guidance message", f"{result['send_rate']}/s", f"configured {rate:.0f}/s ({(result['send_rate'] or 0) / rate:.1%})",
     ok=bool(result["send_rate"]) and result["send_rate"] >= 0.95 * rate and result["send_rate"] <= rate * 1.01)
line("  per whole second: min / median / max", f"{per_second['min']} / {per_second['median']} / {per_second['max']}", f"over {per_second['seconds']} s")
line("first guidance message, after start", f"{result['first_send_after_start_s']} s", f"(grouping wait)")
line("all sent, after start", f"{result['all_sent_after_start_s']} s", "timed out" if result["timed_out"] else "", ok=not result["timed_out"])
line("Rebind CPU time during the run", f"{cpu:.2f} s", f"(fake Telegram {fake_cpu:.2f} s)")
if result.get("rebind_cpu_posting_s") is not None:
    line("  while posting / after, until all sent", f"{result['rebind_cpu_posting_s']} s / {result['rebind_cpu_after_posting_s']} s", "")
line("Rebind peak RSS (VmHWM)", f"{hwm_kib / 1024:.1f} MiB", "")
line("/help probes sent / replies missing", f"{probes['sent']} / {probes['missing_replies']}", "", ok=probes["missing_replies"] == 0)
for phase in ("while_posting", "while_sending", "all"):
    p = probes[phase]
    if p["count"]:
        fmt = lambda v: "-" if v is None else f"{v:.1f}"
        line(f"/help → reply latency {phase.replace('_', ' ')}", f"p50 {fmt(p['p50_ms'])} ms, p99 {fmt(p['p99_ms'])} ms, max {fmt(p['max_ms'])} ms",
             f"n={p['count']}" + (", target p99 < 20 ms" if phase == "all" else ""), ok=phase != "all" or p["p99_ms"] < 20)
line("Rebind log lines (warning and above)", f"{log_lines}", "")
print()
print("targets missed: " + (", ".join(missed) if missed else "none"))
sys.exit(1 if strict and missed else 0)
EOF
