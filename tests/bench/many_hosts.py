"""Many processes on one connection (issue 17 §4), for tests/bench/run.py (#12, #13):

- refresh storm: N processes hold an access token that has just expired and call at the same
  moment; the time until every one of them has its first answer (p50 and max over the
  processes), against one process doing the same (its refresh alone), and how many refreshes
  reached the emulator (the store makes it one: the others wait for it and use its token);
- shared rate budget: N processes share one account's budget (the emulator's short window):
  requests completed per second over the rate the window allows, and the 429s the emulator sent.

Each with 1, 4 and 16 processes, on every backend of BACKENDS, the processes started once per
(backend, N) and kept for the repetitions. The processes stand in for hosts: they share nothing
but the store (tests/python/test_many_hosts*.py adds network namespaces; a benchmark does not
need them).
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

HERE = Path(__file__).resolve().parent
WORKER = HERE / "many_hosts_worker.py"
PROCESS_COUNTS = (1, 4, 16)
REDIRECT_URL = "http://127.0.0.1:8765/callback"
USER_AGENT = "harvest-connect bench (bench@example.com)"

#: The store backends measured, in one place.
BACKENDS = ["sqlite", "postgresql"]


@contextlib.contextmanager
def store_location(backend: str, workdir: Path) -> Iterator[str]:
    """The store's location for `backend`: a file, or a database of a private PostgreSQL
    cluster (tests/support/postgres_cluster.py) started for the benchmark and stopped after
    it; PGPASSFILE is set in this process's environment, which the workers inherit."""
    (workdir / "many-hosts").mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        yield str(workdir / "many-hosts" / "store.db")
        return
    if backend != "postgresql":
        raise ValueError(f"no store location for backend {backend!r}")
    sys.path.insert(0, str(HERE.parent / "support"))
    from postgres_cluster import PostgresCluster

    with PostgresCluster(workdir / "many-hosts" / "postgres") as cluster:
        saved = {k: os.environ.get(k) for k in cluster.env()}
        os.environ.update(cluster.env())
        try:
            yield cluster.create_database("many_hosts")
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def load() -> float:
    return os.getloadavg()[0]


class Workers:
    """N worker processes on one store, each answering storm/budget commands."""

    def __init__(self, n: int, location: str, env: Dict[str, str], limit: int, window: float) -> None:
        self.procs = [subprocess.Popen([sys.executable, str(WORKER), location, str(limit), str(window)], env=env,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                      for _ in range(n)]
        for p in self.procs:
            assert p.stdout is not None
            line = p.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"a many-hosts worker did not start (it said {line!r})")

    def command(self, line: str) -> List[Dict[str, Any]]:
        """Sends `line` to every worker at once (writes only, then reads), their answers."""
        for p in self.procs:
            assert p.stdin is not None
            p.stdin.write(line + "\n")
            p.stdin.flush()
        out = []
        for p in self.procs:
            assert p.stdout is not None
            answer = p.stdout.readline()
            if not answer:
                raise RuntimeError("a many-hosts worker ended early")
            out.append(json.loads(answer))
        return out

    def close(self) -> None:
        for p in self.procs:
            try:
                assert p.stdin is not None
                p.stdin.write("quit\n")
                p.stdin.flush()
                p.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                p.kill()
                p.wait()


def prepare_store(s: Any, location: str) -> None:
    """The store of the benchmark: "storm", an authorized OAuth connection to the main
    emulator, and "limited", a personal-token connection to the rate-limited one."""
    import harvest_connect as hc

    app = s.main.call("register_app", name="many hosts", redirect_url=REDIRECT_URL)
    with hc.Store.open(location, key=s.key) as store:
        store.create_oauth_client("storm-app", client_id=app["client_id"], client_secret=app["client_secret"],
                                  redirect_uri=app["redirect_url"])
        conn = store.create_connection("storm", oauth_client="storm-app", account_id=s.main.account_id,
                                       api_url=s.main.api_url, id_url=s.main.id_url, user_agent=USER_AGENT)
        conn.complete_authorization(s.main.call("approve", url=conn.authorization_url()))
        store.create_token_connection("limited", access_token=s.limited.token, account_id=s.limited.account_id,
                                      user_agent=USER_AGENT, api_url=s.limited.api_url, id_url=s.limited.id_url)


def refreshes(s: Any) -> int:
    return int(s.main.counters().get("token_requests.refresh_token", 0))


def storm(s: Any, workers: Workers) -> Dict[str, Any]:
    """One storm: the token expires, every worker calls at once."""
    s.main.call("expire_tokens")
    before = refreshes(s)
    start = time.monotonic()
    answers = workers.command("storm")
    latencies = sorted(a["answered"] - start for a in answers)
    return {"p50": statistics.median(latencies), "max": latencies[-1], "refreshes": refreshes(s) - before,
            "failed": sum(a["failed"] for a in answers)}


def budget(s: Any, workers: Workers, total: int, limit: int, window: float) -> Dict[str, Any]:
    """`total` requests split over the workers, as fast as their limiters allow, from a fresh
    window. Efficiency as #7: the requests after the first window's burst over the time they
    took, against limit / window."""
    n = len(workers.procs)
    share = -(-total // n)
    time.sleep(window * 1.1)  # a fresh window (the warm-up requests are in the last one)
    rejected_before = int(s.limited.counters().get("rate_limited", 0))
    start = time.monotonic()
    answers = workers.command(f"budget {share}")
    elapsed = max(a["finished"] for a in answers) - start
    done = sum(a["done"] for a in answers)
    return {"efficiency": ((done - limit) / elapsed) / (limit / window), "done": done,
            "failed": sum(a["failed"] for a in answers),
            "rejected": int(s.limited.counters().get("rate_limited", 0)) - rejected_before}


def bench_many_hosts(s: Any, runs: int, total: int, limit: int, window: float,
                     row: Callable[..., Dict[str, Any]]) -> List[Dict[str, Any]]:
    rows: List[Dict[str, Any]] = []
    for backend in BACKENDS:
        with store_location(backend, s.workdir) as location:
            rows += bench_backend(s, backend, location, runs, total, limit, window, row)
    # Side by side: every other backend's figure against SQLite's for the same N.
    by_key = {(r["id"], r["processes"], r["backend"]): r for r in rows}
    for r in rows:
        base = by_key.get((r["id"], r["processes"], "sqlite"))
        if r["backend"] != "sqlite" and base and base["ours"]:
            r["note"] += f"; vs SQLite: {r['ours'] / base['ours']:.2f}×"
    return rows


def bench_backend(s: Any, backend: str, location: str, runs: int, total: int, limit: int, window: float,
                  row: Callable[..., Dict[str, Any]]) -> List[Dict[str, Any]]:
    rows: List[Dict[str, Any]] = []
    prepare_store(s, location)
    single: Optional[float] = None
    for n in PROCESS_COUNTS:
        workers = Workers(n, location, s.env(), limit, window)
        try:
            storms = [storm(s, workers) for _ in range(runs)]
            budgets = [budget(s, workers, total, limit, window) for _ in range(runs)]
        finally:
            workers.close()
        p50 = statistics.median(x["p50"] for x in storms)
        worst = statistics.median(x["max"] for x in storms)
        if n == 1:
            single = worst
        assert single is not None
        r = row("12", f"refresh storm, {n} process{'es' if n > 1 else ''} on one expired token ({backend}): "
                      "time until every process has its first answer (ms)", worst * 1000, single * 1000, "ms",
                "1 process on the same store: its 401 and refresh alone", None,
                note=f"p50 {p50 * 1000:.1f} ms, max {worst * 1000:.1f} ms; refreshes at Harvest per storm: "
                     f"{[x['refreshes'] for x in storms]}; failed calls: {sum(x['failed'] for x in storms)}; "
                     f"load {load():.2f}")
        r["ratio"] = worst / single if single else None
        r["target"] = "1 refresh per storm"
        r["met"] = all(x["refreshes"] == 1 and x["failed"] == 0 for x in storms)
        r.update(backend=backend, processes=n, p50=p50, max=worst, storms=storms)
        rows.append(r)
        eff = statistics.median(x["efficiency"] for x in budgets)
        most = max(x["rejected"] for x in budgets)
        b = row("13", f"shared rate budget, {n} process{'es' if n > 1 else ''}, {limit} per {window:g} s "
                      f"window, {total} requests together ({backend}): achieved/allowed", eff, 1.0,
                "fraction", "the rate the window allows", None,
                note=f"429s: {most} (most in a run); failed calls: {sum(x['failed'] for x in budgets)}; "
                     f"load {load():.2f}")
        b["ratio"] = eff
        b["target"] = 0.9
        b["met"] = eff >= 0.9 and most == 0 and all(x["failed"] == 0 for x in budgets)
        b.update(backend=backend, processes=n, budgets=budgets)
        rows.append(b)
    return rows
