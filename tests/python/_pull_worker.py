"""Run in another process by tests/python/test_pull.py: reads a whole pull, prints the ids
it got as one JSON line, then dies by SIGKILL before committing (a crash between consuming
and committing).

    _pull_worker.py STORE STATE
"""

from __future__ import annotations

import json
import os
import signal
import sys

import harvest_connect as hc


def main() -> int:
    path, state = sys.argv[1], sys.argv[2]
    store = hc.Store.open(path)  # the key from HARVEST_CONNECT_KEY
    api = store.connection("acme").api()
    pull = api.pull("/time_entries", state=state)
    ids = [record["id"] for record in pull]
    print(json.dumps(ids), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # before pull.commit(): nothing after this runs
    return 3


if __name__ == "__main__":
    sys.exit(main())
