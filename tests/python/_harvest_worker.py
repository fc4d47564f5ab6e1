"""Run in another process by the API tests: opens the store (key from HARVEST_CONNECT_KEY)
and uses one connection.

    _harvest_worker.py STORE threads THREADS CALLS    warm up, print "ready", wait for "go" on
                                                     stdin, then THREADS threads x CALLS GETs;
                                                     prints a JSON summary (_calls_in_threads.py)
    _harvest_worker.py STORE get PATH                 one GET, prints the JSON answer
"""

from __future__ import annotations

import json
import sys

import harvest_connect as hc
from _calls_in_threads import calls_when_told


def main() -> int:
    path, mode = sys.argv[1], sys.argv[2]
    with hc.Store.open(path) as store:
        conn = store.connection("acme")
        if mode == "get":
            api = conn.api()
            print(json.dumps(api.get(sys.argv[3])))
            return 0
        threads, calls = int(sys.argv[3]), int(sys.argv[4])
        api = conn.api(rate_limit=None)
        api.get("/users/me")
        return calls_when_told(api, threads, calls)


if __name__ == "__main__":
    sys.exit(main())
