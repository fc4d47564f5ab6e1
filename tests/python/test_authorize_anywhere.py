"""Authorization where the browser is not on this computer: a Jupyter kernel on JupyterHub or
over SSH (the paste flow through input(), never sys.stdin) and `harvest-connect authorize
--paste` on a terminal without a browser."""

from __future__ import annotations

import contextlib
import html
import io
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Iterator

import pytest

import harvest_connect as hc
from harvest_connect import authorization

from _oauth_support import make_cli_home, make_setup, printed_url, query


class _Unreadable(io.StringIO):
    """A kernel's sys.stdin: reading it is the bug this file guards against."""

    def readline(self, *args: object) -> str:  # type: ignore[override]
        raise AssertionError("sys.stdin was read in a kernel")

    def fileno(self) -> int:
        raise AssertionError("sys.stdin was polled in a kernel")


@pytest.fixture
def fake_kernel(monkeypatch):
    """What in_kernel() sees in Jupyter: ipykernel loaded, get_ipython() a shell with a kernel;
    IPython.display records the HTML the notebook would show (shell.shown)."""
    shell = types.SimpleNamespace(kernel=object(), shown=[])
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: shell  # type: ignore[attr-defined]
    display = types.ModuleType("IPython.display")
    display.HTML = lambda markup: markup  # type: ignore[attr-defined]
    display.display = shell.shown.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    monkeypatch.setattr(sys, "stdin", _Unreadable())
    return shell


def test_in_kernel_needs_ipykernel_and_a_shell_with_a_kernel(monkeypatch):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert not authorization.in_kernel()
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: types.SimpleNamespace()  # type: ignore[attr-defined]  # a terminal IPython
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    assert not authorization.in_kernel()
    ipython.get_ipython = lambda: types.SimpleNamespace(kernel=object())  # type: ignore[attr-defined]
    assert authorization.in_kernel()


@pytest.mark.parametrize("env, remote", [
    ({"JUPYTERHUB_USER": "ann", "DISPLAY": ":0"}, True),
    ({"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22", "DISPLAY": ":0"}, True),
    ({"SSH_TTY": "/dev/pts/1", "WAYLAND_DISPLAY": "wayland-0"}, True),
    ({"DISPLAY": ":0"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0"}, False),
])
def test_remote_browser_is_a_hub_an_ssh_session_or_no_display(env, remote):
    assert authorization.browser_is_remote(env) is remote


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display rule is Linux's")
def test_no_display_on_linux_is_a_remote_browser():
    assert authorization.browser_is_remote({})


def test_remote_kernel_authorizes_through_input_never_stdin(emu, store, fake_kernel, monkeypatch):
    s = make_setup(emu, store)
    monkeypatch.setenv("JUPYTERHUB_USER", "ann")

    def no_browser(url: str) -> bool:
        raise AssertionError("a remote kernel opened a browser on the server")

    monkeypatch.setattr(authorization, "open_browser_hook", no_browser)
    seen = []

    def user_pastes(prompt: str) -> str:
        links = re.findall(r'href="([^"]+)"', "".join(fake_kernel.shown))  # the clickable link
        assert len(links) == 1
        url = html.unescape(links[0])
        seen.append(url)
        return emu.approve(url)  # the user approves in their browser and pastes where it ended up

    monkeypatch.setattr(authorization, "read_line", user_pastes)
    s.conn.authorize(timeout=5)  # the loopback flow would time out after 5 s: it is not used
    assert s.conn.status == "authorized"
    assert store.connection("acme").has_tokens
    assert "redirect_uri" in query(seen[0])


def test_remote_kernel_with_nothing_pasted_keeps_the_connection_as_it_was(emu, store, fake_kernel, monkeypatch):
    s = make_setup(emu, store)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    monkeypatch.setattr(authorization, "read_line", lambda prompt: "")
    with pytest.raises(hc.AuthorizationError, match="no address was pasted"):
        s.conn.authorize(timeout=5)
    assert s.snapshot()[:3] == ("not_authorized", False, None)


def test_local_kernel_uses_the_loopback_receiver_and_never_reads_stdin(emu, store, fake_kernel, monkeypatch):
    s = make_setup(emu, store)
    for var in [v for v in os.environ if v.startswith(("JUPYTERHUB_", "SSH_"))]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(authorization, "read_line", lambda prompt: pytest.fail("asked to paste on a local kernel"))
    monkeypatch.setattr(authorization, "open_browser_hook", s.browser)
    s.conn.authorize(timeout=20)
    assert s.conn.status == "authorized"


# --- harvest-connect authorize --paste ---------------------------------------------------

@pytest.fixture
def home(tmp_path, emu):
    return make_cli_home(tmp_path / "home", emu, "CLI paste app")


@contextlib.contextmanager
def _cli(home: Path, *args: str) -> Iterator[subprocess.Popen]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(home)
    env["BROWSER"] = "false"  # never a real browser from these tests
    with subprocess.Popen([sys.executable, "-m", "harvest_connect.cli", *args], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as proc:
        try:
            yield proc
        finally:
            if proc.poll() is None:  # a failed test leaves no process behind
                proc.kill()
                proc.communicate()


def test_cli_paste_prints_the_address_and_takes_the_pasted_one(home, emu):
    with _cli(home, "authorize", "acme", "--paste") as proc:
        url = printed_url(proc)
        redirect = emu.approve(url)
        out, err = proc.communicate(redirect + "\n", timeout=30)
    assert proc.returncode == 0, err
    assert "'acme' is authorized" in out
    secret = home.joinpath("secret").read_text()
    for value in (secret, str(emu.account_id), query(redirect)["code"]):
        assert value not in out and value not in err
    with hc.Store.open(home / "store.db", key_file=home / "master.key") as s:
        assert s.connection("acme").status == "authorized"


def test_cli_paste_with_a_denied_consent_stores_nothing(home, emu):
    with _cli(home, "authorize", "acme", "--paste") as proc:
        url = printed_url(proc)
        out, err = proc.communicate(emu.deny(url) + "\n", timeout=30)
    assert proc.returncode != 0
    assert "authorized" not in out
    with hc.Store.open(home / "store.db", key_file=home / "master.key") as s:
        assert not s.connection("acme").has_tokens


# --- in a real Jupyter kernel --------------------------------------------------------------

KERNEL_CODE = """
import harvest_connect as hc
store = hc.Store.open({store!r}, key_file={key!r})
conn = store.connection("acme")
try:
    conn.authorize(timeout=5)
except hc.HarvestConnectError as exc:
    print("FAILED", exc)
print("STATUS", store.connection("acme").status)
"""


@pytest.fixture
def kernel(home, monkeypatch):
    """A real ipykernel (the venv's python3 kernel) on a JupyterHub: JUPYTERHUB_USER is set."""
    manager = pytest.importorskip("jupyter_client.manager")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HARVEST_CONNECT_", "SSH_"))}
    env.update(JUPYTERHUB_USER="ann", BROWSER="false")
    km, kc = manager.start_new_kernel(kernel_name="python3", env=env, cwd=str(home), startup_timeout=120)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _iopub_until_idle(kc, msg_id: str) -> list:
    messages = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages


@pytest.mark.slow
def test_a_real_remote_kernel_shows_a_link_and_asks_with_input(kernel, home, emu):
    code = KERNEL_CODE.format(store=str(home / "store.db"), key=str(home / "master.key"))
    msg_id = kernel.execute(code, allow_stdin=True)
    request = kernel.get_stdin_msg(timeout=60)  # input(): the notebook shows a text box
    assert request["msg_type"] == "input_request"
    shown = []
    while not any("href=" in s for s in shown):
        msg = kernel.get_iopub_msg(timeout=60)
        if msg["msg_type"] == "display_data":
            shown.append(msg["content"]["data"].get("text/html", ""))
    url = html.unescape(re.search(r'href="([^"]+)"', "".join(shown)).group(1))
    kernel.input(emu.approve(url))
    outputs = json.dumps([m["content"] for m in _iopub_until_idle(kernel, msg_id)])
    assert "STATUS authorized" in outputs and "FAILED" not in outputs
    secret = home.joinpath("secret").read_text()
    assert secret not in outputs + "".join(shown) and str(emu.account_id) not in outputs + "".join(shown)


@pytest.mark.slow
def test_a_real_kernel_without_input_support_says_what_to_do(kernel, home):
    code = KERNEL_CODE.format(store=str(home / "store.db"), key=str(home / "master.key"))
    msg_id = kernel.execute(code, allow_stdin=False)  # what nbclient and some front ends do
    outputs = json.dumps([m["content"] for m in _iopub_until_idle(kernel, msg_id)])
    assert "cannot ask for input" in outputs and "complete_authorization" in outputs
    assert "STATUS not_authorized" in outputs
