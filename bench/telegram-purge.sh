#!/usr/bin/env bash
# The exchange-wide purge: signed robot.paused events (5 robots per account, each account's user
# with a Telegram chat of its own, 10 % of the accounts urgent: their robots leave open
# positions and exposure) into a release build of `rebind serve`, whose outbox must send
# exactly one guidance message per account to a fake Telegram that answers 429 past its limits
# (overall, and 1/s per chat). Meanwhile `/help` updates arrive on the webhook and the time
# until their reply reaches the fake is measured. Two runs, one after the other, each on a
# fresh database:
#
#   free  Telegram's real default: Rebind at 25/s without paid broadcast, the fake allowing
#         30/s, 2,000 accounts (80 s of sending), no /help probes (their replies would take
#         slots of the 25).
#   paid  paid broadcast (REBIND_TELEGRAM_PAID_BROADCAST=true): Rebind at 900/s, the fake
#         allowing 1,000/s, 20,000 accounts, 20 /help probes a second.
#
#   bench/telegram-purge.sh                      # both runs
#   BENCH_RUNS=free bench/telegram-purge.sh      # one of them
#
# Prints for each run: guidance messages sent (target one per account), 429s (target 0), the
# send rate against the configured one, when the last urgent trader and the last trader overall
# got their first guidance message (seconds from the first event posted) and the share of the
# non-urgent traders told before the last urgent one (target at 25/s: under 20 %), Rebind's CPU
# time and peak RSS, and the /help latency p50/p99 (target p99 < 20 ms, where probes ran).
# Loopback only; stops by itself (BENCH_TIMEOUT). Logs and the raw JSON go to
# bench/results/purge-<time>/<run>/ (git-ignored).
#
# Environment: BENCH_RUNS ("free paid"); the paid run: BENCH_ACCOUNTS (20000), BENCH_RATE (900,
# Rebind's REBIND_TELEGRAM_RATE), BENCH_TELEGRAM_RATE (1000, the fake's limit), BENCH_PROBE_RATE
# (20 /help updates a second); the free run: BENCH_FREE_ACCOUNTS (2000), BENCH_FREE_RATE (25),
# BENCH_FREE_TELEGRAM_RATE (30), BENCH_FREE_PROBE_RATE (0); both: BENCH_ROBOTS (5),
# BENCH_URGENT_SHARE (0.1, evenly spaced: every 10th account; BENCH_STAKE=0: no robot reports
# open positions or exposure at all, nobody urgent), BENCH_URGENT_TARGET (0.2, the
# free run's target for the share told before the last urgent one), BENCH_GROUP_WAIT (10,
# REBIND_GROUP_WAIT_SECONDS), BENCH_TIMEOUT (300 seconds for each purge), BENCH_BUILD (1; 0
# reuses .build-release), BENCH_BINARY (the release binary; another build to compare),
# BENCH_STRICT (0; 1 exits 1 when a target is missed in any run).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RUNS=${BENCH_RUNS:-free paid}
ACCOUNTS=${BENCH_ACCOUNTS:-20000}
RATE=${BENCH_RATE:-900}
TELEGRAM_RATE=${BENCH_TELEGRAM_RATE:-1000}
PROBE_RATE=${BENCH_PROBE_RATE:-20}
FREE_ACCOUNTS=${BENCH_FREE_ACCOUNTS:-2000}
FREE_RATE=${BENCH_FREE_RATE:-25}
FREE_TELEGRAM_RATE=${BENCH_FREE_TELEGRAM_RATE:-30}
FREE_PROBE_RATE=${BENCH_FREE_PROBE_RATE:-0}
ROBOTS=${BENCH_ROBOTS:-5}
URGENT_SHARE=${BENCH_URGENT_SHARE:-0.1}
URGENT_TARGET=${BENCH_URGENT_TARGET:-0.2}
STAKE_FLAG=; [ "${BENCH_STAKE:-1}" = 0 ] && STAKE_FLAG=--no-stake
GROUP_WAIT=${BENCH_GROUP_WAIT:-10}
TIMEOUT=${BENCH_TIMEOUT:-300}
BUILD=${BENCH_BUILD:-1}
STRICT=${BENCH_STRICT:-0}
BINARY=${BENCH_BINARY:-.build-release/release/rebind}

say() { printf '[purge %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

command -v python3 >/dev/null || { say "python3 is needed"; exit 1; }
for run in $RUNS; do
    case "$run" in free|paid) ;; *) say "BENCH_RUNS: unknown run '$run' (free, paid)"; exit 1 ;; esac
done
if [ "$BUILD" = 1 ] && [ -z "${BENCH_BINARY:-}" ]; then
    say "building the release binary (the first build takes a while)"
    swift build -c release --product rebind --scratch-path .build-release >&2
fi
[ -x "$BINARY" ] || { say "no $BINARY: run with BENCH_BUILD=1"; exit 1; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS_ROOT="$ROOT/bench/results/purge-$STAMP"
WORK_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/rebind-purge.XXXXXX")
mkdir -p "$RESULTS_ROOT"
PIDS=()
stop_all() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    PIDS=()
}
cleanup() { stop_all; rm -rf "$WORK_ROOT"; }
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

# One purge on a fresh database: NAME ACCOUNTS RATE TELEGRAM_RATE PROBE_RATE PAID URGENT_TARGET
# (the last empty for none). Prints its table; writes the targets it missed to <run>/missed.
purge() {
    local name=$1 accounts=$2 rate=$3 telegram_rate=$4 probe_rate=$5 paid=$6 urgent_target=$7
    local results="$RESULTS_ROOT/$name" work="$WORK_ROOT/$name"
    mkdir -p "$results" "$work"
    local events_secret master_key bot_token webhook_secret
    events_secret="whsec_$(head -c 32 /dev/urandom | base64)"
    master_key=$(head -c 32 /dev/urandom | base64)
    bot_token="123456789:AAHbenchToken_$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
    webhook_secret="bench-webhook-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

    # --- the fake Telegram ---
    local fake_port fake_pid
    fake_port=$(free_port)
    python3 bench/telegram_purge.py fake --port "$fake_port" --token "$bot_token" --global-rate "$telegram_rate" --per-chat 1 \
        >"$results/fake-telegram.log" 2>&1 &
    fake_pid=$!
    PIDS+=("$fake_pid")
    wait_ready "http://127.0.0.1:$fake_port/_stats" "$fake_pid"

    # --- Rebind --- (paid broadcast only in the paid run: without it Rebind refuses a rate above 30)
    local rebind_port admin_port rebind_pid
    rebind_port=$(free_port)
    admin_port=$(free_port)
    REBIND_DATABASE_URL="sqlite://$work/rebind.sqlite" REBIND_EVENTS_SECRET="$events_secret" REBIND_MASTER_KEY="$master_key" \
    REBIND_HTTP_HOST=127.0.0.1 REBIND_HTTP_PORT="$rebind_port" REBIND_TEMPLATES_DIR="$ROOT/templates" \
    REBIND_ADMIN_HOST=127.0.0.1 REBIND_ADMIN_PORT="$admin_port" \
    REBIND_TELEGRAM_BOT_TOKEN="$bot_token" REBIND_TELEGRAM_WEBHOOK_SECRET="$webhook_secret" \
    REBIND_TELEGRAM_API_URL="http://127.0.0.1:$fake_port" REBIND_TELEGRAM_RATE="$rate" REBIND_TELEGRAM_PAID_BROADCAST="$paid" \
    REBIND_GROUP_WAIT_SECONDS="$GROUP_WAIT" REBIND_LOG_LEVEL=warning \
        "$BINARY" serve >"$results/rebind.log" 2>&1 &
    rebind_pid=$!
    PIDS+=("$rebind_pid")
    wait_ready "http://127.0.0.1:$admin_port/readyz" "$rebind_pid"
    say "[$name] rebind pid $rebind_pid on 127.0.0.1:$rebind_port (admin $admin_port), fake Telegram pid $fake_pid on 127.0.0.1:$fake_port"

    # --- the purge ---
    say "[$name] posting $((accounts * ROBOTS)) events for $accounts accounts ($URGENT_SHARE urgent); Rebind at $rate/s (paid broadcast $paid), Telegram allows $telegram_rate/s and 1/s per chat"
    local r0 f0
    r0=$(cpu_seconds "$rebind_pid")
    f0=$(cpu_seconds "$fake_pid")
    timeout $((TIMEOUT + 120)) python3 bench/telegram_purge.py drive --rebind "http://127.0.0.1:$rebind_port" \
        --fake "http://127.0.0.1:$fake_port" --events-secret "$events_secret" --webhook-secret "$webhook_secret" \
        --accounts "$accounts" --robots "$ROBOTS" --urgent-share "$URGENT_SHARE" --probe-rate "$probe_rate" $STAKE_FLAG \
        --timeout "$TIMEOUT" --rebind-pid "$rebind_pid" \
        >"$results/result.json"
    local rebind_cpu fake_cpu rebind_hwm log_lines load
    rebind_cpu=$(awk -v a="$r0" -v b="$(cpu_seconds "$rebind_pid")" 'BEGIN{printf "%.2f", b-a}')
    fake_cpu=$(awk -v a="$f0" -v b="$(cpu_seconds "$fake_pid")" 'BEGIN{printf "%.2f", b-a}')
    rebind_hwm=$(proc_kib "$rebind_pid" VmHWM)
    log_lines=$(wc -l <"$results/rebind.log")
    stop_all
    load=$(cut -d' ' -f1-3 /proc/loadavg)

    python3 - "$results/result.json" "$rate" "$rebind_cpu" "$rebind_hwm" "$fake_cpu" "$log_lines" "$name" "$paid" "$urgent_target" "$load" \
        "$results/missed" \
        <<'EOF' | tee "$results/summary.txt"
import json, sys
result = json.load(open(sys.argv[1]))
rate, cpu, hwm_kib, fake_cpu, log_lines = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
name, paid, urgent_target, load = sys.argv[7], sys.argv[8], (float(sys.argv[9]) if sys.argv[9] else None), sys.argv[10]
fake, probes, per_second, urgency = result["fake"], result["probes"], result["send_rate_per_whole_second"], result["urgency"]
refused = fake["refused_429_global"] + fake["refused_429_per_chat"]
accounts = result["accounts"]
missed = []
def line(label, value, target="", ok=True):
    if not ok: missed.append(label.strip())
    print(f"{label:<48} {value:<34} {target}{'' if ok else '  MISSED'}")
seconds = lambda v: "-" if v is None else f"{v:.2f} s"
print()
print(f"== {name}: Rebind at {rate:.0f}/s, paid broadcast {paid}, {accounts:,} accounts (load average after the run: {load})")
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
line("urgent accounts (open positions, exposure)", f"{urgency['urgent_accounts']:,} of {accounts:,}", f"share {urgency['share']}, evenly spaced")
line("last urgent trader told, after first event", seconds(urgency["last_urgent_told_s"]),
     f"median urgent {seconds(urgency['median_urgent_told_s'])}", ok=urgency["last_urgent_told_s"] is not None or not urgency["urgent_accounts"])
line("last trader told, after first event", seconds(urgency["last_told_s"]), f"first {seconds(urgency['first_told_s'])}")
share = urgency["others_told_before_last_urgent_share"]
line("others told before the last urgent one", "-" if share is None else f"{share:.1%} ({urgency['others_told_before_last_urgent']:,} of {urgency['others']:,})",
     "" if urgent_target is None else f"target < {urgent_target:.0%}",
     ok=urgent_target is None or not urgency["urgent_accounts"] or (share is not None and share < urgent_target))
line("Rebind CPU time during the run", f"{cpu:.2f} s", f"(fake Telegram {fake_cpu:.2f} s)")
if result.get("rebind_cpu_posting_s") is not None:
    line("  while posting / after, until all sent", f"{result['rebind_cpu_posting_s']} s / {result['rebind_cpu_after_posting_s']} s", "")
line("Rebind peak RSS (VmHWM)", f"{hwm_kib / 1024:.1f} MiB", "")
if probes["sent"]:
    line("/help probes sent / replies missing", f"{probes['sent']} / {probes['missing_replies']}", "", ok=probes["missing_replies"] == 0)
    for phase in ("while_posting", "while_sending", "all"):
        p = probes[phase]
        if p["count"]:
            fmt = lambda v: "-" if v is None else f"{v:.1f}"
            line(f"/help → reply latency {phase.replace('_', ' ')}", f"p50 {fmt(p['p50_ms'])} ms, p99 {fmt(p['p99_ms'])} ms, max {fmt(p['max_ms'])} ms",
                 f"n={p['count']}" + (", target p99 < 20 ms" if phase == "all" else ""), ok=phase != "all" or p["p99_ms"] < 20)
else:
    line("/help probes", "none in this run", "")
line("Rebind log lines (warning and above)", f"{log_lines}", "")
print()
print(f"{name}: targets missed: " + (", ".join(missed) if missed else "none"))
if missed:
    open(sys.argv[11], "w").write("\n".join(missed) + "\n")
EOF
}

MISSED=()
for run in $RUNS; do
    case "$run" in
        free) purge free "$FREE_ACCOUNTS" "$FREE_RATE" "$FREE_TELEGRAM_RATE" "$FREE_PROBE_RATE" false "$URGENT_TARGET" ;;
        paid) purge paid "$ACCOUNTS" "$RATE" "$TELEGRAM_RATE" "$PROBE_RATE" true "" ;;
    esac
    if [ -s "$RESULTS_ROOT/$run/missed" ]; then MISSED+=("$run"); fi
done

echo
echo "results in $RESULTS_ROOT"
python3 - "$RESULTS_ROOT" $RUNS <<'EOF'
import json, os, sys
root, runs = sys.argv[1], sys.argv[2:]
print(f"{'run':<6} {'rate':>6} {'accounts':>9} {'urgent':>7} {'last urgent told':>17} {'last told':>10} {'others before last urgent':>26}")
for run in runs:
    path = os.path.join(root, run, "result.json")
    if not os.path.exists(path):
        continue
    r = json.load(open(path))
    u = r["urgency"]
    s = lambda v: "-" if v is None else f"{v:.2f} s"
    share = u["others_told_before_last_urgent_share"]
    rate = r["send_rate"]
    print(f"{run:<6} {'-' if rate is None else f'{rate:.1f}/s':>6} {r['accounts']:>9,} {u['urgent_accounts']:>7,} {s(u['last_urgent_told_s']):>17} "
          f"{s(u['last_told_s']):>10} {'-' if share is None else f'{share:.1%}':>26}")
EOF
echo "targets missed in: ${MISSED[*]:-none}"
[ "$STRICT" = 1 ] && [ ${#MISSED[@]} -gt 0 ] && exit 1
exit 0
