#!/usr/bin/env python3
"""harvest-connect against what a user would otherwise pick (issue 8).

    make bench                         # or: .venv/bin/python tests/bench/run.py [--quick|--smoke]

Everything runs against the Harvest emulator over HTTPS on loopback, with keep-alive and
the rate limit off unless said; the emulator runs in its own process (emulator_proc.py) so
that it shares neither the GIL nor the memory figures with the client under test. Every
figure is the median of several runs, and every ratio compares with a baseline measured
side by side in the same run (ours and the baseline alternate within each repetition).

Writes tests/bench/results.md (a Markdown table) and tests/bench/results.json.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import many_hosts  # tests/bench/many_hosts.py, beside this script

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
USER_AGENT = "harvest-connect bench (bench@example.com)"
RESOURCE = "time_entries"


# --------------------------------------------------------------------------------------
# The emulator, in its own process
# --------------------------------------------------------------------------------------
class Emulator:
    """harvest_connect.testing.HarvestEmulator running in a child process."""

    def __init__(self, **options: Any) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "emulator_proc.py"), json.dumps(options)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process did not start")
        info = json.loads(line)
        self.api_url: str = info["api_url"]
        self.id_url: str = info["id_url"]
        self.ca_file: str = info["ca_file"]
        self.account_id: str = str(info["account_id"])
        self.token: str = info["token"]
        self.entries: int = int(info["entries"])
        self._lock = threading.Lock()

    def call(self, cmd: str, **kwargs: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        with self._lock:
            self.proc.stdin.write(json.dumps({"cmd": cmd, **kwargs}) + "\n")
            self.proc.stdin.flush()
            return json.loads(self.proc.stdout.readline())["answer"]

    def counters(self) -> Dict[str, int]:
        return dict(self.call("counters"))

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            try:
                self.proc.stdin.write(json.dumps({"cmd": "stop"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


# --------------------------------------------------------------------------------------
# Measurement helpers
# --------------------------------------------------------------------------------------
def timed(fn: Callable[[], Any]) -> Tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def side_by_side(runs: int, contestants: Dict[str, Callable[[], Any]],
                 before: Optional[Dict[str, Callable[[], Any]]] = None) -> Dict[str, List[float]]:
    """Runs every contestant once per repetition, alternating their order; the times.
    `before[name]`, when given, runs untimed before each of that contestant's runs."""
    times: Dict[str, List[float]] = {name: [] for name in contestants}
    names = list(contestants)
    for i in range(runs):
        order = names if i % 2 == 0 else list(reversed(names))
        for name in order:
            if before and name in before:
                before[name]()
            seconds, _ = timed(contestants[name])
            times[name].append(seconds)
    return times


def median(values: List[float]) -> float:
    return statistics.median(values)


def rss_kib() -> Tuple[int, int]:
    """(VmRSS, VmHWM) of this process in KiB."""
    rss = hwm = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


PEAK_FOOTER = '''
with open("/proc/self/status") as _status:
    sys.stderr.write("".join(_line for _line in _status if _line.startswith("VmHWM:")))
'''


def run_child(argv: List[str], env: Dict[str, str], cwd: Optional[str] = None) -> Tuple[float, int, str]:
    """Runs a child process; (wall seconds, peak RSS in KiB, stdout). The peak is the VmHWM
    line the child wrote to stderr (PEAK_FOOTER), else 0: the rusage of a forked child counts
    the parent's pages from before exec."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, _usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    m = re.search(rb"VmHWM:\s+(\d+)", err)
    return wall, int(m.group(1)) if m else 0, out.decode()


# --------------------------------------------------------------------------------------
# The two ways of calling Harvest
# --------------------------------------------------------------------------------------
class Setup:
    """A store with the benchmark connection, and what the requests baseline needs."""

    def __init__(self, workdir: Path, main: Emulator, limited: Emulator, ca_bundle: Path) -> None:
        import harvest_connect as hc

        self.workdir = workdir
        self.main = main
        self.limited = limited
        self.ca_bundle = str(ca_bundle)
        self.key = hc.Key.generate()
        self.store_path = workdir / "store" / "connections.db"
        self.key_b64 = self.key.to_base64()
        with hc.Store.open(str(self.store_path), key=self.key) as store:
            store.create_token_connection("bench", access_token=main.token, account_id=main.account_id,
                                          user_agent=USER_AGENT, api_url=main.api_url, id_url=main.id_url)
            store.create_token_connection("limited", access_token=limited.token,
                                          account_id=limited.account_id, user_agent=USER_AGENT,
                                          api_url=limited.api_url, id_url=limited.id_url)
        self.token_file = workdir / "token.json"
        self.token_file.write_text(json.dumps({"access_token": main.token, "token_type": "Bearer",
                                               "account_id": main.account_id}))
        os.chmod(self.token_file, 0o600)

    def env(self) -> Dict[str, str]:
        env = dict(os.environ)
        env["SSL_CERT_FILE"] = self.ca_bundle
        env["HARVEST_CONNECT_KEY"] = self.key_b64
        env.pop("HARVEST_CONNECT_KEY_FILE", None)
        return env

    # -- harvest-connect -----------------------------------------------------------------
    def open_store(self) -> Any:
        import harvest_connect as hc

        return hc.Store.open(str(self.store_path), key=self.key)

    def api(self, store: Any, name: str = "bench", rate_limit: Optional[Tuple[int, float]] = None) -> Any:
        # The client-side limiter is off like the emulator's (Harvest's 100 / 15 s would make
        # every figure a measure of the limit); #7 turns both on.
        return store.connection(name).api(rate_limit=rate_limit)

    # -- requests + requests-oauthlib ----------------------------------------------------
    def session(self, emulator: Optional[Emulator] = None) -> Any:
        from requests_oauthlib import OAuth2Session

        emu = emulator or self.main
        s = OAuth2Session(client_id="bench", token={"access_token": emu.token, "token_type": "Bearer"})
        s.verify = self.ca_bundle
        s.headers.update({"Harvest-Account-Id": emu.account_id, "User-Agent": USER_AGENT})
        return s


def requests_paginate(session: Any, url: str) -> Any:
    """Every record, following links.next, with json (what a requests user writes)."""
    loads = json.loads
    next_url: Optional[str] = url
    while next_url:
        r = session.get(next_url)
        r.raise_for_status()
        page = loads(r.content)
        yield from page[RESOURCE]
        next_url = page["links"]["next"]


# --------------------------------------------------------------------------------------
# The benchmarks
# --------------------------------------------------------------------------------------
Row = Dict[str, Any]


def row(number: str, what: str, ours: float, baseline: float, unit: str, baseline_name: str,
        target: Optional[float], *, higher_is_better: bool = True, note: str = "") -> Row:
    ratio = (ours / baseline if higher_is_better else baseline / ours) if ours and baseline else 0.0
    return {"id": number, "what": what, "ours": ours, "baseline": baseline, "baseline_name": baseline_name,
            "unit": unit, "ratio": ratio, "target": target,
            "met": None if target is None else ratio >= target, "note": note}


def bench_paginate(s: Setup, runs: int, limit: int) -> List[Row]:
    url = s.main.api_url + "/time_entries"
    with s.open_store() as store:
        api = s.api(store)

        def ours() -> int:
            n = 0
            for _ in api.paginate("/time_entries"):
                n += 1
            assert n == limit, (n, limit)
            return n

        session = s.session()

        def baseline() -> int:
            n = 0
            for _ in requests_paginate(session, url):
                n += 1
            assert n == limit, (n, limit)
            return n

        bodies = list(requests_pages_following(session, url))

        def floor() -> int:
            n = 0
            loads = json.loads
            for body in bodies:
                for _ in loads(body)[RESOURCE]:
                    n += 1
            assert n == limit, (n, limit)
            return n

        ours()  # warm: connections, the emulator's pages
        t = side_by_side(runs, {"ours": ours, "requests": baseline, "floor": floor})
        del bodies
    o, r, f = (limit / median(t[k]) for k in ("ours", "requests", "floor"))
    return [
        row("1", f"paginate {limit:,} entries into dicts (records/s)", o, r, "records/s",
            "requests + requests-oauthlib + json", 1.3,
            note=f"the best any client building dicts could do here is {f / r:.2f}× (the json.loads floor)"),
        row("1", f"paginate {limit:,} entries vs the json.loads floor (records/s)", o, f, "records/s",
            "json.loads alone on the same bytes", 0.85),
    ]


def requests_pages_following(session: Any, url: str) -> Any:
    next_url: Optional[str] = url
    while next_url:
        r = session.get(next_url)
        r.raise_for_status()
        body = r.content
        yield body
        next_url = json.loads(body)["links"]["next"]


def bench_latency(s: Setup, runs: int, limit: int, latency: float) -> List[Row]:
    url = s.main.api_url + "/time_entries"
    dumps = json.dumps
    s.main.call("set_faults", path_prefix="", page_latency=latency)
    try:
        with s.open_store() as store:
            api = s.api(store)

            def ours() -> int:
                n = 0
                for record in api.paginate("/time_entries"):
                    dumps(record)
                    n += 1
                assert n == limit
                return n

            session = s.session()

            def baseline() -> int:
                n = 0
                for record in requests_paginate(session, url):
                    dumps(record)
                    n += 1
                assert n == limit
                return n

            s.main.call("clear_faults")
            bodies = list(requests_pages_following(session, url))

            def consumer_only() -> int:  # the consumer's own work: no client can be faster
                n = 0
                loads = json.loads
                for body in bodies:
                    for record in loads(body)[RESOURCE]:
                        dumps(record)
                        n += 1
                assert n == limit
                return n

            s.main.call("set_faults", path_prefix="", page_latency=latency)
            t = side_by_side(runs, {"ours": ours, "requests": baseline, "consumer": consumer_only})
            del bodies
    finally:
        s.main.call("clear_faults")
    o, r, c = (limit / median(t[k]) for k in ("ours", "requests", "consumer"))
    what = f"paginate {limit:,} entries, {latency * 1000:.0f} ms added per page, json.dumps per record (records/s)"
    return [row("2", what, o, r, "records/s", "requests + requests-oauthlib + json", 1.8,
                note=f"the best any client could do here is {c / r:.2f}× (the consumer alone over pages in memory)"),
            row("2", what + " vs the consumer alone", o, c, "records/s",
                "json.loads + json.dumps over the same bytes in memory (1.00 = latency fully hidden)", None)]


EXPORT_BASELINE = '''
import json, sys
from requests_oauthlib import OAuth2Session
token = json.load(open(sys.argv[1]))
s = OAuth2Session(client_id="bench", token={"access_token": token["access_token"], "token_type": "Bearer"})
s.verify = sys.argv[4]
s.headers.update({"Harvest-Account-Id": token["account_id"], "User-Agent": sys.argv[5]})
url = sys.argv[2] + "/time_entries"
with open(sys.argv[3], "w", encoding="utf-8") as out:
    while url:
        r = s.get(url)
        r.raise_for_status()
        page = r.json()
        for record in page["time_entries"]:
            out.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False))
            out.write("\\n")
        url = page["links"]["next"]
'''


def bench_export(s: Setup, runs: int, limit: int, check: bool) -> List[Row]:
    script = s.workdir / "export_requests.py"
    script.write_text(EXPORT_BASELINE)
    cli = str(Path(sys.executable).parent / "harvest-connect")
    ours_out = s.workdir / "ours.jsonl"
    base_out = s.workdir / "requests.jsonl"
    env = s.env()
    ours_argv = [cli, "--store", str(s.store_path), "get", "bench", "/time_entries", "--all", "--output", str(ours_out)]
    base_argv = [sys.executable, str(script), str(s.token_file), s.main.api_url, str(base_out), s.ca_bundle,
                 USER_AGENT]
    # Each run writes a new file: the previous run's 200 MB output is removed untimed, so
    # neither side is charged for the kernel freeing it (about 0.3 s here, whoever replaces it).
    t = side_by_side(runs, {"ours": lambda: run_child(ours_argv, env), "requests": lambda: run_child(base_argv, env)},
                     before={"ours": lambda: ours_out.unlink(missing_ok=True),
                             "requests": lambda: base_out.unlink(missing_ok=True)})
    with open(ours_out, "rb") as f:
        n = sum(1 for _ in f)
    assert n == limit, (n, limit)
    note = ""
    if check:
        same = ours_out.read_bytes() == base_out.read_bytes()
        assert same, "the export and the requests script wrote different lines"
        note = "same bytes"
    ours_out.unlink(missing_ok=True)
    base_out.unlink(missing_ok=True)
    o, r = (limit / median(t[k]) for k in ("ours", "requests"))
    return [row("3", f"export {limit:,} entries to JSON Lines, process wall time (records/s)", o, r, "records/s",
                "requests + json.dumps script", 5.0, note=note)]


def bench_request_rate(s: Setup, runs: int, count: int) -> List[Row]:
    url = s.main.api_url + "/users/me"
    rows: List[Row] = []
    with s.open_store() as store:
        api = s.api(store)
        for threads, target in ((1, 2.0), (8, 4.0)):
            def ours() -> None:
                if threads == 1:
                    for _ in range(count):
                        api.get("/users/me")
                    return
                per = count // threads
                with concurrent.futures.ThreadPoolExecutor(threads) as pool:
                    list(pool.map(lambda _: [api.get("/users/me") for _ in range(per)], range(threads)))

            sessions = [s.session() for _ in range(threads)]

            def baseline() -> None:
                if threads == 1:
                    ses = sessions[0]
                    for _ in range(count):
                        r = ses.get(url)
                        r.raise_for_status()
                        r.json()
                    return
                per = count // threads

                def work(i: int) -> None:
                    ses = sessions[i]
                    for _ in range(per):
                        r = ses.get(url)
                        r.raise_for_status()
                        r.json()

                with concurrent.futures.ThreadPoolExecutor(threads) as pool:
                    list(pool.map(work, range(threads)))

            t = side_by_side(runs, {"ours": ours, "requests": baseline})
            done = count if threads == 1 else (count // threads) * threads
            o, r = (done / median(t[k]) for k in ("ours", "requests"))
            rows.append(row("4", f"{done:,} × GET /v2/users/me, {threads} thread{'s' if threads > 1 else ''} "
                            "(requests/s)", o, r, "requests/s", "requests + requests-oauthlib (a session per thread)",
                            target))
    return rows


COLD_OURS = '''
import sys
import harvest_connect as hc
with hc.Store.open(sys.argv[1]) as store:
    me = store.connection("bench").api().get("/users/me")
assert me["id"]
'''

COLD_BASELINE = '''
import json, sys
import requests
token = json.load(open(sys.argv[1]))
r = requests.get(sys.argv[2] + "/users/me", verify=sys.argv[3],
                 headers={"Authorization": "Bearer " + token["access_token"],
                          "Harvest-Account-Id": token["account_id"], "User-Agent": sys.argv[4]})
r.raise_for_status()
assert r.json()["id"]
'''


def bench_cold_start(s: Setup, runs: int) -> List[Row]:
    ours_script = s.workdir / "cold_ours.py"
    base_script = s.workdir / "cold_requests.py"
    ours_script.write_text(COLD_OURS + PEAK_FOOTER)
    base_script.write_text(COLD_BASELINE + PEAK_FOOTER)
    env = s.env()
    ours_argv = [sys.executable, str(ours_script), str(s.store_path)]
    base_argv = [sys.executable, str(base_script), str(s.token_file), s.main.api_url, s.ca_bundle, USER_AGENT]
    walls: Dict[str, List[float]] = {"ours": [], "requests": []}
    peaks: Dict[str, List[float]] = {"ours": [], "requests": []}
    run_child(ours_argv, env)  # warm the page cache for both
    run_child(base_argv, env)
    for i in range(runs):
        order = [("ours", ours_argv), ("requests", base_argv)]
        if i % 2:
            order.reverse()
        for name, argv in order:
            wall, peak, _ = run_child(argv, env)
            walls[name].append(wall)
            peaks[name].append(peak / 1024)
    return [
        row("5", "cold start: import, open store, decrypt, GET /users/me (process wall ms)",
            median(walls["ours"]) * 1000, median(walls["requests"]) * 1000, "ms",
            "import requests, token from a JSON file", 1.0, higher_is_better=False),
        row("5", "cold start: peak RSS (MiB)", median(peaks["ours"]), median(peaks["requests"]), "MiB",
            "import requests, token from a JSON file", 1.0, higher_is_better=False),
    ]


def openssl_speed(nbytes: int, seconds: int) -> Optional[float]:
    """openssl speed -evp aes-256-gcm at one size: operations per second."""
    if not shutil.which("openssl"):
        return None
    done = subprocess.run(["openssl", "speed", "-seconds", str(seconds), "-evp", "aes-256-gcm", "-bytes", str(nbytes)],
                          capture_output=True, text=True)
    out = done.stdout + done.stderr  # the "Doing ..." lines go to stderr
    # "Doing AES-256-GCM for 1s on 64 size blocks: 12345678 AES-256-GCM's in 0.99s"
    m = re.search(r"Doing \S+ for \S+ on \d+ size blocks: (\d+) \S+ in ([\d.]+)s", out)
    if not m:
        return None
    return int(m.group(1)) / float(m.group(2))


def crypto_bench_binary() -> Optional[Path]:
    for candidate in (ROOT / "build" / "cpp" / "tests" / "bench" / "crypto_bench",
                      ROOT / "build" / "bench" / "tests" / "bench" / "crypto_bench"):
        if candidate.exists():
            return candidate
    return None


def bench_store(s: Setup, runs: int, connections: int, quick: bool) -> List[Row]:
    import harvest_connect as hc

    rows: List[Row] = []
    path = s.workdir / "many" / "connections.db"
    key = hc.Key.generate()
    plain = s.workdir / "many-tokens.json"
    tokens = {}
    with hc.Store.open(str(path), key=key) as store:
        for i in range(connections):
            token = base64.urlsafe_b64encode(os.urandom(48)).decode()
            store.create_token_connection(f"c{i:05d}", access_token=token, account_id=str(100000 + i),
                                          user_agent=USER_AGENT, api_url=s.main.api_url, id_url=s.main.id_url)
            tokens[f"c{i:05d}"] = {"access_token": token, "account_id": str(100000 + i)}
    plain.write_text(json.dumps(tokens))

    def ours() -> None:
        with hc.Store.open(str(path), key=key) as store:
            problems = store.verify()  # opens every sealed field of every connection
            assert not problems, problems

    def baseline() -> None:
        with open(plain) as f:
            assert len(json.load(f)) == connections

    t = side_by_side(runs, {"ours": ours, "requests": baseline})
    o, b = median(t["ours"]) * 1000, median(t["requests"]) * 1000
    rows.append(row("6", f"open the store and decrypt {connections:,} connections (ms)", o, b, "ms",
                    "json.load of the same tokens in plain text (no target)", None, higher_is_better=False))

    binary = crypto_bench_binary()
    seconds = 1
    ref16 = openssl_speed(16, seconds)
    ref64 = openssl_speed(64, seconds)
    if binary is None or ref64 is None:
        rows.append({"id": "6", "what": "seal/open of 64-byte secrets", "ours": None, "baseline": None,
                     "baseline_name": "openssl speed", "unit": "ops/s", "ratio": None, "target": 1 / 3,
                     "met": None, "note": "skipped: build the crypto_bench target (make bench does)"})
        return rows
    seal: List[float] = []
    opened: List[float] = []
    for _ in range(1 if quick else 3):
        out = json.loads(subprocess.run([str(binary), "0.5" if quick else "1"], capture_output=True, text=True,
                                        check=True).stdout)
        seal.append(out["seal_per_s"])
        opened.append(out["open_per_s"])
    note = f"openssl speed -evp aes-256-gcm: {ref16:,.0f}/s at 16 B, {ref64:,.0f}/s at 64 B" if ref16 else ""
    rows.append(row("6", "seal a 64-byte secret (ops/s)", median(seal), ref64, "ops/s",
                    "openssl speed -evp aes-256-gcm -bytes 64", 1 / 3, note=note))
    rows.append(row("6", "open a 64-byte secret (ops/s)", median(opened), ref64, "ops/s",
                    "openssl speed -evp aes-256-gcm -bytes 64", 1 / 3, note=note))
    return rows


def bench_rate_budget(s: Setup, runs: int, count: int, limit: int, window: float) -> List[Row]:
    """Requests as fast as the budget allows. Efficiency = (count - limit) requests after the
    first window's burst, over the time they took, against limit/window."""
    url = s.limited.api_url + "/users/me"
    allowed = limit / window
    effs: Dict[str, List[float]] = {"ours": [], "requests": []}
    rejected: Dict[str, List[int]] = {"ours": [], "requests": []}
    with s.open_store() as store:
        api = s.api(store, "limited", rate_limit=(limit, window))

        def ours() -> None:
            for _ in range(count):
                api.get("/users/me")

        session = s.session(s.limited)

        def baseline() -> None:
            done = 0
            while done < count:
                r = session.get(url)
                if r.status_code == 429:  # what a careful requests user writes
                    time.sleep(float(r.headers.get("Retry-After", "1")))
                    continue
                r.raise_for_status()
                done += 1

        for i in range(runs):
            order = [("ours", ours), ("requests", baseline)]
            if i % 2:
                order.reverse()
            for name, fn in order:
                time.sleep(window * 1.1)  # a fresh window for each contestant
                before = s.limited.counters().get("rate_limited", 0)
                seconds, _ = timed(fn)
                after = s.limited.counters().get("rate_limited", 0)
                effs[name].append(((count - limit) / seconds) / allowed)
                rejected[name].append(after - before)
    o, b = median(effs["ours"]), median(effs["requests"])
    r = row("7", f"rate budget, {limit} per {window:g} s window, {count} requests: achieved/allowed", o, b,
            "fraction", "requests, sleeping Retry-After after each 429", None,
            note=f"429s: ours {max(rejected['ours'])}, requests {max(rejected['requests'])} (most in a run)")
    r["ratio"] = o
    r["target"] = 0.95
    r["met"] = o >= 0.95 and max(rejected["ours"]) == 0
    r["rejected_ours"] = rejected["ours"]
    r["rejected_requests"] = rejected["requests"]
    return [r]


# Both memory children sample their own (VmRSS, VmHWM) with this.
RSS_HELPER = '''
import json, sys

def rss():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return out["VmRSS"], out["VmHWM"]
'''

MEMORY_CHILD = RSS_HELPER + '''
import harvest_connect as hc

points = []
every = int(sys.argv[2])
with hc.Store.open(sys.argv[1]) as store:
    api = store.connection("bench").api(rate_limit=None)
    n = 0
    for record in api.paginate("/time_entries"):
        n += 1
        if n % every == 0:
            points.append((n,) + rss())
print(json.dumps({"records": n, "points": points}))
'''

MEMORY_BASELINE_CHILD = RSS_HELPER + '''
from requests_oauthlib import OAuth2Session

token = json.load(open(sys.argv[1]))
s = OAuth2Session(client_id="bench", token={"access_token": token["access_token"], "token_type": "Bearer"})
s.verify = sys.argv[3]
s.headers.update({"Harvest-Account-Id": token["account_id"], "User-Agent": sys.argv[4]})
url = sys.argv[2] + "/time_entries"
points = []
every = int(sys.argv[5])
n = 0
while url:
    r = s.get(url)
    page = json.loads(r.content)
    del r
    for record in page["time_entries"]:
        n += 1
        if n % every == 0:
            points.append((n,) + rss())
    url = page["links"]["next"]
print(json.dumps({"records": n, "points": points}))
'''


def bench_memory(s: Setup, runs: int, limit: int) -> List[Row]:
    ours_script = s.workdir / "memory_ours.py"
    base_script = s.workdir / "memory_requests.py"
    ours_script.write_text(MEMORY_CHILD + PEAK_FOOTER)
    base_script.write_text(MEMORY_BASELINE_CHILD + PEAK_FOOTER)
    env = s.env()
    results: Dict[str, List[Dict[str, Any]]] = {"ours": [], "requests": []}
    for _ in range(runs):
        every = str(max(1, limit // 10))
        for name, argv in (("ours", [sys.executable, str(ours_script), str(s.store_path), every]),
                           ("requests", [sys.executable, str(base_script), str(s.token_file), s.main.api_url,
                                         s.ca_bundle, USER_AGENT, every])):
            _, peak, out = run_child(argv, env)
            data = json.loads(out)
            assert data["records"] == limit
            data["peak_kib"] = peak
            results[name].append(data)

    def growth(data: Dict[str, Any]) -> Tuple[float, float, float]:
        pts = data["points"]
        # peak RSS (VmHWM) at the first sample point and at the end, in MiB
        first = pts[0][2] / 1024
        last = data["peak_kib"] / 1024
        return first, last, (last - first) / first if first else 0.0

    ours_g = [growth(d) for d in results["ours"]]
    base_g = [growth(d) for d in results["requests"]]
    o_first, o_last, o_growth = (median([g[i] for g in ours_g]) for i in range(3))
    b_first, b_last, _ = (median([g[i] for g in base_g]) for i in range(3))
    samples = ", ".join(f"{p[0] // 1000}k: {p[1] / 1024:.0f}" for p in results["ours"][0]["points"])
    r = row("8", f"peak RSS paging {limit:,} entries (MiB at the end)", o_last, b_last, "MiB",
            "requests + json, one page at a time", None, higher_is_better=False,
            note=f"ours: peak {o_first:.0f} MiB after the first tenth, {o_last:.0f} MiB at the end "
                 f"({o_growth * 100:+.1f}%); RSS by records (MiB) {samples}")
    r["growth"] = o_growth
    r["target"] = "flat (< 10% growth after the first 10% of pages)"
    r["met"] = o_growth < 0.10
    r["samples"] = {k: v for k, v in results.items()}
    return [r]


# --------------------------------------------------------------------------------------
# Tables (issue 15 §4): DataFrames built in C++ vs what users write with requests
# --------------------------------------------------------------------------------------
def requests_records(session: Any, url: str) -> List[Dict[str, Any]]:
    return list(requests_paginate(session, url))


def tables_libraries() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("pyarrow", "pandas", "polars"))


def bench_tables(s: Setup, runs: int, limit: int) -> List[Row]:
    import pandas as pd
    import polars as pl

    url = s.main.api_url + "/time_entries"
    with s.open_store() as store:
        api = s.api(store)
        session = s.session()

        def to_pandas() -> None:
            assert len(api.to_pandas("/time_entries")) == limit

        def to_polars() -> None:
            assert api.to_polars("/time_entries").height == limit

        def pandas_baseline() -> None:  # what users write today
            assert len(pd.json_normalize(requests_records(session, url))) == limit

        def polars_baseline() -> None:
            # infer_schema_length=None: with polars' default (the first 100 rows) the records
            # fail to load (locked_reason is null in the newest entries, a string further on).
            assert pl.DataFrame(requests_records(session, url), infer_schema_length=None).height == limit

        def to_arrow() -> None:
            assert api.to_arrow("/time_entries").num_rows == limit

        out = s.workdir / "tables.jsonl"

        def export() -> None:  # the engine moving the same pages' bytes, building nothing
            assert api.export_jsonl("/time_entries", str(out)) == limit

        to_arrow()  # warm: connections, the emulator's pages
        t = side_by_side(runs, {"to_pandas": to_pandas, "json_normalize": pandas_baseline, "to_polars": to_polars,
                                "polars": polars_baseline, "to_arrow": to_arrow, "export_jsonl": export},
                         before={"export_jsonl": lambda: out.unlink(missing_ok=True)})
        out.unlink(missing_ok=True)
    m = {k: median(v) for k, v in t.items()}
    return [
        row("9", f"to_pandas() of {limit:,} entries (s)", m["to_pandas"], m["json_normalize"], "s",
            "requests + pd.json_normalize(records)", 5.0, higher_is_better=False),
        row("9", f"to_polars() of {limit:,} entries (s)", m["to_polars"], m["polars"], "s",
            "requests + polars.DataFrame(records)", 3.0, higher_is_better=False,
            note=f"to_pandas() against the same baseline: {m['polars'] / m['to_pandas']:.2f}×"),
        row("10", f"to_arrow() of {limit:,} entries vs the engine's export_jsonl of the same pages (s)",
            m["to_arrow"], m["export_jsonl"], "s", "api.export_jsonl (moves the bytes, builds nothing)", 1 / 1.5,
            higher_is_better=False, note="target: within 1.5× (ratio ≥ 0.67)"),
    ]


TABLE_MEMORY_CHILD = RSS_HELPER + '''
import harvest_connect as hc
import pyarrow

with hc.Store.open(sys.argv[1]) as store:
    api = store.connection("bench").api(rate_limit=None)
    api.to_arrow("/clients")  # loads what building a table needs, before the baseline
    baseline = rss()[0]
    table = api.to_arrow("/time_entries")
    _, peak = rss()
    print(json.dumps({"rows": table.num_rows, "table_kib": table.nbytes / 1024, "baseline_kib": baseline,
                      "peak_kib": peak}))
'''


def bench_table_memory(s: Setup, runs: int, limit: int) -> List[Row]:
    script = s.workdir / "memory_table.py"
    script.write_text(TABLE_MEMORY_CHILD)
    results = []
    for _ in range(runs):
        _, _, out = run_child([sys.executable, str(script), str(s.store_path)], s.env())
        data = json.loads(out)
        assert data["rows"] == limit
        results.append(data)
    peak = median([d["peak_kib"] for d in results]) / 1024
    allowed = median([d["baseline_kib"] + 1.5 * d["table_kib"] for d in results]) / 1024
    table = median([d["table_kib"] for d in results]) / 1024
    base = median([d["baseline_kib"] for d in results]) / 1024
    r = row("11", f"peak RSS building a {limit:,}-row table with to_arrow() (MiB)", peak, allowed, "MiB",
            "baseline RSS + 1.5 × the table's size", 1.0, higher_is_better=False,
            note=f"table {table:.0f} MiB, process baseline {base:.0f} MiB; peak − baseline = "
                 f"{(peak - base) / table if table else 0:.2f}× the table")
    return [r]


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------
def machine() -> Dict[str, Any]:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    compiler = ""
    cxx = shutil.which("c++") or shutil.which("g++")
    if cxx:
        compiler = subprocess.run([cxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("openssl") else ""
    import requests

    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "compiler": compiler,
            "openssl": openssl, "requests": requests.__version__, "load_before": os.getloadavg(),
            "platform": platform.platform()}


def uptime() -> str:
    """What `uptime` prints (the load the figures were measured under), read in this process:
    the program itself deadlocked at start under the sanitized suite's LD_PRELOAD of ASan."""
    try:
        up = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return ""
    days, rest = divmod(int(up), 86400)
    hours, minutes = divmod(rest // 60, 60)
    since = (f"{days} day{'s' if days != 1 else ''}, " if days else "") + f"{hours}:{minutes:02d}"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{time.strftime('%H:%M:%S')} up {since}, load average: {load}"


def fmt(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    if unit in ("records/s", "requests/s", "ops/s"):
        return f"{value:,.0f}"
    if unit == "fraction":
        return f"{value:.3f}"
    return f"{value:,.1f}"


def markdown(rows: List[Row], info: Dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        "# harvest-connect benchmarks",
        "",
        f"`tests/bench/run.py{' --quick' if args.quick else ''}{' --smoke' if args.smoke else ''}`, "
        f"{info['when']}; medians of {args.runs} runs, each ratio against a baseline measured side by side.",
        f"Machine: {info['nproc']} CPUs ({info['cpu']}), Python {info['python']}, {info['compiler']}, "
        f"{info['openssl']}, requests {info['requests']}; load average before "
        f"{info['load_before'][0]:.2f}, after {info['load_after'][0]:.2f}"
        f" (`uptime` before: {info.get('uptime_before', '?')}; after: {info.get('uptime_after', '?')}).",
        "",
        *([f"Merged: {info['merged']}.", ""] if info.get("merged") else []),
        "| # | what | harvest-connect | baseline | baseline is | ratio | target | met |",
        "| --- | --- | ---: | ---: | --- | ---: | --- | --- |",
    ]
    for r in rows:
        target = r["target"]
        if isinstance(target, float):
            target_text = f"≥ {target:.2f}×" if r["id"] not in ("7", "13") else f"≥ {target:.2f}, no 429"
            if r["id"] in ("5",):
                target_text = "≤ baseline"
            if r["id"] == "10":
                target_text = "within 1.5×"
            if r["id"] == "11":
                target_text = "≤ baseline + 1.5 × table"
        else:
            target_text = str(target) if target is not None else "—"
        fraction = r["id"] in ("7", "13")  # achieved ÷ allowed, not a ratio of two measurements
        ratio = "—" if r["ratio"] is None else (f"{r['ratio']:.3f}" if fraction else f"{r['ratio']:.2f}×")
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        what = r["what"] + (f" — {r['note']}" if r.get("note") else "")
        lines.append(f"| {r['id']} | {what} | {fmt(r['ours'], r['unit'])} | {fmt(r['baseline'], r['unit'])} | "
                     f"{r['baseline_name']} | {ratio} | {target_text} | {met} |")
    lines += ["", "Ratios are harvest-connect ÷ baseline for rates, baseline ÷ harvest-connect for times and "
              "memory (above 1 is better), and achieved ÷ allowed rate for #7 and #13; #12's ratio is the storm's "
              "time over one process's (how much longer the last of N processes waits than a lone one).", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs and entries (about a minute)")
    parser.add_argument("--smoke", action="store_true", help="a few pages, one run: checks the harness works")
    parser.add_argument("--runs", type=int, default=0, help="repetitions per figure (default 5, quick 3, smoke 1)")
    parser.add_argument("--only", default="", help="comma-separated benchmark numbers, e.g. 1,4")
    parser.add_argument("--output-dir", default=str(HERE), help="where results.md and results.json go")
    parser.add_argument("--merge", action="store_true",
                        help="keep the figures of the existing results.json that this run does not measure "
                             "(e.g. with --only 12: the others stay as they were measured before)")
    args = parser.parse_args()
    args.runs = args.runs or (1 if args.smoke else 3 if args.quick else 5)
    entries = 6000 if args.smoke else 50_000 if args.quick else 200_000
    requests_count = 200 if args.smoke else 1000 if args.quick else 5000
    connections = 20 if args.smoke else 1000
    only = {x.strip() for x in args.only.split(",") if x.strip()}

    def wanted(n: str) -> bool:
        return not only or n in only

    info = machine()
    info["uptime_before"] = uptime()
    info["when"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    rows: List[Row] = []
    rate_limit, rate_window = 100, 1.5
    budget_requests = 60 if args.smoke else 400
    if args.smoke:
        rate_limit, rate_window = 20, 0.5
    with tempfile.TemporaryDirectory(prefix="hc-bench-") as tmp:
        workdir = Path(tmp)
        main_emu = Emulator(entries=entries, rate_limits=False, threads=2)
        limited = Emulator(entries=100, rate_limits=True, general_limit=rate_limit, general_window=rate_window,
                           threads=1)
        try:
            bundle = workdir / "ca-bundle.pem"
            bundle.write_text(Path(main_emu.ca_file).read_text() + Path(limited.ca_file).read_text())
            # Both clients trust only the emulators' CAs: SSL_CERT_FILE for the engine, verify= for
            # requests (whose REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE would override a session's verify).
            for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_DIR"):
                os.environ.pop(name, None)
            os.environ["SSL_CERT_FILE"] = str(bundle)
            s = Setup(workdir, main_emu, limited, bundle)
            steps: List[Tuple[str, Callable[[], List[Row]]]] = [
                ("1", lambda: bench_paginate(s, args.runs, entries)),
                ("2", lambda: bench_latency(s, max(1, min(args.runs, 3)), entries, 0.05)),
                ("3", lambda: bench_export(s, args.runs, entries, check=True)),
                ("4", lambda: bench_request_rate(s, args.runs, requests_count)),
                ("5", lambda: bench_cold_start(s, 3 if args.smoke else 11)),
                ("6", lambda: bench_store(s, args.runs, connections, args.quick or args.smoke)),
                ("7", lambda: bench_rate_budget(s, 1 if args.smoke else 3, budget_requests, rate_limit, rate_window)),
                ("8", lambda: bench_memory(s, 1 if args.smoke else 3, entries)),
                ("9", lambda: bench_tables(s, args.runs, entries)),
                ("11", lambda: bench_table_memory(s, 1 if args.smoke else 3, entries)),
                ("12", lambda: many_hosts.bench_many_hosts(s, 1 if args.smoke else 3, budget_requests, rate_limit,
                                                           rate_window, row)),
            ]
            for number, step in steps:
                if not wanted(number):
                    continue
                if number in ("9", "11") and not tables_libraries():
                    print(f"[{number}] skipped: needs pyarrow, pandas and polars (pip install -e '.[bench]')", flush=True)
                    continue
                started = time.perf_counter()
                new = step()
                rows += new
                for r in new:
                    print(f"[{number}] {r['what']}: ours {fmt(r['ours'], r['unit'])}, baseline "
                          f"{fmt(r['baseline'], r['unit'])}, ratio {r['ratio'] if r['ratio'] is None else round(r['ratio'], 3)}"
                          f" (target {r['target']}, met {r['met']})", flush=True)
                print(f"    ({time.perf_counter() - started:.1f} s)", flush=True)
        finally:
            main_emu.close()
            limited.close()
    info["load_after"] = os.getloadavg()
    info["uptime_after"] = uptime()
    out = Path(args.output_dir)
    if args.merge and not args.smoke and (out / "results.json").exists():
        before = json.loads((out / "results.json").read_text())
        measured = {r["id"] for r in rows}
        kept = [r for r in before["results"] if r["id"] not in measured]
        rows = sorted(kept + rows, key=lambda r: int(re.sub(r"\D", "", str(r["id"])) or 0))
        info["merged"] = (f"figures {', '.join('#' + i for i in sorted(measured, key=int))} measured {info['when']}; "
                          f"the others kept from the run of {before['machine'].get('when', '?')}")
    if not args.smoke:
        (out / "results.json").write_text(json.dumps({"machine": info, "args": vars(args), "results": rows},
                                                     indent=2, default=str) + "\n")
        (out / "results.md").write_text(markdown(rows, info, args))
        print(f"wrote {out / 'results.md'} and {out / 'results.json'}")
    missed = [r for r in rows if r["met"] is False]
    print(f"{len(rows) - len(missed)} of {len(rows)} figures meet their targets" if rows else "nothing measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
