"""Run in another process by the API tests: opens the store (key from HARVEST_CONNECT_KEY)
and uses one connection.

    _harvest_worker.py STORE threads THREADS CALLS    warm up, print "ready", wait for "go" on
                                                     stdin, then THREADS threads x CALLS GETs;
                                                     prints a JSON summary
    _harvest_worker.py STORE get PATH                 one GET, prints the JSON answer
"""

from __future__ import annotations

import json
import sys
import threading

import harvest_connect as hc


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
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return 2
        ok = 0
        errors: list = []
        lock = threading.Lock()

        def work() -> None:
            nonlocal ok
            for _ in range(calls):
                try:
                    api.get("/users/me")
                    with lock:
                        ok += 1
                except hc.HarvestConnectError as exc:
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")

        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        print(json.dumps({"ok": ok, "errors": errors[:5], "failed": len(errors)}), flush=True)
        return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
