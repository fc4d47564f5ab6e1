"""The step the worker scripts (_harvest_worker.py, _many_hosts_worker.py, _rate_budget_worker.py)
share: tell the test "ready", wait for its "go", then make THREADS threads x CALLS GETs of
/users/me and print one JSON line the test reads:

    {"ok", "failed", "errors" (the first five), "first_start", "last_end"}

first_start and last_end are wall-clock times (time.time(), shared by the processes of one
machine) of the first successful request's start and the last one's end.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import List

import harvest_connect as hc


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def calls_when_told(api: hc.HarvestClient, threads: int, calls: int) -> int:
    """Returns the worker's exit status: 0 if every call succeeded, 1 if one failed, 2 if the
    test said something other than "go"."""
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 2
    ok = 0
    errors: List[str] = []
    starts: List[float] = []
    ends: List[float] = []
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
                    errors.append(describe(exc))

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    print(json.dumps({"ok": ok, "failed": len(errors), "errors": errors[:5],
                      "first_start": min(starts, default=0.0), "last_end": max(ends, default=0.0)}),
          flush=True)
    return 0 if not errors else 1
