"""Run in another process by tests/python/test_rate_budget.py: one of several processes that
share a connection (and so its rate budget) through one store.

    _rate_budget_worker.py STORE LIMIT WINDOW THREADS CALLS
        opens the store (key from HARVEST_CONNECT_KEY) and the connection "acme" with the
        client-side limit LIMIT requests / WINDOW seconds, prints "ready", waits for "go" on
        stdin, then THREADS threads x CALLS GETs of /users/me; prints a JSON summary with the
        wall-clock times (shared by the processes of one machine) of the first request's
        start and the last one's end.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import harvest_connect as hc


def main() -> int:
    location, limit, window = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    threads, calls = int(sys.argv[4]), int(sys.argv[5])
    with hc.Store.open(location) as store:
        api = store.connection("acme").api(rate_limit=(limit, window))
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return 2
        ok = 0
        errors: list = []
        starts: list = []
        ends: list = []
        lock = threading.Lock()

        def work() -> None:
            nonlocal ok
            for _ in range(calls):
                started = time.time()
                try:
                    api.get("/users/me")
                    with lock:
                        ok += 1
                        starts.append(started)
                        ends.append(time.time())
                except hc.HarvestConnectError as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")

        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        print(json.dumps({"ok": ok, "failed": len(errors), "errors": errors[:5],
                          "first_start": min(starts, default=0.0), "last_end": max(ends, default=0.0)}),
              flush=True)
        return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
