#!/usr/bin/env python3
"""Presigns a batch of distinct robot events for the wrk benchmark of POST /v1/events.

Writes one file per wrk thread, PREFIX.1 … PREFIX.N, each line one request:
webhook-id, webhook-timestamp, webhook-signature and the JSON body, separated by tabs.
Every event has a unique webhook-id; all are signed with the current time, so the batch
must be sent within 300 seconds (the Standard Webhooks tolerance). Standard library only;
the files are written in parallel, one process per file.

Webhook ids are numbered (`msg_bench_00000042`: each sorts after the one before, as a sender
with time-ordered ids sends them) unless BENCH_IDS=random, which makes each one a hash of that
name (`msg_` and 27 hex digits: ids in no order, as a sender of random UUIDs sends them). The
same for bench/incident_size.py, which writes its lines through `line` here.

    python3 bench/presign.py --secret whsec_… --count 1000000 --files 2 --prefix /tmp/ev --start 0
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import multiprocessing
import os
import time

REASONS = [
    '{"text":"Pause: Invalid API key operation permission","code":"-2015","message":"Invalid API-key, IP, or permissions for action."}',
    '{"text":"API expired or no permission"}',
    '{"text":"Invest Control Limit"}',
    '{"text":"Stopped","code":"50111","message":"Invalid OK-ACCESS-KEY."}',
    '{"text":"Stopped","code":"-1022","message":"Signature for this request is not valid."}',
]


def body(n: int, occurred_at: str) -> str:
    """A realistic mix over 100,000 users with two accounts each and five robots per account:
    60 % paused, 10 % stopped, 25 % resumed, 5 % binding updates."""
    user = n % 100_000
    account = (n // 100_000) % 2
    exchange = "okx" if account else "binance"
    robot = (n // 200_000) % 5
    kind = (n + n // 100_000) % 20  # each visit to a user moves on to the next kind
    head = (f'"occurred_at":"{occurred_at}","user":{{"id":"u_{user}","locale":"en","telegram_chat_id":{100000000 + user}}},'
            f'"account":{{"id":"acc_{user}_{account}","exchange":"{exchange}","label":"Main"}}')
    robot_json = f'"robot":{{"id":"rb_{user}_{account}_{robot}","name":"BTC/USDT Grid {robot}"}}'
    if kind < 12:
        return f'{{"type":"robot.paused",{head},{robot_json},"reason":{REASONS[n % len(REASONS)]}}}'
    if kind < 14:
        return f'{{"type":"robot.stopped",{head},{robot_json},"reason":{REASONS[(n + 1) % len(REASONS)]}}}'
    if kind < 19:
        return f'{{"type":"robot.resumed",{head},{robot_json}}}'
    return f'{{"type":"api_binding.updated",{head}}}'


def write(args: tuple[str, str, str, int, int, int, str]) -> int:
    path, secret, run, start, count, step, occurred_at = args
    key = base64.b64decode(secret.removeprefix("whsec_"))
    timestamp = str(int(time.time()))
    written = 0
    with open(path, "w", buffering=1 << 20) as out:
        for n in range(start, start + count * step, step):
            out.write(line(key, f"msg_{run}_{n:08d}", timestamp, body(n, occurred_at)))
            written += 1
    return written


RANDOM_IDS = os.environ.get("BENCH_IDS", "sequential") == "random"


def line(key: bytes, name: str, timestamp: str, text: str) -> str:
    """One request as bench/rebind.lua reads it: id, timestamp, signature and body, tab-separated.
    The id is `name`, or with BENCH_IDS=random a hash of it."""
    webhook_id = f"msg_{hashlib.sha256(name.encode()).hexdigest()[:27]}" if RANDOM_IDS else name
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.{text}".encode(), hashlib.sha256).digest()
    return f"{webhook_id}\t{timestamp}\tv1,{base64.b64encode(mac).decode()}\t{text}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--secret", required=True)
    parser.add_argument("--count", type=int, required=True, help="events in all files together")
    parser.add_argument("--files", type=int, default=2, help="one per wrk thread")
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--start", type=int, default=0, help="first event number (keeps batches distinct)")
    parser.add_argument("--run", default="bench", help="webhook-id prefix")
    args = parser.parse_args()

    occurred_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    per_file = -(-args.count // args.files)
    jobs = [(f"{args.prefix}.{i + 1}", args.secret, args.run, args.start + i, per_file, args.files, occurred_at)
            for i in range(args.files)]
    with multiprocessing.Pool(args.files) as pool:
        total = sum(pool.map(write, jobs))
    print(total)


if __name__ == "__main__":
    main()
