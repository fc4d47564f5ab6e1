"""Run in another process by tests/python/test_rate_budget.py: one of several processes that
share a connection (and so its rate budget) through one store.

    _rate_budget_worker.py STORE LIMIT WINDOW THREADS CALLS
        opens the store (key from HARVEST_CONNECT_KEY) and the connection "acme" with the
        client-side limit LIMIT requests / WINDOW seconds, prints "ready", waits for "go" on
        stdin, then THREADS threads x CALLS GETs of /users/me; prints a JSON summary with the
        wall-clock times of the first request's start and the last one's end
        (_calls_in_threads.py).
"""

from __future__ import annotations

import sys

import harvest_connect as hc
from _calls_in_threads import calls_when_told


def main() -> int:
    location, limit, window = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    threads, calls = int(sys.argv[4]), int(sys.argv[5])
    with hc.Store.open(location) as store:
        api = store.connection("acme").api(rate_limit=(limit, window))
        return calls_when_told(api, threads, calls)


if __name__ == "__main__":
    sys.exit(main())
