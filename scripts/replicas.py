#!/usr/bin/env python3
"""Three replicas, one PostgreSQL: no message lost, none doubled (issue 6).

    python3 scripts/replicas.py --rebind .build/debug/rebind --database-url postgres://…

Starts a fake Telegram (bench/telegram_purge.py's, 1 message per second per chat), creates
a fresh database on the given server, runs `rebind migrate`, and starts REPLICAS `rebind
serve` processes on it. Then it posts EVENTS signed `robot.paused` events for ACCOUNTS
accounts (each account's user has a Telegram chat of its own), each to a random replica,
and a fifth of them again to another replica (the same webhook-id, as a platform retrying
through a load balancer would). Partway, the last replica is killed with SIGKILL and not
restarted; what was on its way to it goes to a live replica, as a platform would retry it.

It waits for the fake to have a guidance message for every account, then a few seconds for
late duplicates, and checks:
  * exactly one guidance message (sendMessage) per account, none doubled;
  * every event a replica acknowledged with 202 is stored;
  * every chat update (a user's /help, posted to a random replica's Telegram webhook and a
    fifth again to another) is answered exactly once, but for one the killed replica answered
    in its last moments (up to KILL_WINDOW seconds before the kill) and so may not have
    recorded: a live replica answers it again after the kill, once the lane's lease ends
    (delivery is at least once, README); such a pair is counted apart, and any other second
    answer fails the check;
  * nothing is left claimed: no notice still pending (the dead replica's leases were taken
    over by the live ones once they expired);
  * every user of WARNED accounts (an api_binding.created of a Binance key bound 55 days ago,
    posted to a random replica and a fifth again to another) gets exactly one expiry warning,
    whichever replica claimed it; a warning is due at once, so as for chat updates one the
    killed replica sent in its last moments and again after the kill is counted apart.
It prints the counts as JSON and exits 1 when a check fails. Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import hashlib
import hmac
import importlib.util
import json
import math
import os
import pathlib
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("telegram_purge", ROOT / "bench" / "telegram_purge.py")
purge = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(purge)

TOKEN = "123456:replicas-test-token"
WEBHOOK_SECRET = "replicas-webhook-secret"
CHAT_BASE = purge.GUIDANCE_CHAT_BASE
# Chats of the users warned of a lapsing key: between the guidance chats and the probes.
WARN_CHAT_BASE = 500_000_000
# How long before the kill the killed replica's answer to an update may have come and gone
# unrecorded (Telegram took it; the replica died before writing that it did).
KILL_WINDOW = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          check=True, capture_output=True, text=True).stdout


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def event(account: int, robot: int) -> bytes:
    return (
        f'{{"type":"robot.paused","occurred_at":"2026-11-26T09:30:00Z",'
        f'"user":{{"id":"u_{account}","telegram_chat_id":{CHAT_BASE + account}}},'
        f'"account":{{"id":"acc_{account}","exchange":"binance","label":"Main"}},'
        f'"robot":{{"id":"rb_{account}_{robot}","name":"Grid {robot}"}},'
        f'"reason":{{"text":"Pause: Invalid API key operation permission","code":"-2015"}}}}'
    ).encode()


def binding_created(n: int) -> bytes:
    """A Binance key bound 55 days ago: 5 days left, its 7-day warning due at once."""
    bound = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 55 * 86_400))
    return (
        f'{{"type":"api_binding.created","occurred_at":"2026-11-26T09:30:00Z",'
        f'"user":{{"id":"w_{n}","telegram_chat_id":{WARN_CHAT_BASE + n}}},'
        f'"account":{{"id":"wacc_{n}","exchange":"binance","label":"Main","bound_at":"{bound}"}}}}'
    ).encode()


def signed(secret: str, webhook_id: str, body: bytes) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    timestamp = str(int(time.time()))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return {"webhook-id": webhook_id, "webhook-timestamp": timestamp, "webhook-signature": "v1," + base64.b64encode(mac).decode()}


def telegram_update(n: int) -> bytes:
    chat = purge.PROBE_CHAT_BASE + n
    return json.dumps({"update_id": 700_000_000 + n, "message": {
        "message_id": 1, "date": int(time.time()), "text": "/help", "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Probe"}}}).encode()


async def post(port: int, webhook_id: str, body: bytes, secret: str, path: str = "/v1/events") -> int | None:
    """One request on its own connection; None when the replica did not answer."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    except (OSError, asyncio.TimeoutError):
        return None
    try:
        if path == "/v1/events":
            headers = "".join(f"{k}: {v}\r\n" for k, v in signed(secret, webhook_id, body).items())
        else:
            headers = f"X-Telegram-Bot-Api-Secret-Token: {WEBHOOK_SECRET}\r\n"
        writer.write((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: close\r\n{headers}\r\n").encode() + body)
        status, _ = await asyncio.wait_for(purge.read_response(reader), 30)
        return status
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, IndexError):
        return None
    finally:
        writer.close()


async def ready(admin_port: int, deadline: float) -> bool:
    """Whether the replica's admin listener answers /readyz with 200 before the deadline."""
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", admin_port)
            writer.write(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            status, _ = await purge.read_response(reader)
            writer.close()
            if status == 200:
                return True
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            pass
        await asyncio.sleep(0.2)
    return False


async def run(args: argparse.Namespace) -> dict:
    rng = random.Random(args.seed)
    database = f"rebind_replicas_{os.getpid()}"
    psql(args.database_url, f"CREATE DATABASE {database}")
    url = with_database(args.database_url, database)
    fake = purge.FakeTelegram(TOKEN, global_rate=100_000, per_chat=1.0)
    fake_port = free_port()
    server = await asyncio.start_server(fake.serve_connection, "127.0.0.1", fake_port, backlog=1024)
    secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    workdir = tempfile.mkdtemp(prefix="rebind-replicas-")
    env = dict(os.environ,
               REBIND_DATABASE_URL=url, REBIND_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(),
               REBIND_EVENTS_SECRET=secret, REBIND_TELEGRAM_BOT_TOKEN=TOKEN, REBIND_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
               REBIND_TELEGRAM_API_URL=f"http://127.0.0.1:{fake_port}", REBIND_TELEGRAM_BOT_USERNAME="replicas_bot",
               REBIND_TELEGRAM_RATE="1000", REBIND_TELEGRAM_PAID_BROADCAST="true", REBIND_GROUP_WAIT_SECONDS=str(args.group_wait), REBIND_OUTBOX_LEASE_SECONDS=str(args.lease),
               REBIND_LOG_LEVEL="warning", REBIND_TEMPLATES_DIR=str(ROOT / "templates"))
    env.pop("REBIND_PLATFORM_URL", None)
    subprocess.run([args.rebind, "migrate"], env=env, cwd=workdir, check=True, capture_output=True)

    ports = [free_port() for _ in range(args.replicas)]
    admin_ports = [free_port() for _ in range(args.replicas)]
    replicas = []
    for index, (port, admin_port) in enumerate(zip(ports, admin_ports)):
        log = open(os.path.join(workdir, f"replica-{index}.log"), "w")
        replicas.append(subprocess.Popen([args.rebind, "serve"],
                                         env=dict(env, REBIND_HTTP_PORT=str(port), REBIND_ADMIN_PORT=str(admin_port)),
                                         cwd=workdir, stdout=log, stderr=subprocess.STDOUT))
    try:
        deadline = time.monotonic() + 60
        if not all(await asyncio.gather(*(ready(admin_port, deadline) for admin_port in admin_ports))):
            raise SystemExit(f"a replica did not become ready; logs in {workdir}")

        # Every event once to a random replica; a fifth again to another one.
        sends: list[tuple[str, bytes, int]] = []
        for account in range(args.accounts):
            for robot in range(args.events // args.accounts):
                webhook_id = f"evt_{account}_{robot}"
                first = rng.randrange(args.replicas)
                sends.append((webhook_id, event(account, robot), first))
                if rng.random() < 0.2:
                    sends.append((webhook_id, event(account, robot), rng.choice([r for r in range(args.replicas) if r != first])))
        # Chat updates too (a user's /help), through the Telegram webhook of a random replica, a
        # fifth again through another (a webhook retry landing elsewhere): each must be answered
        # once, by one replica.
        for n in range(args.chat_updates):
            first = rng.randrange(args.replicas)
            sends.append((f"update_{n}", telegram_update(n), first))
            if rng.random() < 0.2:
                sends.append((f"update_{n}", telegram_update(n), rng.choice([r for r in range(args.replicas) if r != first])))
        for n in range(args.warned):
            first = rng.randrange(args.replicas)
            sends.append((f"bind_{n}", binding_created(n), first))
            if rng.random() < 0.2:
                sends.append((f"bind_{n}", binding_created(n), rng.choice([r for r in range(args.replicas) if r != first])))
        rng.shuffle(sends)

        dead: set[int] = set()
        kill_at = int(len(sends) * args.kill_after)
        killed_at = math.inf
        acked: set[str] = set()
        counts: collections.Counter = collections.Counter()
        queue: asyncio.Queue = asyncio.Queue()
        for item in sends:
            queue.put_nowait(item)
        done = 0

        async def worker() -> None:
            nonlocal done, killed_at
            while True:
                try:
                    webhook_id, body, replica = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                while True:
                    if replica in dead:
                        counts["rerouted_from_dead"] += 1
                        replica = rng.choice([r for r in range(args.replicas) if r not in dead])
                    is_update = webhook_id.startswith("update_")
                    status = await post(ports[replica], webhook_id, body, secret, "/v1/telegram/webhook" if is_update else "/v1/events")
                    if is_update and status == 200:
                        counts["chat_updates_acknowledged"] += 1
                        break
                    if status == 202:
                        acked.add(webhook_id)
                        counts["acknowledged"] += 1
                        break
                    counts[f"answer_{status}"] += 1
                    if status is None and replica not in dead:
                        await asyncio.sleep(0.05)
                done += 1
                if done == kill_at and not dead:
                    victim = args.replicas - 1
                    replicas[victim].send_signal(signal.SIGKILL)
                    killed_at = time.monotonic()
                    dead.add(victim)
                    counts["killed_after_requests"] = done
                    counts["killed_after_seconds"] = round(time.monotonic() - started, 1)
                    counts["guidance_sent_before_kill"] = sum(n for c, n in fake.sends_ok.items() if c < WARN_CHAT_BASE)

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(args.connections)))
        posted = time.monotonic() - started

        deadline = time.monotonic() + args.timeout
        while len([c for c in fake.sends_ok if c < WARN_CHAT_BASE]) < args.accounts and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        delivered = time.monotonic() - started
        # Edits of the incidents (later robots) may still be waiting out Telegram's per-chat
        # limit; everything must leave the outbox, the dead replica's claims included.
        while int(psql(url, "SELECT count(*) FROM notices WHERE status = 'pending'").strip()) > 0 and time.monotonic() < deadline:
            await asyncio.sleep(1)
        await asyncio.sleep(args.settle)

        stored = set(psql(url, "SELECT webhook_id FROM inbox").split())
        pending = int(psql(url, "SELECT count(*) FROM notices WHERE status = 'pending'").strip())
        guidance = {chat: n for chat, n in fake.sends_ok.items() if chat < WARN_CHAT_BASE}
        # Wait for every chat update's reply too.
        while len([c for c in fake.sends_ok if c >= purge.PROBE_CHAT_BASE]) < args.chat_updates and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        # And for every expiry warning.
        while len([c for c in fake.sends_ok if WARN_CHAT_BASE <= c < purge.PROBE_CHAT_BASE]) < args.warned and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        # A warning Telegram took is recorded as sent right after: wait for the records too (on a
        # loaded machine one second was not always enough), until the deadline.
        def warnings_recorded() -> int:
            return int(psql(url, "SELECT count(*) FROM expiry_warnings WHERE status = 'sent'").strip())
        while warnings_recorded() < args.warned and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        await asyncio.sleep(1)
        # Chat -> arrival of every message it got.
        replies = {chat: times for chat, times in fake.send_log.items() if chat >= purge.PROBE_CHAT_BASE}
        warnings = {chat: times for chat, times in fake.send_log.items() if WARN_CHAT_BASE <= chat < purge.PROBE_CHAT_BASE}
        # A second message is the crash's (at least once) only when the first went in the killed
        # replica's last moments and the second after the kill; every second message's times
        # are printed relative to the kill, so a failure shows which it was.
        def sent_twice(sent: dict[int, list[float]]) -> dict[int, list[float]]:
            return {chat: times for chat, times in sent.items() if len(times) > 1}

        def across_kill(twice: dict[int, list[float]]) -> int:
            return sum(1 for times in twice.values() if len(times) == 2 and killed_at - KILL_WINDOW <= times[0] <= killed_at < times[1])

        def from_kill(twice: dict[int, list[float]], base: int) -> dict[str, list[float]]:
            return {str(chat - base): [round(t - killed_at, 3) for t in times] for chat, times in twice.items()}

        twice = sent_twice(replies)
        answered_again = across_kill(twice)
        warned_twice = sent_twice(warnings)
        warned_again = across_kill(warned_twice)
        warnings_sent = warnings_recorded()
        result = {
            "replicas": args.replicas, "events": len({s[0] for s in sends if not s[0].startswith("update_")}), "requests": len(sends),
            "warned_accounts": args.warned, "users_warned": len(warnings),
            "users_warned_more_than_once": len(warned_twice),
            "users_warned_again_after_the_kill": warned_again,
            "second_warnings_seconds_from_kill": from_kill(warned_twice, WARN_CHAT_BASE),
            "warnings_sent_in_store": warnings_sent,
            "accounts": args.accounts, "killed_replica": args.replicas - 1,
            **counts,
            "acknowledged_distinct": len(acked),
            "acknowledged_not_stored": len(acked - stored),
            "stored_events": len(stored),
            "guidance_messages": sum(guidance.values()),
            "accounts_with_guidance": len(guidance),
            "accounts_with_more_than_one": sum(1 for n in guidance.values() if n > 1),
            "edits": fake.edits_ok,
            "telegram_429s": fake.refused_chat + fake.refused_global,
            "notices_left_pending": pending,
            "chat_updates": args.chat_updates,
            "chat_updates_answered": len(replies),
            "chat_updates_answered_more_than_once": len(twice),
            "chat_updates_answered_again_after_the_kill": answered_again,
            "second_answers_seconds_from_kill": from_kill(twice, purge.PROBE_CHAT_BASE),
            "seconds_to_post": round(posted, 1), "seconds_to_deliver": round(delivered, 1),
        }
        result["pass"] = (result["accounts_with_guidance"] == args.accounts and result["guidance_messages"] == args.accounts
                          and result["acknowledged_not_stored"] == 0 and len(acked) == result["events"]
                          and pending == 0 and len(replies) == args.chat_updates
                          and len(twice) == answered_again
                          and len(warnings) == args.warned and len(warned_twice) == warned_again
                          and warnings_sent == args.warned)
        if not result["pass"]:
            result["logs"] = workdir
        return result
    finally:
        for process in replicas:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in replicas:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        server.close()
        try:
            psql(args.database_url, f"DROP DATABASE IF EXISTS {database}")
        except subprocess.CalledProcessError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebind", default=str(ROOT / ".build" / "debug" / "rebind"))
    parser.add_argument("--database-url", default=os.environ.get("REBIND_TEST_POSTGRES_URL"))
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--accounts", type=int, default=2_000)
    parser.add_argument("--connections", type=int, default=24)
    parser.add_argument("--kill-after", type=float, default=0.3, help="fraction of requests after which a replica is killed")
    parser.add_argument("--lease", type=int, default=30, help="REBIND_OUTBOX_LEASE_SECONDS for the replicas (30, the least allowed)")
    parser.add_argument("--group-wait", type=int, default=10, help="REBIND_GROUP_WAIT_SECONDS for the replicas (10, the default)")
    parser.add_argument("--chat-updates", type=int, default=200, help="Telegram /help updates posted among the events")
    parser.add_argument("--warned", type=int, default=200, help="users whose key lapses in 5 days: one expiry warning each")
    parser.add_argument("--timeout", type=float, default=240)
    parser.add_argument("--settle", type=float, default=5)
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    # The replicas run in a scratch directory: a relative path would not name the binary there.
    args.rebind = os.path.abspath(args.rebind)
    if not args.database_url:
        raise SystemExit("--database-url or REBIND_TEST_POSTGRES_URL is required (a PostgreSQL server to create a database on)")
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))
    sys.exit(0 if result["pass"] else 1)


if __name__ == "__main__":
    main()
