"""The CLI's contract with scripts: --version, --json on every command (errors included), the
exit codes of docs/cli.md (3: authorize again, 130: Ctrl-C), and no secret in any output."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set

import pytest

import harvest_connect as hc
from harvest_connect import cli, errors
from harvest_connect.cli import exit_codes
from harvest_connect.testing import HarvestEmulator

from _harvest_support import sigint_as_in_a_terminal
from _oauth_support import printed_url

PASSPHRASE = "json-cli-passphrase-QUUX-7777"


@pytest.fixture(scope="module")
def emu() -> Iterator[HarvestEmulator]:
    with HarvestEmulator(tls=False, entries=25, rate_limits=False) as e:
        yield e


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _env(home: Path) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(home)
    env["BROWSER"] = "false"  # never a real browser from these tests
    return env


class Cli:
    """Runs harvest-connect as a user does and checks that no secret it was given comes back."""

    def __init__(self, home: Path, secrets: List[str]) -> None:
        self.home = home
        self.secrets = secrets
        self.commands: Set[str] = set()

    def _check(self, args: List[str], out: str, err: str) -> None:
        for secret in self.secrets:
            assert secret not in out and secret not in err, (args, out, err)

    def run(self, *args: str, stdin: str = "", code: int = 0) -> Any:
        """The one JSON document the command printed (with --json added after the command)."""
        argv = [*args, "--json"]
        proc = subprocess.run([sys.executable, "-m", "harvest_connect.cli", *argv], input=stdin, text=True,
                              capture_output=True, env=_env(self.home), timeout=120)
        self._check(argv, proc.stdout, proc.stderr)
        assert proc.returncode == code, (argv, proc.stdout, proc.stderr)
        self.commands.add(" ".join(a for a in args if a in COMMAND_WORDS))
        return json.loads(proc.stdout)

    def popen(self, *args: str) -> "subprocess.Popen[str]":
        return subprocess.Popen([sys.executable, "-m", "harvest_connect.cli", *args], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(self.home),
                                preexec_fn=sigint_as_in_a_terminal)  # the tests stop some with SIGINT


def _leaf_commands(parser: argparse.ArgumentParser, prefix: List[str]) -> List[str]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [" ".join(prefix)]
    return [c for name, sub in subs[0].choices.items() for c in _leaf_commands(sub, prefix + [name])]


LEAF_COMMANDS = _leaf_commands(cli.build_parser(), [])
COMMAND_WORDS = {word for command in LEAF_COMMANDS for word in command.split()}


def _first_document(proc: "subprocess.Popen[str]") -> Any:
    """The JSON document a long-running command printed first (read line by line until whole)."""
    assert proc.stdout is not None
    text = ""
    for _ in range(200):
        line = proc.stdout.readline()
        if not line:
            break
        text += line
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            continue
    raise AssertionError(f"no JSON document on stdout: {text!r}")


def test_version_prints_the_package_version() -> None:
    proc = subprocess.run([sys.executable, "-m", "harvest_connect.cli", "--version"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"harvest-connect {hc.__version__}\n"
    proc = subprocess.run([sys.executable, "-m", "harvest_connect.cli", "--version", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout) == {"version": hc.__version__}


def test_every_command_prints_one_json_document_and_no_secret(home: Path, emu: HarvestEmulator,
                                                            tmp_path: Path) -> None:
    app = emu.register_app("JSON app", "http://127.0.0.1")
    account = str(emu.account_id)
    run = Cli(home, [app.client_secret, account, PASSPHRASE])

    client = run.run("clients", "add", "app", "--client-id", app.client_id, "--client-secret-stdin",
                     stdin=app.client_secret + "\n")
    assert client["name"] == "app" and client["client_id"] == app.client_id
    assert [c["name"] for c in run.run("clients", "list")] == ["app"]
    assert run.run("clients", "edit", "app", "--scope", "harvest:all")["scope"] == "harvest:all"

    conn = run.run("connections", "add", "acme", "--oauth-client", "app", "--account-id-stdin", "--api-url",
                   emu.api_url, "--id-url", emu.id_url, stdin=account + "\n")
    assert conn["name"] == "acme" and conn["status"] == "not_authorized"
    # Write-only: whether it is set, never a value or a stand-in.
    assert conn["has_account_id"] is True and "account_id" not in conn
    listed = run.run("connections", "list")
    assert [c["name"] for c in listed] == ["acme"] and listed[0]["has_account_id"] is True
    shown = run.run("connections", "show", "acme")
    assert shown["name"] == "acme" and "http_settings" in shown and "account_id" not in shown
    edited = run.run("connections", "edit", "acme", "--account-id-stdin", "--user-agent", "Json (ops@example.com)",
                     stdin=account + "\n")
    assert edited["user_agent"] == "Json (ops@example.com)"

    # authorize --paste: the link and the prompt go to stderr, stdout holds the result only.
    with run.popen("authorize", "acme", "--paste", "--json") as proc:
        url = printed_url(proc)
        out, err = proc.communicate(emu.approve(url) + "\n", timeout=60)
    run._check(["authorize"], out, err)
    assert proc.returncode == 0, err
    assert json.loads(out) == {"name": "acme", "status": "authorized"}
    run.commands.add("authorize")

    tested = run.run("test", "acme")
    assert tested["online"] is True and tested["status_code"] == 200 and tested["name"] == "acme"
    me = run.run("get", "acme", "/users/me")
    assert me["id"] == emu.default_user()["id"]
    records = run.run("get", "acme", "/time_entries", "--all", "--param", "per_page=10")
    assert isinstance(records, list) and len(records) == emu.time_entry_count()
    out_file = tmp_path / "entries.jsonl"
    written = run.run("get", "acme", "/time_entries", "--all", "--output", str(out_file))
    assert written == {"output": str(out_file), "records": emu.time_entry_count()}
    assert len(out_file.read_text().splitlines()) == emu.time_entry_count()
    disconnected = run.run("disconnect", "acme")
    assert disconnected["name"] == "acme" and disconnected["status"] == "not_authorized"

    generated = run.run("key", "generate")
    assert hc.Key.from_base64(generated["key"]).id == generated["key_id"]
    key_file = tmp_path / "other.key"
    assert run.run("key", "generate", "--output", str(key_file))["key_file"] == str(key_file)
    rotated = run.run("key", "rotate")
    assert rotated["opens_with"] == "key_file" and rotated["old_key_file"].endswith(".old")
    assert run.run("key", "rotate", "--new-passphrase-stdin", stdin=PASSPHRASE + "\n")["opens_with"] == "passphrase"
    doctor = run.run("--passphrase-stdin", "doctor", stdin=PASSPHRASE + "\n")
    assert doctor["ok"] is True and doctor["problems"] == []
    copied = run.run("--passphrase-stdin", "store", "copy", "--from", str(home / "store.db"), "--to",
                     str(tmp_path / "copy.db"), stdin=PASSPHRASE + "\n")["copied"]
    assert copied["verified"] is True and copied["tables"]["connections"] == 1 and copied["to"].endswith("copy.db")

    assert run.run("--passphrase-stdin", "connections", "remove", "acme", stdin=PASSPHRASE + "\n") == \
        {"removed": {"type": "connection", "name": "acme"}}
    assert run.run("--passphrase-stdin", "clients", "remove", "app", stdin=PASSPHRASE + "\n") == \
        {"removed": {"type": "oauth_client", "name": "app"}}

    # demo and emulator run their own emulator (and print its made-up secrets on purpose).
    assert Cli(home, []).run("demo", "--entries", "50") == {"ok": True}
    run.commands.add("demo")
    with run.popen("emulator", "--http", "--entries", "10", "--json") as proc:
        started = _first_document(proc)
        assert started["api_url"].startswith("http://127.0.0.1:") and started["time_entries"] == 10
        assert started["app"]["client_id"] and started["ca_file"] is None
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            # Fail now, not in Popen.__exit__'s wait without a timeout, and say whether the
            # process ignored (SigIgn) or blocked (SigBlk) the signal: one run hung here once.
            status = Path(f"/proc/{proc.pid}/status").read_text()
            proc.kill()
            raise AssertionError("the emulator did not stop at SIGINT: "
                                 + " ".join(ln for ln in status.splitlines() if ln.startswith("Sig")))
    assert proc.returncode == 0 and out == "", (out, err)
    run.commands.add("emulator")

    # A command added later must be added here too.
    assert run.commands >= set(LEAF_COMMANDS), set(LEAF_COMMANDS) - run.commands


def _error(proc: "subprocess.CompletedProcess[str]", code: int, kind: str) -> str:
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    document = json.loads(proc.stdout)
    assert set(document) == {"error"}
    assert document["error"]["exit_code"] == code and document["error"]["kind"] == kind, document
    assert proc.stderr == ""
    message: str = document["error"]["message"]
    return message


def _plain(home: Path, *args: str, stdin: str = "") -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "harvest_connect.cli", *args], input=stdin, text=True,
                          capture_output=True, env=_env(home), timeout=120)


def _with_connection(home: Path, emu: HarvestEmulator, secret: str, account: str) -> None:
    app = emu.register_app("JSON errors app", "http://127.0.0.1")
    key = hc.Key.generate()
    home.mkdir(mode=0o700)
    hc._core._write_key_file(str(home / "master.key"), key)
    with hc.Store.open(home / "store.db", key=key) as store:
        store.create_oauth_client("app", client_id=app.client_id, client_secret=secret)
        store.create_connection("acme", oauth_client="app", account_id=account, id_url=emu.id_url,
                                api_url=emu.api_url)


def test_errors_are_one_json_document_with_their_exit_code(home: Path, emu: HarvestEmulator,
                                                           tmp_path: Path) -> None:
    secret, account, argv_secret = "json-error-client-secret-ZORK-1", "8675309", "argv-secret-XYZZY-42"
    _with_connection(home, emu, secret, account)

    def run(*args: str, stdin: str = "") -> "subprocess.CompletedProcess[str]":
        proc = _plain(home, *args, stdin=stdin)
        for value in (secret, account, argv_secret):
            assert value not in proc.stdout and value not in proc.stderr, (args, proc.stdout, proc.stderr)
        return proc

    # 2: usage, before or after the command; the refused secret option's value is not repeated
    assert "frobnicate" not in _error(run("--json", "clients", "frobnicate"), 2, "usage")
    _error(run("clients", "list", "--json", "--bogus"), 2, "usage")
    _error(run("connections", "add", "x", "--account-id", argv_secret, "--json"), 2, "usage")
    # 2: bad input and unknown names
    _error(run("clients", "add", "b", "--client-id", "c", "--client-secret-stdin", "--json"), 2, "bad_input")
    assert "nope" in _error(run("--json", "connections", "show", "nope"), 2, "not_found")
    # 3: the connection was never authorized, for test and get alike (and without --json)
    assert "authorize acme" in _error(run("test", "acme", "--json"), 3, "authorization_required")
    _error(run("--json", "get", "acme", "/users/me"), 3, "authorization_required")
    assert run("test", "acme").returncode == 3 and run("get", "acme", "/users/me").returncode == 3
    # 1: any other failure (here the wrong master key)
    other = tmp_path / "other.key"
    hc._core._write_key_file(str(other), hc.Key.generate())
    _error(run("--key-file", str(other), "doctor", "--json"), 1, "key_mismatch")


def test_exit_codes_of_errors() -> None:
    required = errors.AuthorizationError("the connection 'a' must be authorized again")
    required.kind = "authorization_required"  # what the engine sets, whichever class it builds
    assert exit_codes.for_error(required) == (3, "authorization_required")
    cls: Optional[type] = getattr(errors, "AuthorizationRequiredError", None)
    if cls is not None:
        assert exit_codes.for_error(cls("must authorize")) == (3, "authorization_required")
    declined = errors.AuthorizationError("declined")
    declined.kind = "authorization_failed"
    assert exit_codes.for_error(declined) == (1, "authorization_failed")
    missing = errors.NotFoundError("no such connection")
    missing.kind = "not_found"
    assert exit_codes.for_error(missing) == (2, "not_found")
    assert exit_codes.for_error(KeyboardInterrupt()) == (130, "interrupted")
    assert exit_codes.for_error(exit_codes.BadInput("x")) == (2, "bad_input")


@pytest.mark.parametrize("json_output", [False, True], ids=["text", "json"])
def test_ctrl_c_while_authorize_waits_exits_130_without_a_traceback(home: Path, emu: HarvestEmulator,
                                                                    json_output: bool) -> None:
    _with_connection(home, emu, "ctrl-c-client-secret", "24680")
    args = ["authorize", "acme", "--no-browser", "--timeout", "120"] + (["--json"] if json_output else [])
    with Cli(home, []).popen(*args) as proc:
        printed_url(proc)  # it now waits for the browser
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    if json_output:
        assert json.loads(out)["error"] == {"kind": "interrupted", "message": "interrupted; nothing was changed",
                                            "exit_code": 130}
    else:
        assert out == "" and "harvest-connect: interrupted" in err
    with hc.Store.open(home / "store.db", key_file=home / "master.key") as store:
        assert store.connection("acme").status == "not_authorized"


class _WriteOnlyConnection:
    """A connection as the API has it once the account ID is write-only: reading it raises."""

    name, type, auth, oauth_client, status = "acme", "harvest", "oauth", "app", "not_authorized"
    user_agent, api_url, id_url = "A (a@example.com)", "https://api.harvestapp.com/v2", "https://id.getharvest.com"
    has_tokens, token_expires_at, last_error, created_at, updated_at = False, None, None, None, None
    has_account_id = True

    @property
    def account_id(self) -> str:
        raise AttributeError("the account ID is write-only")

    def http_settings(self) -> Dict[str, Any]:
        return {"base_uri": self.api_url, "headers": {}, "oauth2": {}, "ping": {"method": "GET",
                                                                               "relative_uri": "/users/me"}}


def test_listings_never_read_the_account_id(capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from harvest_connect.cli import records
    from harvest_connect.cli.output import Output

    conn = _WriteOnlyConnection()

    class Store:
        def __enter__(self) -> "Store":
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def connections(self) -> List[_WriteOnlyConnection]:
            return [conn]

        def connection(self, name: str) -> _WriteOnlyConnection:
            return conn

    for json_output in (False, True):
        for command, extra in (("list", {}), ("show", {"name": "acme"})):
            args = argparse.Namespace(out=Output(json=json_output, stdout=sys.stdout), **extra)
            monkeypatch.setattr(records, "open_store", lambda args: Store())
            assert getattr(records, f"_connections_{command}")(args) == 0
            out = capsys.readouterr().out
            if json_output:
                shown = json.loads(out)
                shown = shown[0] if command == "list" else shown
                assert shown["has_account_id"] is True and "account_id" not in shown
            else:
                assert "set (encrypted)" in out
