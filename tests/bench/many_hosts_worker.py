"""One "host" of the many-hosts benchmark (many_hosts.py): opens the store (key from
HARVEST_CONNECT_KEY), warms both connections, prints "ready", then answers commands read from
stdin, one a line, each answered with one JSON line:

    storm              one GET /users/me on the "storm" connection (OAuth, refreshable);
                       {"answered": time.monotonic() when the answer came, "failed": 0|1}
    budget COUNT       COUNT GETs on the "limited" connection with the rate limiter on;
                       {"finished": time.monotonic(), "done": N, "failed": N}
    quit

    many_hosts_worker.py LOCATION LIMIT WINDOW

time.monotonic() is CLOCK_MONOTONIC, one clock for every process of the machine, so the
parent compares these times with its own.
"""

from __future__ import annotations

import json
import sys
import time

import harvest_connect as hc


def main() -> int:
    location, limit, window = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    with hc.Store.open(location) as store:
        storm = store.connection("storm").api(rate_limit=None)
        limited = store.connection("limited").api(rate_limit=(limit, window))
        storm.get("/users/me")
        limited.get("/users/me")
        print("ready", flush=True)
        for line in sys.stdin:
            words = line.split()
            if not words or words[0] == "quit":
                break
            if words[0] == "storm":
                failed = 0
                try:
                    storm.get("/users/me")
                except hc.HarvestConnectError as exc:
                    failed = 1
                    print(f"storm: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                print(json.dumps({"answered": time.monotonic(), "failed": failed}), flush=True)
            elif words[0] == "budget":
                done = failed = 0
                for _ in range(int(words[1])):
                    try:
                        limited.get("/users/me")
                        done += 1
                    except hc.HarvestConnectError as exc:
                        failed += 1
                        print(f"budget: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                print(json.dumps({"finished": time.monotonic(), "done": done, "failed": failed}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
