"""The connection form in a real notebook and a real browser (issue 16 §4).

JupyterLab (from PyPI) runs on 127.0.0.1 with a random token (in a config file, never in
argv), a temporary root, HOME and Jupyter directories; Debian's Chromium, driven by Playwright
with ``executable_path``, opens a notebook whose first cell shows
``hc.notebook.connection_form(...)``, fills the form, clicks *Save and authorize*, follows the
link to the emulator's consent page in a second tab, signs in and authorizes, and comes back:
the status says authorized and online with the user's name. Then the notebook is saved (with
Lab's "save widget state" on) and the saved file and Lab's log are scanned for every secret.

The kernel counts as local: the browser runs on the same computer, so the loopback receiver
on 127.0.0.1 gets the redirect. (This machine has no display, so ``browser_is_remote()`` would
say remote; the notebook passes ``remote=False``, as a user on a desktop gets by default.)

The ID service is reached through a recording proxy: it sees the code, the state and both
tokens on their way, which is how this test knows the exact values to scan for (the store never
gives tokens out). The API itself is the emulator's HTTPS, verified with its ``ca_file``.
"""

from __future__ import annotations

import http.server
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Set

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("jupyterlab")
from playwright.sync_api import Locator, Page, expect, sync_playwright  # noqa: E402

import harvest_connect as hc  # noqa: E402
from harvest_connect.testing import HarvestEmulator  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "notebook-browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run"]
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


# --- the ID service behind a recording proxy ------------------------------------------------

class RecordingProxy:
    """Forwards every request on 127.0.0.1 to the emulator's ID service (HTTPS, its CA) and
    records the bodies both ways; redirects are passed on, not followed."""

    def __init__(self, emu: HarvestEmulator) -> None:
        self.bodies: List[str] = []
        target, context, proxy = emu.id_url, emu.ssl_context(), self

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                proxy.bodies.append(body.decode(errors="replace"))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("content-type", "user-agent", "authorization", "accept", "cookie")}
                req = urllib.request.Request(target + self.path, data=body if self.command == "POST" else None,
                                             headers=headers, method=self.command)
                try:
                    with opener.open(req, timeout=20) as r:
                        status, answer, answer_headers = r.status, r.read(), r.headers
                except urllib.error.HTTPError as e:
                    status, answer, answer_headers = e.code, e.read(), e.headers
                proxy.bodies.append(answer.decode(errors="replace"))
                self.send_response(status)
                for name in ("Content-Type", "Location", "Set-Cookie", "Cache-Control"):
                    for value in answer_headers.get_all(name) or []:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _forward  # noqa: N815 - http.server's naming

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def tokens(self) -> Set[str]:
        """The access and refresh tokens the token endpoint answered with."""
        found: Set[str] = set()
        for body in self.bodies:
            try:
                answer = json.loads(body)
            except ValueError:
                continue
            if isinstance(answer, dict):
                found.update(str(answer[k]) for k in ("access_token", "refresh_token") if answer.get(k))
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


# --- JupyterLab --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def descendants(pid: int) -> List[int]:
    """Every process below ``pid`` (the kernels Lab started), from /proc."""
    children: Dict[int, List[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Lab:
    def __init__(self, base: Path, extra_env: Dict[str, str]) -> None:
        self.token = secrets.token_urlsafe(32)
        self.port = free_port()
        self.root = base / "root"
        config, settings = base / "jupyter-config", base / "lab-settings"
        for d in (self.root, config, settings / "@jupyter-widgets" / "jupyterlab-manager", base / "home"):
            d.mkdir(parents=True)
        # The token goes in a config file: argv is visible to every user of the machine.
        (config / "jupyter_server_config.json").write_text(json.dumps({
            "IdentityProvider": {"token": self.token},
            "ServerApp": {"ip": "127.0.0.1", "port": self.port, "port_retries": 0, "open_browser": False,
                          "root_dir": str(self.root), "allow_root": os.geteuid() == 0},  # CI runs as root
            # No updates, news or extension index looked up: tests never reach the internet.
            "LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
                       "extension_manager": "readonly", "expose_app_in_browser": True},
        }))
        # Lab saves the widgets' state into the notebook only with this setting on: on, so that
        # the scan covers that state too.
        (settings / "@jupyter-widgets" / "jupyterlab-manager" / "plugin.jupyterlab-settings").write_text(
            json.dumps({"saveState": True}))
        (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True)
        (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false"}))
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "HARVEST_CONNECT_", "SSH_")) and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        env.update({"HOME": str(base / "home"), "JUPYTER_CONFIG_DIR": str(config),
                    "JUPYTER_DATA_DIR": str(base / "jupyter-data"), "JUPYTER_RUNTIME_DIR": str(base / "jupyter-runtime"),
                    "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(base / "lab-workspaces"),
                    "IPYTHONDIR": str(base / "ipython"), "JUPYTER_PLATFORM_DIRS": "1"})
        env.update(extra_env)
        self.log_path = base / "lab.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "jupyterlab"], env=env, cwd=str(self.root),
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"JupyterLab exited ({self.proc.returncode}): {self.log()[-3000:]}")
            req = urllib.request.Request(self.url + "/api/status", headers={"Authorization": f"token {self.token}"})
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            try:  # the poll interval: also notices at once when Lab exits
                self.proc.wait(0.2)
            except subprocess.TimeoutExpired:
                pass
        raise AssertionError(f"JupyterLab did not answer within {timeout} s: {self.log()[-3000:]}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def _api(self, method: str, path: str) -> bytes:
        req = urllib.request.Request(self.url + path, method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=20) as r:
            return bytes(r.read())

    def stop(self) -> None:
        """Stops the kernels and Lab, and then anything they left, also when the test failed."""
        below = descendants(self.proc.pid)
        if self.proc.poll() is None:
            try:  # the kernels first, through Lab's API: their clean shutdown
                for kernel in json.loads(self._api("GET", "/api/kernels")):
                    self._api("DELETE", f"/api/kernels/{kernel['id']}")
            except (urllib.error.URLError, OSError, ValueError):
                pass  # Lab is not answering: the kill below still ends every process
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        below += [pid for pid in descendants(self.proc.pid) if pid not in below]
        for pid in below:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in below):
            time.sleep(0.05)  # poll interval, bounded by the deadline: SIGKILL takes effect at once
        self._log.close()
        left = [pid for pid in below if alive(pid)]
        assert not left, f"processes left behind by JupyterLab: {left}"


# --- fixtures ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def chromium_works() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (scripts/install-deps.sh chromium installs it)")


@pytest.fixture
def emu(emulator: Callable[..., HarvestEmulator]) -> HarvestEmulator:
    return emulator(tls=True, entries=5, rate_limits=False)


@pytest.fixture
def proxy(emu: HarvestEmulator) -> Iterator[RecordingProxy]:
    p = RecordingProxy(emu)
    yield p
    p.close()


@pytest.fixture
def harvest_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dict[str, str]:
    """The store and its key file, in temp paths the kernel (through Lab) and this process share."""
    env = {"HARVEST_CONNECT_HOME": str(tmp_path / "hc-home"),
           "HARVEST_CONNECT_KEY_FILE": str(tmp_path / "hc-key" / "key")}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    # The user's one-time step before the first store: a master key in a key file.
    subprocess.run([sys.executable, "-m", "harvest_connect.cli", "key", "generate", "--output",
                    env["HARVEST_CONNECT_KEY_FILE"]], check=True, capture_output=True, timeout=60,
                   stdin=subprocess.DEVNULL)
    return env


@pytest.fixture
def lab(tmp_path: Path, harvest_home: Dict[str, str]) -> Iterator[Lab]:
    server = Lab(tmp_path / "lab", harvest_home)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def write_notebook(path: Path, emu: HarvestEmulator, proxy: RecordingProxy) -> None:
    source = ("import harvest_connect as hc\n"
              "store = hc.Store.open()  # HARVEST_CONNECT_HOME and HARVEST_CONNECT_KEY_FILE: temp paths\n"
              "# The browser runs on this computer: the loopback receiver gets the redirect.\n"
              f"hc.notebook.connection_form(store, api_url={emu.api_url!r}, id_url={proxy.url!r},\n"
              f"                            ca_file={emu.ca_file!r}, remote=False, timeout=120)")
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "form", "metadata": {}, "outputs": [],
                     "source": source}],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


def query(url: str) -> Dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


# True once the open notebook's kernel is connected and idle (the app is exposed to the page
# by Lab's expose_app_in_browser setting, above).
KERNEL_READY = """() => {
  const app = window.jupyterapp;
  const widget = app && app.shell.currentWidget;
  const kernel = widget && widget.sessionContext && widget.sessionContext.session &&
                 widget.sessionContext.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}"""


def field(page: Page, label: str) -> Locator:
    return page.locator(f".widget-inline-hbox:has(> label:text-is('{label}')) input")


def wait_for_file(path: Path, needle: str, timeout: float = 30) -> bytes:
    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        data = path.read_bytes()
        if needle.encode() in data:
            return data
        time.sleep(0.2)  # poll interval, bounded by the deadline
    raise AssertionError(f"{path.name} was not saved with {needle!r} within {timeout} s")


# --- the test ----------------------------------------------------------------------------

def test_form_in_jupyterlab_saves_authorizes_and_leaves_no_secret(chromium_works, emu, proxy, harvest_home, lab):
    app = emu.register_app("Notebook app", "http://127.0.0.1")
    user = emu.default_user()
    account_id = str(emu.account_id)
    notebook = lab.root / "connect.ipynb"
    write_notebook(notebook, emu, proxy)
    SHOTS.mkdir(parents=True, exist_ok=True)
    seen: Dict[str, str] = {}
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        try:
            page.goto(f"{lab.url}/lab/tree/connect.ipynb?token={lab.token}", timeout=60_000)
            # A cell run before the notebook's kernel is connected and idle is dropped (seen on
            # a cold start): wait for the kernel itself, not only the page.
            page.wait_for_function(KERNEL_READY, timeout=120_000)
            cell = page.locator(".jp-Notebook .jp-Cell .cm-content").first
            cell.click(timeout=60_000)
            page.keyboard.press("Shift+Enter")
            expect(field(page, "Name *")).to_be_visible(timeout=90_000)

            field(page, "Name *").fill("acme")
            page.locator(".widget-inline-hbox:has(> label:text-is('OAuth 2.0 client')) select").select_option(
                label="New client…")
            field(page, "Client name *").fill("notebook-app")
            field(page, "Client ID *").fill(app.client_id)
            field(page, "Client secret *").fill(app.client_secret)
            field(page, "Account ID *").fill(account_id)
            page.get_by_role("button", name="Save and authorize").click()

            link = page.get_by_role("link", name="Authorize at Harvest")
            expect(link).to_be_visible(timeout=30_000)
            expect(page.get_by_text("waiting for Harvest")).to_be_visible(timeout=10_000)
            href = str(link.get_attribute("href"))
            assert href.startswith(proxy.url + "/oauth2/authorize?"), href
            seen["state"] = query(href)["state"]
            with context.expect_page(timeout=30_000) as opened:
                link.click()
            consent = opened.value
            consent.wait_for_load_state("load", timeout=30_000)
            assert "Authorize application" in consent.title()
            consent.fill("#email", str(user["email"]))
            consent.fill("#password", str(user["password"]))
            with consent.expect_navigation(url="http://127.0.0.1:*/callback*", timeout=30_000):
                consent.click("button[value='authorize']")
            consent.wait_for_load_state("load", timeout=30_000)
            seen["code"] = query(consent.url)["code"]
            assert consent.title() == "Authorization complete"
            consent.close()

            name = f"{user['first_name']} {user['last_name']}"
            expect(page.get_by_text(f"authorized · online as {name}")).to_be_visible(timeout=60_000)
            expect(link).to_have_count(0)
            page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
            saved = wait_for_file(notebook, WIDGET_STATE)
            page.screenshot(path=str(SHOTS / "authorized.png"), full_page=True)
        except BaseException:
            for i, pg in enumerate(context.pages):
                try:
                    pg.screenshot(path=str(SHOTS / f"failure-{i}.png"), full_page=True)
                except Exception:  # noqa: BLE001 - the test's own error matters more
                    pass
            raise
        finally:
            browser.close()
    elapsed = time.monotonic() - started

    with hc.Store.open() as store:
        conn = store.connection("acme")
        assert conn.status == "authorized" and conn.has_tokens and conn.oauth_client == "notebook-app"
    tokens = proxy.tokens()
    assert len(tokens) == 2, "the token endpoint answered without an access and a refresh token"
    assert any(seen["code"] in body for body in proxy.bodies)  # the proxy did see the code

    # The saved notebook holds the form's output and the widgets' state, and no secret.
    nb = json.loads(saved)
    state = json.dumps(nb["metadata"]["widgets"][WIDGET_STATE])
    assert "online as" in state and nb["cells"][0]["outputs"], "the saved notebook lacks the form's state"
    log = lab.log().encode()
    for label, secret in [("client secret", app.client_secret), ("account ID", account_id),
                          ("code", seen["code"]), ("state", seen["state"])] + [("token", t) for t in tokens]:
        assert secret.encode() not in saved, f"the saved notebook holds the {label}"
        assert secret.encode() not in log, f"JupyterLab's log holds the {label}"
    print(f"\nbrowser part of the notebook test: {elapsed:.1f} s")
