"""docs/getting-started.md followed as a newcomer would, so that the page cannot rot.

Every block of the page marked ``newcomer`` runs word for word, in the page's order, in a
fresh HOME (so the default store and key file are the ones the page describes): shell blocks
in bash under a pseudo-terminal, so the hidden prompts are the real ones; Python blocks with
this interpreter. Harvest is the project's emulator.

What the test does besides, and only that: it types the secrets at the prompts; it replaces
the page's ``<CLIENT_ID>`` as the reader does; it points each connection the page creates at
the emulator (Harvest's own hosts are not reachable from tests; the page's commands create
connections to them); and it plays the user at the browser: it approves the printed address
at the emulator and pastes the address it lands on, as the page says to do without a browser.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import pytest

import harvest_connect as hc
from harvest_connect.testing import HarvestEmulator

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "getting-started.md"
BLOCK = re.compile(r"^```(sh|python) newcomer\n(.*?)^```", re.S | re.M)


def newcomer_blocks() -> List[Tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(PAGE.read_text(encoding="utf-8"))]


def run_in_terminal(script: str, env: Dict[str, str], cwd: Path, answers: Dict[str, str],
                    on_output: Optional[Callable[[str], Optional[str]]] = None,
                    timeout: float = 120.0) -> Tuple[int, str]:
    """Runs ``bash -e -c script`` on a pseudo-terminal that is its controlling terminal (so
    getpass prompts there), typing answers[prompt] each time a prompt appears and whatever
    on_output returns for the output so far; returns the exit status and everything shown.

    setsid(1) makes the terminal the controlling one, instead of pty.fork(): the emulator's
    threads run in this process, and forking a threaded process is unsafe (Python 3.12 warns)."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(["setsid", "--wait", "--ctty", "bash", "-e", "-c", script], cwd=cwd, env=env,
                                stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    finally:
        os.close(slave)
    shown = ""
    seen = 0      # the output up to here has been answered
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the block did not finish within {timeout} s; the terminal showed:\n{shown}")
            ready, _, _ = select.select([master], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every process on the terminal has closed it
                break
            if not chunk:
                break
            shown += chunk.decode("utf-8", "replace")
            while True:
                hits = [(shown.find(p, seen), p) for p in answers if shown.find(p, seen) >= 0]
                if not hits:
                    break
                at, prompt = min(hits)
                seen = at + len(prompt)
                os.write(master, (answers[prompt] + "\n").encode())
            if on_output is not None:
                reply = on_output(shown)
                if reply is not None:
                    seen = len(shown)
                    os.write(master, (reply + "\n").encode())
        return proc.wait(timeout=max(deadline - time.monotonic(), 1.0)), shown
    finally:
        if proc.poll() is None:  # timed out or failed: stop it
            proc.kill()
            proc.wait()
        os.close(master)


@pytest.fixture
def newcomer(tmp_path: Path,
             emulator: Callable[..., HarvestEmulator]) -> Tuple[Path, Dict[str, str], HarvestEmulator]:
    """A fresh HOME with no harvest-connect variables, harvest-connect on PATH, and the emulator."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HARVEST_CONNECT_", "XDG_")) and k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    env.update(HOME=str(home), BROWSER="false", TERM="dumb",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")]))
    return home, env, emulator(tls=False, entries=300, rate_limits=False)


def open_default_store(home: Path) -> hc.Store:
    """The store and key where the page says they are."""
    return hc.Store.open(home / ".local/share/harvest-connect/store.db",
                         key_file=str(home / ".config/harvest-connect/master.key"))


def point_at_emulator(home: Path, name: str, emu: HarvestEmulator) -> None:
    with open_default_store(home) as store:
        store.update_connection(name, account_id=str(emu.account_id), api_url=emu.api_url, id_url=emu.id_url)


def test_the_page_marks_its_commands() -> None:
    kinds = [kind for kind, _ in newcomer_blocks()]
    assert kinds == ["sh", "sh", "python", "sh", "sh", "sh"], kinds


def test_a_newcomer_follows_the_page(newcomer: Tuple[Path, Dict[str, str], HarvestEmulator]) -> None:
    home, env, emu = newcomer
    work = home / "work"
    work.mkdir()
    pat_add, pat_use, pat_python, oauth_add, oauth_authorize, key_check = (code for _, code in newcomer_blocks())
    account_id = str(emu.account_id)
    token = emu.create_personal_access_token()

    def shell(block: str, answers: Dict[str, str],
              on_output: Optional[Callable[[str], Optional[str]]] = None) -> str:
        code, shown = run_in_terminal(block, env, work, answers, on_output)
        assert code == 0, f"exit status {code}; the terminal showed:\n{shown}"
        return shown

    # 2. The quick path: a personal access token.
    shown = shell(pat_add, {"Harvest account ID: ": account_id, "personal access token: ": token})
    assert "added connection 'my-harvest'" in shown
    assert token not in shown and account_id not in shown  # hidden prompts echo nothing
    point_at_emulator(home, "my-harvest", emu)
    shown = shell(pat_use, {})
    assert "my-harvest: online" in shown, shown
    assert '"email"' in shown  # the /users/me answer
    assert len((work / "time_entries.jsonl").read_text().splitlines()) > 0

    python = subprocess.run([sys.executable, "-c", pat_python], cwd=work, env=env, capture_output=True,
                            text=True, timeout=120)
    assert python.returncode == 0, python.stderr
    assert "signed in as" in python.stdout and "hours since 1 January 2024" in python.stdout

    # 3. The OAuth path: an application registered with the recommended Redirect URL.
    app = emu.register_app("Acme Reports", "http://127.0.0.1")
    assert "**Redirect URL**: `http://127.0.0.1`" in PAGE.read_text(encoding="utf-8")
    assert "<CLIENT_ID>" in oauth_add
    shown = shell(oauth_add.replace("<CLIENT_ID>", app.client_id),
                  {"client secret: ": app.client_secret, "Harvest account ID: ": account_id})
    assert "added OAuth client 'harvest-app'" in shown and "added connection 'acme'" in shown
    assert app.client_secret not in shown
    point_at_emulator(home, "acme", emu)

    pasted: List[str] = []

    def browser(shown: str) -> Optional[str]:
        # The address authorize prints: the user approves at Harvest and pastes the address
        # the browser lands on, once authorize asks for it.
        m = re.search(re.escape(emu.authorize_url) + r"\?\S+", shown)
        if pasted or m is None or "paste the address" not in shown[m.end():]:
            return None
        pasted.append(emu.approve(m.group(0)))
        return pasted[0]

    shown = shell(oauth_authorize, {}, browser)
    assert pasted, shown
    assert "connection 'acme' is authorized" in shown and "acme: online" in shown, shown

    # 4. The master key: where the page says, and doctor finds nothing wrong.
    key_file = home / ".config/harvest-connect/master.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    shown = shell(key_check, {})
    assert "key id" in shown, shown
    assert str(home / ".local/share/harvest-connect/store.db") in shown.replace("\r\n", "")
