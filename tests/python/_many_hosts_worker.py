"""Run in other processes (and in network-namespace "hosts") by tests/python/test_many_hosts.py:
opens the store (a file or a postgresql:// URL; the key from HARVEST_CONNECT_KEY, the database
password through PGPASSFILE) and uses its connection "acme".

    _many_hosts_worker.py STORE threads THREADS CALLS [--warm]
        print "ready", wait for "go" on stdin, then THREADS threads x CALLS GETs of /users/me;
        prints a JSON summary {"ok", "failed", "errors", ...} (_calls_in_threads.py). --warm: one GET before "ready", so
        the process holds the token in memory when it expires.
    _many_hosts_worker.py STORE once
        one GET of /users/me; prints its JSON answer.
    _many_hosts_worker.py STORE loop
        print "ready", then until stdin says "stop": read the connection from the store and GET
        /users/me, recording each outcome; prints {"progress", "last_ok"} when calls start or
        stop failing, and at the end a JSON summary {"outcomes": [[ok, error]...]}.

--relay LISTEN_PORT:HOST:PORT (repeatable) first starts a relay from 127.0.0.1:LISTEN_PORT in
this process's network namespace to HOST:PORT (tests/support/netns_hosts.py: how a "host"
reaches the emulator).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))

import harvest_connect as hc  # noqa: E402
from _calls_in_threads import calls_when_told, describe  # noqa: E402
from netns_hosts import Relay  # noqa: E402


def threads_mode(store: hc.Store, threads: int, calls: int, warm: bool) -> int:
    api = store.connection("acme").api(rate_limit=None)
    if warm:
        api.get("/users/me")
    return calls_when_told(api, threads, calls)


def loop_mode(store: hc.Store) -> int:
    stop = threading.Event()

    def wait_for_stop() -> None:
        sys.stdin.readline()
        stop.set()

    threading.Thread(target=wait_for_stop, daemon=True).start()
    outcomes: List[Tuple[bool, Optional[str]]] = []
    print("ready", flush=True)
    while not stop.is_set():
        try:
            store.connection("acme").api().get("/users/me")
            outcomes.append((True, None))
        except hc.HarvestConnectError as exc:
            outcomes.append((False, describe(exc)))
            stop.wait(0.05)  # a pause between failing attempts, not a timing the test relies on
        # A line when calls start or stop failing (and every 25 calls), for the test to wait on.
        if len(outcomes) == 1 or outcomes[-1][0] != outcomes[-2][0] or len(outcomes) % 25 == 0:
            print(json.dumps({"progress": len(outcomes), "last_ok": outcomes[-1][0]}), flush=True)
    print(json.dumps({"outcomes": outcomes}), flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("store")
    parser.add_argument("mode", choices=["threads", "once", "loop"])
    parser.add_argument("threads", nargs="?", type=int, default=1)
    parser.add_argument("calls", nargs="?", type=int, default=1)
    parser.add_argument("--warm", action="store_true")
    parser.add_argument("--relay", action="append", default=[])
    args = parser.parse_args()
    relays = []
    for spec in args.relay:
        listen, host, port = spec.split(":")
        relays.append(Relay(("127.0.0.1", int(listen)), (host, int(port))))
    try:
        with hc.Store.open(args.store) as store:
            if args.mode == "threads":
                return threads_mode(store, args.threads, args.calls, args.warm)
            if args.mode == "once":
                print(json.dumps(store.connection("acme").api().get("/users/me")), flush=True)
                return 0
            return loop_mode(store)
    finally:
        for r in relays:
            r.close()


if __name__ == "__main__":
    sys.exit(main())
