#!/usr/bin/env python3
"""Presigns robot.paused events that add robots to incidents, for bench/incident-size.sh.

Event n adds robot FIRST + n // INCIDENTS to one of INCIDENTS incidents (one user and account
each, one cause), each incident once in every INCIDENTS events, so they grow together, one
robot per event: in the order of the incidents (--order sweep, so neighbouring events touch
neighbouring rows) or jumping between them (--order scattered, the default, as the events of
a purge arrive, so no run is helped by the pages it just wrote). Every robot reports a
market, open positions and exposure, so the incident's totals change with each event. Writes
PREFIX.1 … PREFIX.FILES in bench/rebind.lua's format (see bench/presign.py), signed with the
current time: send them within 300 seconds.

    python3 bench/incident_size.py --secret whsec_… --prefix /tmp/ev --group large \
        --incidents 600 --first 250 --count 150000
"""

from __future__ import annotations

import argparse
import base64
import multiprocessing
import time

from presign import line


def body(group: str, incident: int, robot: int, occurred_at: str) -> str:
    user = f"u_{group}_{incident}"
    market = "futures" if robot % 3 == 0 else "spot"
    return (f'{{"type":"robot.paused","occurred_at":"{occurred_at}",'
            f'"user":{{"id":"{user}","locale":"en","telegram_chat_id":{200000000 + incident}}},'
            f'"account":{{"id":"acc_{user}","exchange":"binance","label":"Main"}},'
            f'"robot":{{"id":"rb_{robot}","name":"BTC/USDT Grid {robot}","market":"{market}",'
            f'"open_positions":{robot % 4},"exposure":{{"amount":"{robot}.25","currency":"USDT"}}}},'
            f'"reason":{{"text":"API expired or no permission"}}}}')


# A prime that divides no incident count used here: n * STRIDE % incidents visits every
# incident once in every `incidents` events, far from the one before.
STRIDE = 7919


def write(args: tuple[str, str, str, str, int, int, int, int, int, bool]) -> int:
    path, secret, run, group, incidents, first, start, count, step, scattered = args
    key = base64.b64decode(secret.removeprefix("whsec_"))
    timestamp = str(int(time.time()))
    occurred_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with open(path, "w", buffering=1 << 20) as out:
        for n in range(start, count, step):
            incident = n * STRIDE % incidents if scattered else n % incidents
            text = body(group, incident, first + n // incidents, occurred_at)
            out.write(line(key, f"msg_{run}_{group}_{first}_{n:08d}", timestamp, text))
    return len(range(start, count, step))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--secret", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--group", required=True, help="names the users, so groups of incidents stay apart")
    parser.add_argument("--incidents", type=int, required=True)
    parser.add_argument("--first", type=int, default=0, help="the robot number the first event of each incident adds")
    parser.add_argument("--count", type=int, required=True, help="events in all files together")
    parser.add_argument("--files", type=int, default=2, help="one per wrk thread")
    parser.add_argument("--run", default="bench", help="webhook-id prefix")
    parser.add_argument("--order", choices=["scattered", "sweep"], default="scattered")
    args = parser.parse_args()
    if args.order == "scattered" and args.incidents % STRIDE == 0:
        parser.error(f"--incidents must not be a multiple of {STRIDE}")
    jobs = [(f"{args.prefix}.{i + 1}", args.secret, args.run, args.group, args.incidents, args.first, i, args.count, args.files,
             args.order == "scattered") for i in range(args.files)]
    with multiprocessing.Pool(args.files) as pool:
        print(sum(pool.map(write, jobs)))


if __name__ == "__main__":
    main()
