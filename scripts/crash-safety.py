#!/usr/bin/env python3
"""Crash safety of POST /v1/events: no acknowledged event is ever lost.

Starts `rebind serve` on a fresh SQLite database, sends thousands of distinct signed events
from several keep-alive connections while a killer thread SIGKILLs the server at random
moments and restarts it. A sender whose request got no answer retries it with the SAME
webhook-id (the event may or may not have been stored); only events answered 202 count as
acknowledged. At the end the server is killed once more and restarted cleanly, and every
acknowledged event is re-sent with its id and body (fresh timestamp and signature): each
must answer 202 with "duplicate": true. The database is then also read directly.

Python 3.11 standard library only. Exits 0 only if nothing acknowledged was lost and the
server was killed at least --min-kills times.

    python3 scripts/crash-safety.py [BINARY] [--events 4000] [--connections 8] [--seed 1]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# A connection that fails in any of these ways got no answer: the event is retried.
NO_ANSWER = (ConnectionError, http.client.HTTPException, socket.timeout, TimeoutError, OSError)

REASONS = [
    {"text": "Pause: Invalid API key operation permission"},
    {"text": "API expired or no permission"},
    {"text": "Invest Control Limit"},
    {"text": "Risk Control"},
    {"text": "Pause", "code": "-2015", "message": "Invalid API-key, IP, or permissions for action."},
    {"text": "Stopped", "code": -1022, "message": "Signature for this request is not valid."},
    {"text": "Stopped", "code": "50111", "message": "Invalid OK-ACCESS-KEY."},
    {"text": "Stopped", "code": "50105", "message": "Request header \"OK-ACCESS-PASSPHRASE\" incorrect."},
    {"text": "Something nobody has seen before"},
]


def log(message: str) -> None:
    print(f"[crash-safety {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Signer:
    """Standard Webhooks: v1,base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}"))."""

    def __init__(self, secret: str):
        self.key = base64.b64decode(secret.removeprefix("whsec_"))

    def headers(self, webhook_id: str, body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        mac = hmac.new(self.key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        return {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": "v1," + base64.b64encode(mac).decode(),
        }


class EventSource:
    """Distinct events over a small pool of users and accounts, so incidents are grouped,
    updated and resolved concurrently, not only inserted. Hands out at least `count` events,
    and more while `more()` says so (so a fast build still sees enough kills)."""

    def __init__(self, count: int, rng: random.Random, more):
        self.count, self.rng, self.more = count, rng, more
        self.run = uuid.uuid4().hex[:8]
        self.issued = 0
        self.lock = threading.Lock()

    def next(self) -> tuple[str, bytes] | None:
        with self.lock:
            if self.issued >= self.count and not self.more():
                return None
            n = self.issued
            self.issued += 1
            return self.make(n)

    def make(self, n: int) -> tuple[str, bytes]:
        rng = self.rng
        user = f"u_{rng.randrange(40)}"
        account = f"acc_{user}_{rng.randrange(3)}"
        exchange = "okx" if account.endswith("_1") else "binance"
        event_type = rng.choices(
            ["robot.paused", "robot.stopped", "robot.resumed", "api_binding.created", "api_binding.updated"],
            weights=[45, 25, 20, 5, 5])[0]
        event: dict = {
            "type": event_type,
            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "user": {"id": user, "locale": "en"},
            "account": {"id": account, "exchange": exchange, "label": "Main"},
        }
        if rng.random() < 0.3:
            event["user"]["telegram_chat_id"] = 100000 + rng.randrange(1000)
        robot = {"id": f"rb_{rng.randrange(6)}", "name": f"Grid {n % 7}"}
        if event_type in ("robot.paused", "robot.stopped"):
            event["robot"] = robot
            event["reason"] = rng.choice(REASONS)
        elif event_type == "robot.resumed":
            event["robot"] = robot
        else:
            event["account"]["api_key_hint"] = "h8A"
            event["account"]["bound_at"] = "2026-09-27T08:00:00Z"
        return f"msg_crash_{self.run}_{n:07d}", json.dumps(event, separators=(",", ":")).encode()


class Server:
    """One `rebind serve` process at a time, always on the same port and database."""

    def __init__(self, binary: str, workdir: Path, port: int, secret: str, synchronous: str):
        self.binary = os.path.abspath(binary)
        self.port = port
        self.db = workdir / "rebind.sqlite"
        self.logfile = open(workdir / "server.log", "ab")
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("REBIND_")},
            "REBIND_DATABASE_URL": f"sqlite://{self.db}",
            "REBIND_EVENTS_SECRET": secret,
            "REBIND_HTTP_HOST": "127.0.0.1",
            "REBIND_HTTP_PORT": str(port),
            # The admin listener is not used here: any free port, so 8081 may be taken.
            "REBIND_ADMIN_PORT": "0",
            "REBIND_SQLITE_SYNCHRONOUS": synchronous,
            "REBIND_TEMPLATES_DIR": str(REPO / "templates"),
            "REBIND_LOG_LEVEL": "warning",
        }
        self.proc: subprocess.Popen | None = None
        self.lock = threading.Lock()
        self.starts = 0

    def start(self, timeout: float = 60.0) -> None:
        with self.lock:
            self.proc = subprocess.Popen(
                [self.binary, "serve"], env=self.env, cwd=self.db.parent,
                stdin=subprocess.DEVNULL, stdout=self.logfile, stderr=subprocess.STDOUT,
                start_new_session=True)
            self.starts += 1
            proc = self.proc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"rebind exited with status {proc.returncode} during start-up; see {self.logfile.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
                conn.close()
            except NO_ANSWER:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"rebind did not answer /healthz within {timeout:.0f} s; see {self.logfile.name}")

    def kill(self) -> None:
        with self.lock:
            proc, self.proc = self.proc, None
        if proc is not None:
            # The whole process group (its own session), so a wrapper's children go too.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=30)

    def crashed(self) -> int | None:
        """The exit status if the server died without being killed by us."""
        with self.lock:
            return self.proc.poll() if self.proc is not None else None


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: dict[str, bytes] = field(default_factory=dict)
    first_ack_duplicate: int = 0   # stored by an attempt whose answer was lost
    retries: int = 0
    unexpected: list[str] = field(default_factory=list)
    unanswered: int = 0


class Sender(threading.Thread):
    def __init__(self, port: int, signer: Signer, work: EventSource, tally: Tally,
                 stop_at: float, request_timeout: float, abort: threading.Event):
        super().__init__(daemon=True)
        self.port, self.signer, self.work, self.tally = port, signer, work, tally
        self.stop_at, self.request_timeout, self.abort = stop_at, request_timeout, abort
        self.conn: http.client.HTTPConnection | None = None

    def post(self, webhook_id: str, body: bytes) -> tuple[int, dict]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.request_timeout)
        self.conn.request("POST", "/v1/events", body=body, headers=self.signer.headers(webhook_id, body))
        response = self.conn.getresponse()
        payload = response.read()
        try:
            return response.status, json.loads(payload)
        except ValueError:
            return response.status, {"raw": payload[:200].decode(errors="replace")}

    def drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def run(self) -> None:
        while time.monotonic() < self.stop_at and not self.abort.is_set() and (item := self.work.next()) is not None:
            webhook_id, body = item
            while True:
                if time.monotonic() > self.stop_at or self.abort.is_set():
                    with self.tally.lock:
                        self.tally.unanswered += 1
                    break
                try:
                    status, answer = self.post(webhook_id, body)
                except NO_ANSWER:
                    # No answer: the event may or may not be stored. Retry with the same id.
                    self.drop()
                    with self.tally.lock:
                        self.tally.retries += 1
                    time.sleep(0.02)
                    continue
                if status == 202 and answer.get("event_id") == webhook_id:
                    with self.tally.lock:
                        self.tally.acknowledged[webhook_id] = body
                        if answer.get("duplicate") is True:
                            self.tally.first_ack_duplicate += 1
                    break
                if status == 503:
                    with self.tally.lock:
                        self.tally.retries += 1
                    time.sleep(0.05)
                    continue
                with self.tally.lock:
                    self.tally.unexpected.append(f"{webhook_id}: HTTP {status} {answer}")
                break
        self.drop()


class Killer(threading.Thread):
    def __init__(self, server: Server, rng: random.Random, low: float, high: float, done: threading.Event):
        super().__init__(daemon=True)
        self.server, self.rng, self.low, self.high, self.done = server, rng, low, high, done
        self.abort = threading.Event()  # set when the server cannot be brought back: senders give up
        self.kills = 0
        self.crash: str | None = None
        self.error: BaseException | None = None

    @property
    def failed(self) -> bool:
        return self.crash is not None or self.error is not None or not self.is_alive()

    def run(self) -> None:
        try:
            while not self.done.wait(self.rng.uniform(self.low, self.high)):
                status = self.server.crashed()
                if status is not None:
                    self.crash = f"rebind exited by itself with status {status}"
                    self.abort.set()
                    return
                self.server.kill()
                self.kills += 1
                self.server.start()
        except BaseException as error:  # reported by the main thread
            self.error = error
            self.abort.set()


def verify(port: int, signer: Signer, acknowledged: dict[str, bytes], connections: int) -> list[str]:
    """Re-sends every acknowledged event; each must be a duplicate of a stored one."""
    items = list(acknowledged.items())
    lost: list[str] = []
    lock = threading.Lock()

    def check(chunk: list[tuple[str, bytes]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for webhook_id, body in chunk:
            try:
                conn.request("POST", "/v1/events", body=body, headers=signer.headers(webhook_id, body))
                response = conn.getresponse()
                status, answer = response.status, json.loads(response.read())
            except (*NO_ANSWER, ValueError) as error:
                # Not checked is not proven stored: count it against the run.
                conn.close()
                status, answer = None, f"{type(error).__name__}: {error}"
            if status != 202 or not isinstance(answer, dict) or answer.get("duplicate") is not True:
                with lock:
                    lost.append(f"{webhook_id}: HTTP {status} {answer}")
        conn.close()

    threads = [threading.Thread(target=check, args=(items[i::connections],)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", nargs="?", default=str(REPO / ".build/debug/rebind"))
    parser.add_argument("--events", type=int, default=4000,
                        help="events to send at least; more are sent until --min-kills kills have happened")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CRASH_SAFETY_SEED", "1")))
    parser.add_argument("--kill-min", type=float, default=0.2, help="shortest pause between kills, seconds")
    parser.add_argument("--kill-max", type=float, default=1.0, help="longest pause between kills, seconds")
    parser.add_argument("--min-kills", type=int, default=5)
    parser.add_argument("--synchronous", choices=["normal", "full"], default="normal")
    parser.add_argument("--time-limit", type=float, default=180.0, help="give up sending after this many seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    if not os.access(args.binary, os.X_OK):
        log(f"no executable at {args.binary}; build it with: swift build --product rebind")
        return 2

    rng = random.Random(args.seed)
    secret = "whsec_" + base64.b64encode(rng.randbytes(24)).decode()
    signer = Signer(secret)
    workdir = Path(tempfile.mkdtemp(prefix="rebind-crash-"))
    server = Server(args.binary, workdir, free_port(), secret, args.synchronous)
    done = threading.Event()
    killer = Killer(server, random.Random(args.seed + 1), args.kill_min, args.kill_max, done)

    # SIGTERM (e.g. from a CI timeout) unwinds through `finally`, which stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    failures: list[str] = []
    tally = Tally()
    lost: list[str] = []
    stored = -1
    started = time.monotonic()
    try:
        log(f"binary {args.binary}, database {server.db} (synchronous={args.synchronous}), port {server.port}, seed {args.seed}")
        source = EventSource(args.events, rng, more=lambda: killer.kills < args.min_kills and not killer.failed)
        server.start()
        killer.start()
        stop_at = time.monotonic() + args.time_limit
        senders = [Sender(server.port, signer, source, tally, stop_at, 10.0, killer.abort)
                   for i in range(args.connections)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        done.set()
        killer.join(timeout=90)
        send_seconds = time.monotonic() - started
        log(f"sent {source.issued} events in {send_seconds:.1f} s over {args.connections} connections; "
            f"{killer.kills} kills; {tally.retries} retried requests")
        if killer.error is not None:
            failures.append(f"restart failed: {killer.error}")
        if killer.crash is not None:
            failures.append(killer.crash)

        # A clean restart from whatever is on disk, then the check.
        if killer.error is None:
            server.kill()
            server.start()
            lost = verify(server.port, signer, tally.acknowledged, args.connections)
            status = server.crashed()
            if status is not None:
                failures.append(f"rebind exited with status {status} during verification")
            server.kill()
            with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as db:
                stored_ids = {row[0] for row in db.execute("SELECT webhook_id FROM inbox")}
            stored = len(stored_ids)
            missing_in_db = [i for i in tally.acknowledged if i not in stored_ids]
            if missing_in_db and not lost:
                lost = [f"{i}: not in inbox" for i in missing_in_db]
    except (KeyboardInterrupt, SystemExit):
        failures.append("interrupted")
    except Exception as error:
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        done.set()
        if killer.is_alive():
            killer.join(timeout=90)
        server.kill()
        server.logfile.close()

    acknowledged = len(tally.acknowledged)
    if tally.unexpected:
        failures.append(f"{len(tally.unexpected)} unexpected answers, first: {tally.unexpected[0]}")
    if tally.unanswered:
        failures.append(f"{tally.unanswered} events left unanswered when sending stopped "
                        f"({'server lost' if killer.abort.is_set() else f'--time-limit {args.time_limit:.0f} s'})")
    if killer.kills < args.min_kills:
        failures.append(f"only {killer.kills} kills (need at least {args.min_kills}); use more --events or shorter --kill-max")
    if acknowledged == 0:
        failures.append("nothing was acknowledged")
    for line in lost[:20]:
        log(f"LOST {line}")

    log(f"{tally.first_ack_duplicate} events were first acknowledged as duplicates "
        f"(stored by an attempt whose answer was cut off by a kill); {stored} rows in inbox")
    for failure in failures:
        log(f"FAIL {failure}")
    ok = not failures and not lost
    if ok and not args.keep:
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()
    else:
        log(f"kept {workdir} (server.log, database)")
    print(f"crash-safety: {'PASS' if ok else 'FAIL'}: {acknowledged} acknowledged, {len(lost)} lost, "
          f"{killer.kills} kills, {server.starts} starts, synchronous={args.synchronous}, "
          f"{time.monotonic() - started:.1f} s", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
