"""``harvest-connect demo``: the whole journey against a local Harvest emulator, in seconds.

1. starts the emulator (HTTPS on 127.0.0.1 with a CA generated for the run);
2. creates a temporary store and master key;
3. registers an OAuth app at the emulator, then the OAuth client and a connection;
4. *Save and authorize*: the real loopback receiver waits for the redirect while the demo
   plays the browser (it clicks *Authorize application* through the emulator and follows
   the redirect to the receiver);
5. tests the connection, pages through every time entry and prints hours by project;
6. shows that the account ID, the client secret and the tokens are sealed on disk;
7. removes everything unless ``--keep``.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Dict, Optional, TextIO

from . import _core, authorization
from .testing import HarvestEmulator

__all__ = ["run"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bar(value: float, largest: float, width: int = 30) -> str:
    if largest <= 0:
        return ""
    cells = value / largest * width
    full = int(cells)
    return "█" * full + ("▌" if cells - full >= 0.5 else "")


def hours_table(hours: Dict[str, float], width: int = 30, top: int = 12) -> str:
    """Hours by project as a table with a bar each, largest first (the rest summed up)."""
    rows = sorted(hours.items(), key=lambda kv: (-kv[1], kv[0]))
    others = None
    if len(rows) > top + 1:
        others = (f"({len(rows) - top} other projects)", sum(v for _, v in rows[top:]))
        rows = rows[:top]
    name_width = max([len("project")] + [len(n) for n, _ in rows + ([others] if others else [])])
    largest = rows[0][1] if rows else 0.0
    lines = [f"{'project':<{name_width}}  {'hours':>9}", f"{'-' * name_width}  {'-' * 9}"]
    for name, value in rows:
        lines.append(f"{name:<{name_width}}  {value:>9,.2f}  {_bar(value, largest, width)}")
    if others:
        lines.append(f"{others[0]:<{name_width}}  {others[1]:>9,.2f}")
    lines.append(f"{'total':<{name_width}}  {sum(hours.values()):>9,.2f}")
    return "\n".join(lines)


class _Browser:
    """Plays the user's browser: consent at the emulator, then the redirect to the receiver."""

    def __init__(self, harvest: HarvestEmulator) -> None:
        self.harvest = harvest
        self.error: Optional[BaseException] = None
        self.thread: Optional[threading.Thread] = None

    def __call__(self, url: str) -> bool:
        def browse() -> None:
            try:
                redirected = self.harvest.approve(url)  # sign in, click "Authorize application"
                # Follow the redirect to the loopback receiver, as a browser would.
                with urllib.request.urlopen(redirected, timeout=30) as answer:  # noqa: S310 - loopback only
                    answer.read()
            except BaseException as exc:  # reported by the demo after authorize()
                self.error = exc

        self.thread = threading.Thread(target=browse, name="demo-browser", daemon=True)
        self.thread.start()
        return True


def _sealed_report(store: _core.Store, connection: str, out: TextIO) -> bool:
    findings = _core._scan_store_for_secrets(store, connection)
    all_sealed = True
    for what, found in findings:
        state = "FOUND IN CLEAR" if found else "not found in clear"
        all_sealed = all_sealed and not found
        print(f"  {what:<16} {state}", file=out)
    return all_sealed


def run(*, keep: bool = False, entries: int = 5000, out: TextIO = sys.stdout) -> int:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="harvest-connect-demo-"))
    saved_env = {k: os.environ.get(k) for k in ("SSL_CERT_FILE", "HARVEST_CONNECT_HOME")}
    saved_hook = authorization.open_browser_hook
    ok = False
    try:
        print("harvest-connect demo: the whole journey against a local Harvest emulator\n", file=out)
        with HarvestEmulator(entries=entries) as harvest:
            # Trust the emulator's freshly generated CA (and only for this process).
            os.environ["SSL_CERT_FILE"] = harvest.ca_file
            os.environ["HARVEST_CONNECT_HOME"] = str(workdir)
            print(f"1. emulator        {harvest.api_url} ({harvest.time_entry_count():,} time entries)", file=out)

            key = _core.Key.generate()
            if keep:
                _core._write_key_file(str(workdir / "master.key"), key)
            store_path = workdir / "store.db"
            with _core.Store.open(store_path, key=key) as store:
                print(f"2. store           {store_path if keep else 'a temporary store'} (key id {key.id})", file=out)

                redirect = f"http://127.0.0.1:{_free_port()}/callback"
                app = harvest.register_app("harvest-connect demo", redirect)
                store.create_oauth_client("demo-app", client_id=app.client_id, client_secret=app.client_secret,
                                          redirect_uri=redirect)
                account_id = str(harvest.account_id)
                conn = store.create_connection("demo", oauth_client="demo-app", account_id=account_id,
                                               api_url=harvest.api_url, id_url=harvest.id_url,
                                               user_agent="harvest-connect demo (https://pypi.org/project/harvest-connect/)")
                print(f"3. OAuth client    {app.name!r} registered; connection 'demo' created ({conn.status})", file=out)

                # No real browser here: the demo stands in for one (and for the user signing in).
                print("   Save and authorize: the demo plays the browser, opens the consent page and clicks "
                      "'Authorize application'", file=out)
                browser = _Browser(harvest)
                authorization.open_browser_hook = browser
                conn.authorize(open_browser=True, timeout=60)
                if browser.thread is not None:
                    browser.thread.join(timeout=30)
                if browser.error is not None:
                    raise browser.error
                conn = store.connection("demo")
                print(f"4. authorized      through the loopback receiver at {redirect} ({conn.status})", file=out)

                result = conn.test()
                print(f"5. test            {'online' if result.ok else 'offline'}: {result.message}", file=out)
                if not result.ok:
                    return 1

                t0 = time.monotonic()
                hours: Dict[str, float] = defaultdict(float)
                count = 0
                for entry in conn.api().paginate("/time_entries"):
                    hours[entry["project"]["name"]] += float(entry["hours"])
                    count += 1
                took = time.monotonic() - t0
                print(f"6. time entries    {count:,} paged in {took:.2f} s\n", file=out)
                print(hours_table(hours), file=out)

                print("\n7. sealed on disk (a byte scan of the database, its journal and WAL):", file=out)
                ok = _sealed_report(store, "demo", out)
        elapsed = time.monotonic() - started
        print(f"\ndone in {elapsed:.1f} s.", file=out)
        if keep:
            print(f"kept: {workdir} (store.db, master.key); remove it when done", file=out)
        else:
            print("nothing was left behind (use --keep to keep the store and key).", file=out)
        return 0 if ok else 1
    finally:
        authorization.open_browser_hook = saved_hook
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
