#!/usr/bin/env python3
"""Slow-loris load test of Rebind's public listener: idle and trickling connections must not
stop it answering events, and must be closed after the idle timeout.

Opens IDLE connections that send nothing and SLOW "slow loris" writers that send the start of
a request and then one header byte every TRICKLE seconds, and meanwhile posts signed events
(Standard Webhooks, REBIND_EVENTS_SECRET) to POST /v1/events at a steady RATE per second,
timing each answer. Prints the events' p50/p99/max latency during the attack, and how many
idle and slow connections the server closed and after how long. Exits 1 if the p99 is over
the target (10 ms, bench/README.md's event p99 target), any event is not answered 202, or
any idle or slow connection is still open GRACE seconds after the idle timeout.

Loopback only, bounded in time, Python standard library only. It raises its own open-file
limit first (a started server inherits it).

    # start a server of its own (temporary SQLite database, idle timeout 30 s):
    python3 scripts/slowloris.py --binary .build/release/rebind
    # against a running server (its REBIND_EVENTS_SECRET in the environment, never a flag):
    REBIND_EVENTS_SECRET=whsec_… python3 scripts/slowloris.py --port 8080 --idle-timeout 30

A small mode for a quick look (200 idle, 10 slow, idle timeout 2 s, about 15 s in all):

    python3 scripts/slowloris.py --binary .build/debug/rebind --small
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import importlib.util
import os
import pathlib
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("presign", ROOT / "bench" / "presign.py")
presign = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(presign)


def log(message: str) -> None:
    print(f"[slowloris {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_open_file_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft < needed:
        raise SystemExit(f"the open-file limit is {soft} (hard {hard}); {needed} are needed: raise the hard limit or use fewer --idle")
    return soft


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


class Signer:
    def __init__(self, secret: str):
        self.key = base64.b64decode(secret.split()[0].removeprefix("whsec_"))
        self.run = os.urandom(4).hex()
        self.occurred_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def request(self, n: int) -> bytes:
        webhook_id = f"msg_loris_{self.run}_{n:08d}"
        timestamp = str(int(time.time()))
        body = presign.body(n, self.occurred_at).encode()
        mac = hmac.new(self.key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        head = (f"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nwebhook-id: {webhook_id}\r\nwebhook-timestamp: {timestamp}\r\n"
                f"webhook-signature: v1,{base64.b64encode(mac).decode()}\r\n\r\n")
        return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> int:
    """Reads one response with a Content-Length; returns its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    if length:
        await reader.readexactly(length)
    return status


class Held:
    """Connections that send nothing (or trickle), and when the server closed each."""

    def __init__(self) -> None:
        self.opened: list[float] = []
        self.closed_after: list[float] = []
        self.failed_to_open = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.tasks: list[asyncio.Task] = []


async def hold(port: int, held: Held, trickle: float | None, stop: asyncio.Event) -> None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    except (OSError, asyncio.TimeoutError):
        held.failed_to_open += 1
        return
    opened = time.monotonic()
    held.opened.append(opened)
    held.writers.append(writer)

    async def trickling() -> None:
        # A request whose headers never end: one byte every `trickle` seconds.
        try:
            writer.write(b"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            while not stop.is_set():
                await asyncio.sleep(trickle)
                writer.write(b"a")
                await writer.drain()
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server hung up, as it should

    trickler = asyncio.create_task(trickling()) if trickle else None
    try:
        while await reader.read(65536):
            pass
        held.closed_after.append(time.monotonic() - opened)
    except (ConnectionResetError, BrokenPipeError):
        held.closed_after.append(time.monotonic() - opened)
    except asyncio.CancelledError:
        pass
    finally:
        if trickler:
            trickler.cancel()
        writer.close()


class Events:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0
        self.late = 0


async def send_events(port: int, signer: Signer, rate: float, duration: float, connections: int, events: Events) -> None:
    """An open-loop schedule: event k is due at start + k / rate, sent by whichever of the
    keep-alive connections is free; its latency runs from the write to the end of the answer."""
    start = time.monotonic()
    total = int(rate * duration)
    counter = iter(range(total))

    async def worker() -> None:
        reader = writer = None
        for n in counter:
            due = start + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.005:
                events.late += 1
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
                request = signer.request(n)
                sent = time.perf_counter()
                writer.write(request)
                status = await asyncio.wait_for(read_response(reader), 10)
                events.latencies.append(time.perf_counter() - sent)
                events.statuses[status] = events.statuses.get(status, 0) + 1
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
                events.errors += 1
                if writer:
                    writer.close()
                reader = writer = None
        if writer:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))


def start_server(binary: str, port: int, idle_timeout: float, secret: str, workdir: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REBIND_")}
    env.update(
        REBIND_DATABASE_URL=f"sqlite://{workdir}/rebind.sqlite", REBIND_EVENTS_SECRET=secret,
        REBIND_HTTP_HOST="127.0.0.1", REBIND_HTTP_PORT=str(port), REBIND_ADMIN_PORT="0",
        REBIND_HTTP_IDLE_TIMEOUT_SECONDS=str(idle_timeout), REBIND_TEMPLATES_DIR=str(ROOT / "templates"),
        REBIND_LOG_LEVEL="warning",
    )
    log_file = open(os.path.join(workdir, "server.log"), "wb")
    return subprocess.Popen([binary, "serve"], env=env, cwd=workdir, stdout=log_file, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


async def wait_healthy(port: int, server: subprocess.Popen | None, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server and server.poll() is not None:
            raise SystemExit(f"rebind exited with status {server.returncode} during start-up")
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status = await asyncio.wait_for(read_response(reader), 2)
            writer.close()
            if status == 200:
                return
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError):
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(f"nothing answered /healthz on 127.0.0.1:{port}")


def summary(name: str, held: Held, count: int) -> str:
    closed = held.closed_after
    if not closed:
        return f"{name}: {len(held.opened)}/{count} opened ({held.failed_to_open} failed), none closed by the server"
    return (f"{name}: {len(held.opened)}/{count} opened ({held.failed_to_open} failed), {len(closed)} closed by the server "
            f"after min {min(closed):.2f} s / median {statistics.median(closed):.2f} s / max {max(closed):.2f} s")


async def attack(args: argparse.Namespace, port: int, secret: str) -> bool:
    idle, slow, stop = Held(), Held(), asyncio.Event()
    # Open the idle connections in batches, so the listen backlog is never the bottleneck.
    log(f"opening {args.idle} idle connections and {args.slow} slow-loris writers (a byte every {args.trickle} s)")
    for offset in range(0, args.idle, 200):
        batch = [asyncio.create_task(hold(port, idle, None, stop)) for _ in range(min(200, args.idle - offset))]
        idle.tasks += batch
        await asyncio.sleep(0.05)
    slow.tasks = [asyncio.create_task(hold(port, slow, args.trickle, stop)) for _ in range(args.slow)]
    while len(idle.opened) + idle.failed_to_open < args.idle or len(slow.opened) + slow.failed_to_open < args.slow:
        await asyncio.sleep(0.05)
    attack_start = time.monotonic()
    log(f"{len(idle.opened)} idle and {len(slow.opened)} slow connections open; sending {args.rate:g} events/s for {args.duration:g} s")

    events = Events()
    await send_events(port, Signer(secret), args.rate, args.duration, args.connections, events)

    # Every held connection must be closed by the idle timeout (plus grace) after it opened.
    last_open = max(idle.opened + slow.opened, default=attack_start)
    bound = last_open + args.idle_timeout + args.grace
    while time.monotonic() < bound and (len(idle.closed_after) < len(idle.opened) or len(slow.closed_after) < len(slow.opened)):
        await asyncio.sleep(0.1)
    stop.set()
    for task in idle.tasks + slow.tasks:
        task.cancel()
    await asyncio.gather(*idle.tasks, *slow.tasks, return_exceptions=True)

    latencies_ms = [x * 1000 for x in events.latencies]
    p50, p99 = percentile(latencies_ms, 0.50), percentile(latencies_ms, 0.99)
    accepted = events.statuses.get(202, 0)
    expected = int(args.rate * args.duration)
    print()
    print(f"events during the attack: {len(latencies_ms)} answered of {expected} "
          f"(202: {accepted}, other: { {k: v for k, v in events.statuses.items() if k != 202} }, errors: {events.errors}, "
          f"sent > 5 ms late: {events.late})")
    if latencies_ms:
        print(f"event latency: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {max(latencies_ms):.2f} ms (target p99 <= {args.p99_ms:g} ms)")
    print(summary(f"idle connections (timeout {args.idle_timeout:g} s)", idle, args.idle))
    print(summary("slow-loris writers", slow, args.slow))

    ok = True
    if accepted != expected:
        print(f"FAIL: {expected - accepted} events were not answered 202")
        ok = False
    if not latencies_ms or p99 > args.p99_ms:
        print(f"FAIL: event p99 {p99:.2f} ms is over the {args.p99_ms:g} ms target")
        ok = False
    for name, held, count in (("idle", idle, args.idle), ("slow-loris", slow, args.slow)):
        if len(held.opened) < count:
            print(f"FAIL: only {len(held.opened)} of {count} {name} connections opened")
            ok = False
        still_open = len(held.opened) - len(held.closed_after)
        if still_open:
            print(f"FAIL: {still_open} {name} connections still open {args.idle_timeout + args.grace:g} s after they opened")
            ok = False
        early = [x for x in held.closed_after if x < args.idle_timeout - 0.5]
        if early:
            print(f"FAIL: {len(early)} {name} connections closed before the idle timeout (first after {min(early):.2f} s)")
            ok = False
    print("PASS" if ok else "FAIL")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--binary", help="start this rebind on a temporary database (loopback, a free port)")
    target.add_argument("--port", type=int, help="a running rebind on 127.0.0.1:PORT (REBIND_EVENTS_SECRET from the environment)")
    parser.add_argument("--idle", type=int, default=2000, help="idle connections (2000)")
    parser.add_argument("--slow", type=int, default=50, help="slow-loris writers (50)")
    parser.add_argument("--trickle", type=float, default=3.0, help="seconds between a slow writer's header bytes (3)")
    parser.add_argument("--rate", type=float, default=100, help="events per second during the attack (100)")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections the events go over (4)")
    parser.add_argument("--duration", type=float, help="seconds of events (default: the idle timeout + 5)")
    parser.add_argument("--idle-timeout", type=float, default=30, help="the server's REBIND_HTTP_IDLE_TIMEOUT_SECONDS (30)")
    parser.add_argument("--grace", type=float, default=5, help="seconds past the idle timeout a connection may stay open (5)")
    parser.add_argument("--p99-ms", type=float, default=10, help="event p99 target in ms (10, from bench/README.md)")
    parser.add_argument("--small", action="store_true", help="200 idle, 10 slow, idle timeout 2 s, 4 s of events")
    args = parser.parse_args()
    if args.small:
        args.idle, args.slow, args.idle_timeout, args.trickle = 200, 10, 2, 0.5
        args.duration = args.duration or 4
    args.duration = args.duration or args.idle_timeout + 5

    limit = raise_open_file_limit(args.idle + args.slow + args.connections + 256)
    log(f"open-file limit {limit}")

    workdir = None
    server = None
    if args.binary:
        secret = "whsec_" + base64.b64encode(os.urandom(32)).decode()
        port = free_port()
        workdir = tempfile.mkdtemp(prefix="rebind-slowloris-")
        server = start_server(os.path.abspath(args.binary), port, args.idle_timeout, secret, workdir)
        log(f"rebind pid {server.pid} on 127.0.0.1:{port}, idle timeout {args.idle_timeout:g} s, in {workdir}")
    else:
        secret = os.environ.get("REBIND_EVENTS_SECRET", "")
        if not secret:
            raise SystemExit("REBIND_EVENTS_SECRET must be set to the running server's events secret")
        port = args.port
    ok = False
    try:
        asyncio.run(wait_healthy(port, server, time.monotonic() + 60))
        ok = asyncio.run(attack(args, port, secret))
        if server and server.poll() is not None:
            print(f"FAIL: rebind exited with status {server.returncode} during the run")
            ok = False
    finally:
        if server:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        if workdir:
            if ok:
                shutil.rmtree(workdir, ignore_errors=True)
            else:
                log(f"kept {workdir} (server.log, database)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
