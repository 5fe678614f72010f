#!/usr/bin/env python3
"""The exchange-wide purge benchmark's two halves, standard library only (asyncio).

    python3 bench/telegram_purge.py fake  --port P --token T [--global-rate 1000] [--per-chat 1]
    python3 bench/telegram_purge.py drive --rebind URL --fake URL --events-secret whsec_… \
        --webhook-secret S [--accounts 20000] [--robots 5] [--urgent-share 0.1] [--probe-rate 20] [--timeout 300]

`fake` is a Telegram Bot API on loopback that enforces Telegram's flood limits as the issue
states them and answers 429 with `retry_after` past them:
  * overall, at most GLOBAL_RATE messages (sendMessage and editMessageText) in any one-second
    window (a sliding window: exactly "1,000 messages per second", with no burst beyond it);
  * per chat, at most one message in any PER_CHAT-second window.
A refused call is not counted against the limits. It records every call (arrival time on the
monotonic clock, method, chat, status) and serves a summary at GET /_stats, with the arrival
time of each guidance chat's first accepted sendMessage.

`drive` presigns ACCOUNTS x ROBOTS `robot.paused` events (each account's user with a
telegram_chat_id of its own; an account's robots in a row, as a platform reports a purge) and
POSTs them to Rebind's /v1/events over 32 keep-alive connections, each connection a contiguous
run of whole accounts. URGENT_SHARE of the accounts (evenly spaced: with 0.1, every 10th) are
urgent: their robots report open positions (1-3) and an exposure in USDT; the others report 0
positions and an exposure of "0.00" (not urgent). Being evenly spaced, urgent accounts sit from
the start to the end of every connection's run, so through the whole purge, the last posted
included. Meanwhile, PROBE_RATE times a second (0: none), it posts a `/help` update from a new
chat to /v1/telegram/webhook and notes when it sent it. It waits until the fake has taken one guidance message per account (or TIMEOUT
seconds), a few seconds more to catch late duplicates, then prints one JSON object with what
it saw and what the fake saw, including when the last urgent trader and the last trader overall
got their first guidance message (seconds from the first event posted) and the share of the
non-urgent traders told before the last urgent one. Both processes time with CLOCK_MONOTONIC, so a probe's latency is
the fake's arrival time of the reply minus the driver's send time of the update.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import hashlib
import hmac
import json
import math
import os
import sys
import time
import urllib.parse

GUIDANCE_CHAT_BASE = 100_000_000
PROBE_CHAT_BASE = 900_000_000


# --------------------------------------------------------------------------- HTTP/1.1 plumbing

async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return method, target, headers, body


def response(status: int, body: bytes, reason: str = "OK") -> bytes:
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return status, body


# --------------------------------------------------------------------------- the fake Telegram

class FakeTelegram:
    def __init__(self, token: str, global_rate: int, per_chat: float) -> None:
        self.token = token
        self.global_rate = global_rate
        self.per_chat = per_chat
        self.window: collections.deque[float] = collections.deque()
        self.last_in_chat: dict[int, float] = {}
        self.next_message_id = 1
        # What happened.
        self.send_log: dict[int, list[float]] = collections.defaultdict(list)  # chat -> arrival of every accepted sendMessage
        self.edits_ok = 0
        self.refused_global = 0
        self.refused_chat = 0
        self.other_calls: collections.Counter[str] = collections.Counter()
        self.calls = 0

    @property
    def sends_ok(self) -> dict[int, int]:
        """Chat -> how many sendMessage calls it accepted."""
        return {chat: len(times) for chat, times in self.send_log.items()}

    def admit(self, chat: int, now: float) -> int | None:
        """Takes one message from the limits; returns retry_after when past them."""
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        last = self.last_in_chat.get(chat)
        if last is not None and now - last < self.per_chat:
            self.refused_chat += 1
            return max(1, math.ceil(self.per_chat - (now - last)))
        if len(self.window) >= self.global_rate:
            self.refused_global += 1
            return max(1, math.ceil(1.0 - (now - self.window[0])))
        self.window.append(now)
        self.last_in_chat[chat] = now
        return None

    def message(self, chat: int) -> dict:
        message_id = self.next_message_id
        self.next_message_id += 1
        return {"message_id": message_id, "from": {"id": 1, "is_bot": True, "first_name": "Bench", "username": "bench_bot"},
                "chat": {"id": chat, "type": "private"}, "date": int(time.time())}

    def handle(self, target: str, body: bytes, now: float) -> tuple[int, bytes]:
        path = urllib.parse.urlsplit(target).path
        if path == "/_stats":
            return 200, json.dumps(self.stats()).encode()
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
        method = path[len(prefix):]
        self.calls += 1
        params = json.loads(body) if body else {}
        if method in ("sendMessage", "editMessageText"):
            chat = int(params["chat_id"])
            retry_after = self.admit(chat, now)
            if retry_after is not None:
                return 429, json.dumps({"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                                        "parameters": {"retry_after": retry_after}}).encode()
            if method == "sendMessage":
                self.send_log[chat].append(now)
            else:
                self.edits_ok += 1
            return 200, json.dumps({"ok": True, "result": self.message(chat)}).encode()
        self.other_calls[method] += 1
        if method == "getMe":
            return 200, b'{"ok":true,"result":{"id":1,"is_bot":true,"first_name":"Bench","username":"bench_bot"}}'
        return 200, b'{"ok":true,"result":true}'

    def stats(self) -> dict:
        guidance = {chat: times for chat, times in self.send_log.items() if chat < PROBE_CHAT_BASE}
        return {
            "calls": self.calls,
            "guidance_sends": sum(len(times) for times in guidance.values()),
            "guidance_chats": len(guidance),
            "guidance_chats_with_more_than_one": sum(1 for times in guidance.values() if len(times) > 1),
            "send_times": [t for times in guidance.values() for t in times],
            "first_guidance": {str(chat - GUIDANCE_CHAT_BASE): times[0] for chat, times in guidance.items()},
            "edits": self.edits_ok,
            "refused_429_global": self.refused_global,
            "refused_429_per_chat": self.refused_chat,
            "other_calls": dict(self.other_calls),
            "probe_replies": {str(chat): times[0] for chat, times in self.send_log.items() if chat >= PROBE_CHAT_BASE},
        }

    async def serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    break
                now = time.monotonic()
                _, target, _, body = request
                status, answer = self.handle(target, body, now)
                writer.write(response(status, answer, "OK" if status == 200 else "Error"))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def run_fake(args: argparse.Namespace) -> None:
    fake = FakeTelegram(args.token, args.global_rate, args.per_chat)
    server = await asyncio.start_server(fake.serve_connection, "127.0.0.1", args.port, backlog=1024)
    print(f"fake Telegram on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


# --------------------------------------------------------------------------- the driver

def is_urgent(account: int, share: float) -> bool:
    """Evenly spaced: with 0.1 the accounts 9, 19, 29, ... (1 in 10, the last of every 10)."""
    return math.floor((account + 1) * share) > math.floor(account * share)


STAKE = True  # --no-stake: robots carry neither field (the events as before urgency)


def stake(account: int, robot: int, urgent: bool) -> str:
    if not STAKE:
        return ""
    if urgent:
        return (f'"open_positions":{1 + (account + robot) % 3},'
                f'"exposure":{{"amount":"{1000 + (account * 37 + robot * 11) % 9000}.{robot * 7 % 100:02d}","currency":"USDT"}}')
    return '"open_positions":0,"exposure":{"amount":"0.00","currency":"USDT"}'


def event_body(account: int, robot: int, urgent: bool) -> bytes:
    return (
        f'{{"type":"robot.paused","occurred_at":"2026-11-26T09:30:00Z",'
        f'"user":{{"id":"u_{account}","locale":"en","telegram_chat_id":{GUIDANCE_CHAT_BASE + account}}},'
        f'"account":{{"id":"acc_{account}","exchange":"binance","label":"Main","api_key_hint":"h8A","bound_at":"2026-09-27T08:00:00Z"}},'
        f'"robot":{{"id":"rb_{account}_{robot}","name":"BTC/USDT Grid {robot}"{"," if STAKE else ""}{stake(account, robot, urgent)}}},'
        f'"reason":{{"text":"Pause: Invalid API key operation permission","code":"-2015",'
        f'"message":"Invalid API-key, IP, or permissions for action."}}}}'
    ).encode()


def signed_requests(secret: str, host: str, accounts: int, robots: int, urgent: set[int], run: str) -> list[bytes]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    timestamp = str(int(time.time()))
    requests = []
    for account in range(accounts):
        for robot in range(robots):
            body = event_body(account, robot, account in urgent)
            webhook_id = f"purge_{run}_{account}_{robot}"
            mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
            head = (f"POST /v1/events HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\nwebhook-id: {webhook_id}\r\nwebhook-timestamp: {timestamp}\r\n"
                    f"webhook-signature: v1,{base64.b64encode(mac).decode()}\r\n\r\n")
            requests.append(head.encode() + body)
    return requests


async def post_all(host: str, port: int, requests: list[bytes], robots: int, connections: int) -> collections.Counter:
    answers: collections.Counter = collections.Counter()
    # Contiguous slices of whole accounts: an account's robots go out together, from one connection.
    share = math.ceil(len(requests) / robots / connections) * robots

    async def worker(part: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        for request in part:
            writer.write(request)
            status, body = await read_response(reader)
            answers[status] += 1
            if status == 202 and b'"duplicate":true' in body:
                answers["duplicate"] += 1
        writer.close()

    await asyncio.gather(*(worker(requests[i:i + share]) for i in range(0, len(requests), share)))
    return answers


async def probe(host: str, port: int, secret: str, rate: float, stop: asyncio.Event, sent: dict[int, float],
                answers: collections.Counter) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    interval = 1.0 / rate
    n = 0
    next_at = time.monotonic()
    while not stop.is_set():
        chat = PROBE_CHAT_BASE + n
        body = json.dumps({"update_id": 800_000_000 + n, "message": {
            "message_id": 1, "date": int(time.time()), "text": "/help",
            "chat": {"id": chat, "type": "private"}, "from": {"id": chat, "is_bot": False, "first_name": "Probe"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}).encode()
        request = (f"POST /v1/telegram/webhook HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                   f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        sent[chat] = time.monotonic()
        writer.write(request)
        status, _ = await read_response(reader)
        answers[status] += 1
        n += 1
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    writer.close()


async def fake_stats(fake: str) -> dict:
    parts = urllib.parse.urlsplit(fake)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(f"GET /_stats HTTP/1.1\r\nHost: {parts.hostname}\r\n\r\n".encode())
    _, body = await read_response(reader)
    writer.close()
    return json.loads(body)


def cpu_seconds(pid: int | None) -> float | None:
    """User plus system CPU time of a process so far (Linux /proc)."""
    if not pid:
        return None
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


async def drive(args: argparse.Namespace) -> dict:
    rebind = urllib.parse.urlsplit(args.rebind)
    host, port = rebind.hostname, rebind.port
    run = str(int(time.time()))
    urgent = {account for account in range(args.accounts) if STAKE and is_urgent(account, args.urgent_share)}
    requests = signed_requests(args.events_secret, f"{host}:{port}", args.accounts, args.robots, urgent, run)
    total = args.accounts

    stop_probes = asyncio.Event()
    probe_sent: dict[int, float] = {}
    probe_answers: collections.Counter = collections.Counter()
    probes = (asyncio.create_task(probe(host, port, args.webhook_secret, args.probe_rate, stop_probes, probe_sent, probe_answers))
              if args.probe_rate > 0 else None)

    cpu_start = cpu_seconds(args.rebind_pid)
    started = time.monotonic()
    answers = await post_all(host, port, requests, args.robots, args.connections)
    posted = time.monotonic()
    cpu_posted = cpu_seconds(args.rebind_pid)

    deadline = started + args.timeout
    stats = await fake_stats(args.fake)
    while stats["guidance_chats"] < total and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        stats = await fake_stats(args.fake)
    sent_all = time.monotonic()
    cpu_sent = cpu_seconds(args.rebind_pid)
    stop_probes.set()
    if probes is not None:
        await probes
    # Anything sent twice would usually show up now.
    await asyncio.sleep(args.settle)
    stats = await fake_stats(args.fake)

    times = sorted(stats.pop("send_times"))
    rate = None
    per_second: list[int] = []
    if len(times) > 1:
        rate = (len(times) - 1) / (times[-1] - times[0])
        first = times[0]
        buckets = collections.Counter(int(t - first) for t in times)
        # Whole seconds only: the first and last are partial.
        per_second = [buckets[s] for s in range(1, int(times[-1] - first))]

    # Who was told when: each account's first guidance message, from the first event posted.
    told = {int(account): t - started for account, t in stats.pop("first_guidance").items()}
    urgent_told = sorted(t for account, t in told.items() if account in urgent)
    others_told = [t for account, t in told.items() if account not in urgent]
    last_urgent = urgent_told[-1] if len(urgent_told) == len(urgent) and urgent_told else None
    ordering = {
        "urgent_accounts": len(urgent),
        "urgent_told": len(urgent_told),
        "others": total - len(urgent),
        "others_told": len(others_told),
        # None when not every urgent trader was told (then "the last urgent one" is unknown).
        "last_urgent_told_s": None if last_urgent is None else round(last_urgent, 2),
        "median_urgent_told_s": None if not urgent_told else round(percentile(urgent_told, 50), 2),
        "last_told_s": round(max(told.values()), 2) if len(told) == total else None,
        "first_told_s": round(min(told.values()), 2) if told else None,
        "others_told_before_last_urgent": None if last_urgent is None else sum(1 for t in others_told if t < last_urgent),
    }
    ordering["others_told_before_last_urgent_share"] = (
        None if last_urgent is None or not ordering["others"]
        else round(ordering["others_told_before_last_urgent"] / ordering["others"], 4))

    replies = {int(chat): t for chat, t in stats.pop("probe_replies").items()}
    phases: dict[str, list[float]] = {"while_posting": [], "while_sending": [], "all": []}
    missing = 0
    for chat, at in probe_sent.items():
        if chat not in replies:
            missing += 1
            continue
        latency = (replies[chat] - at) * 1000
        phases["all"].append(latency)
        phases["while_posting" if at < posted else "while_sending"].append(latency)

    return {
        "accounts": total,
        "events": len(requests),
        "events_answers": {str(k): v for k, v in answers.items()},
        "posting_seconds": round(posted - started, 2),
        "events_per_second_posted": round(len(requests) / (posted - started)),
        "first_send_after_start_s": round(times[0] - started, 2) if times else None,
        "all_sent_after_start_s": round(sent_all - started, 2),
        "timed_out": stats["guidance_chats"] < total,
        # Rebind's CPU seconds while events were posted, and after that until all were sent.
        "rebind_cpu_posting_s": None if cpu_posted is None else round(cpu_posted - cpu_start, 2),
        "rebind_cpu_after_posting_s": None if cpu_sent is None else round(cpu_sent - cpu_posted, 2),
        "fake": stats,
        "urgency": {"share": args.urgent_share if STAKE else 0, **ordering},
        "send_rate": round(rate, 1) if rate else None,
        "send_rate_per_whole_second": {
            "min": min(per_second) if per_second else None,
            "median": percentile(per_second, 50),
            "max": max(per_second) if per_second else None,
            "seconds": len(per_second),
            "series": per_second,
        },
        "probes": {
            "sent": len(probe_sent), "answers": {str(k): v for k, v in probe_answers.items()}, "missing_replies": missing,
            **{phase: {"count": len(values), "p50_ms": percentile(values, 50), "p99_ms": percentile(values, 99),
                       "max_ms": max(values) if values else None} for phase, values in phases.items()},
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_subparsers(dest="mode", required=True)
    fake = modes.add_parser("fake")
    fake.add_argument("--port", type=int, required=True)
    fake.add_argument("--token", required=True)
    fake.add_argument("--global-rate", type=int, default=1000)
    fake.add_argument("--per-chat", type=float, default=1.0)
    drive_mode = modes.add_parser("drive")
    drive_mode.add_argument("--rebind", required=True)
    drive_mode.add_argument("--fake", required=True)
    drive_mode.add_argument("--events-secret", required=True)
    drive_mode.add_argument("--webhook-secret", required=True)
    drive_mode.add_argument("--accounts", type=int, default=20_000)
    drive_mode.add_argument("--robots", type=int, default=5)
    drive_mode.add_argument("--no-stake", action="store_true",
                            help="robots report no open_positions or exposure at all (nobody urgent; events as before urgency)")
    drive_mode.add_argument("--urgent-share", type=float, default=0.1,
                            help="share of accounts whose robots report open positions and exposure (evenly spaced)")
    drive_mode.add_argument("--connections", type=int, default=32)
    drive_mode.add_argument("--probe-rate", type=float, default=20)
    drive_mode.add_argument("--timeout", type=float, default=300)
    drive_mode.add_argument("--settle", type=float, default=3)
    drive_mode.add_argument("--rebind-pid", type=int, help="to read Rebind's CPU time per phase from /proc")
    args = parser.parse_args()
    global STAKE
    STAKE = not getattr(args, "no_stake", False)
    if args.mode == "fake":
        asyncio.run(run_fake(args))
    else:
        print(json.dumps(asyncio.run(drive(args))))


if __name__ == "__main__":
    main()
