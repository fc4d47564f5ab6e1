"""Secret hygiene: no secret value (raw, URL-encoded, base64 or hex) in any output of any CLI
command, success or error, or in any exception the Python API raises; secrets are refused
on the command line by every command; core dumps are off once a store is open."""

from __future__ import annotations

import argparse
import base64
import os
import sqlite3
import subprocess
import sys
import textwrap
import urllib.parse
from pathlib import Path
from typing import Iterable, List

import pytest

import harvest_connect as hc
from harvest_connect import cli

CLIENT_SECRET = "cs/+=&?%Secret-GRAULT-8475"
NEW_CLIENT_SECRET = "cs2/+=&?#Secret-WIBBLE-1357"
ACCOUNT = "7771234567"
NEW_ACCOUNT = "8881234567"
PAT = "pat+/=&Token-PLUGH-2468"
PASSPHRASE = "correct horse/battery+staple"
SECRETS = [CLIENT_SECRET, NEW_CLIENT_SECRET, ACCOUNT, NEW_ACCOUNT, PAT, PASSPHRASE]


def forms(secret: str) -> List[str]:
    raw = secret.encode()
    b64 = base64.b64encode(raw).decode()
    out = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret), b64, b64.rstrip("="),
           base64.urlsafe_b64encode(raw).decode().rstrip("="), raw.hex(), raw.hex().upper(), repr(secret)[1:-1]}
    return sorted(out)


def assert_clean(text: str, secrets: Iterable[str] = SECRETS, where: str = "") -> None:
    for s in secrets:
        for f in forms(s):
            assert f not in text, f"a form of a secret ({f!r}) appears in {where or 'the output'}"


# --- every CLI command, success and error paths ------------------------------------------

def run(home: Path, *args: str, stdin: str = "", key_text: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(home)
    proc = subprocess.run([sys.executable, "-m", "harvest_connect.cli", *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=120)
    secrets = SECRETS + ([key_text] if key_text else [])
    assert_clean(proc.stdout, secrets, f"stdout of {args}")
    assert_clean(proc.stderr, secrets, f"stderr of {args}")
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_every_cli_command_and_error_path_is_clean(tmp_path):
    home = tmp_path / "home"
    key_file = home / "master.key"
    steps = [
        # (args, stdin, expected exit code)
        (["clients", "add", "app", "--client-id", "cid", "--client-secret-stdin"], CLIENT_SECRET + "\n", 0),
        (["clients", "add", "app", "--client-id", "cid", "--client-secret-stdin"], CLIENT_SECRET + "\n", 2),
        (["clients", "add", "bad", "--client-id", "cid", "--client-secret-stdin"], CLIENT_SECRET + " x\n", 2),
        (["clients", "list"], "", 0),
        (["clients", "list", "--json"], "", 0),
        (["clients", "edit", "app", "--client-secret-stdin"], NEW_CLIENT_SECRET + "\n", 0),
        (["clients", "edit", "nope", "--client-secret-stdin"], NEW_CLIENT_SECRET + "\n", 2),
        (["connections", "add", "acme", "--oauth-client", "app", "--account-id-stdin"], ACCOUNT + "\n", 0),
        (["connections", "add", "acme", "--oauth-client", "app", "--account-id-stdin"], ACCOUNT + "\n", 2),
        (["connections", "add", "bad", "--oauth-client", "app", "--account-id-stdin"], ACCOUNT + "x\n", 2),
        (["connections", "add", "pat", "--personal-access-token", "--account-id-stdin", "--access-token-stdin"],
         ACCOUNT + "\n" + PAT + "\n", 0),
        (["connections", "add", "pat2", "--personal-access-token", "--account-id-stdin", "--access-token-stdin"],
         ACCOUNT + "\n" + PAT + " \n", 2),
        (["connections", "list"], "", 0),
        (["connections", "list", "--json"], "", 0),
        (["connections", "show", "acme"], "", 0),
        (["connections", "show", "acme", "--json"], "", 0),
        (["connections", "show", "pat", "--json"], "", 0),
        (["connections", "show", "nope"], "", 2),
        (["connections", "edit", "acme", "--account-id-stdin"], NEW_ACCOUNT + "\n", 0),
        (["connections", "edit", "acme", "--account-id-stdin"], "", 2),
        (["doctor"], "", 0),
        (["clients", "remove", "app"], "", 2),  # in use
        (["key", "generate", "--output", str(tmp_path / "k2.key")], "", 0),
        (["key", "rotate", "--data-key"], "", 0),
        (["doctor"], "", 0),
    ]
    for args, stdin, code in steps:
        key_text = key_file.read_text().strip() if key_file.exists() else ""
        proc = run(home, *args, stdin=stdin, key_text=key_text)
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
    old_key = (home / "master.key.old").read_text().strip()
    new_key = key_file.read_text().strip()

    # error paths: wrong key, tampered sealed value, a damaged file, a passphrase store
    wrong = tmp_path / "wrong.key"
    run(home, "key", "generate", "--output", str(wrong))
    proc = run(home, "--key-file", str(wrong), "connections", "list", key_text=new_key)
    assert proc.returncode == 1 and "key" in proc.stderr
    proc = run(home, "--key-file", str(home / "master.key.old"), "doctor", key_text=new_key)
    assert proc.returncode == 1
    assert_clean(proc.stderr, [old_key, new_key])
    db = sqlite3.connect(home / "store.db")
    db.execute("UPDATE connections SET account_id = (SELECT personal_access_token FROM connections "
               "WHERE name = 'pat') WHERE name = 'acme'")
    db.commit()
    db.close()
    proc = run(home, "doctor", key_text=new_key)
    assert proc.returncode == 1 and "acme" in proc.stdout
    # A data key rotation that fails (a field does not open) changes nothing: the store
    # still opens with its key, and the new key file is not left behind.
    for extra in ([], ["--new-key-file", str(tmp_path / "k3.key")]):
        (home / "master.key.old").unlink(missing_ok=True)
        proc = run(home, "key", "rotate", "--data-key", *extra, key_text=new_key)
        assert proc.returncode == 1 and "acme" in proc.stderr, proc.stderr
        assert key_file.read_text().strip() == new_key and not (tmp_path / "k3.key").exists()
        assert not (home / "master.key.new").exists()
        # (connections list refuses the tampered row, as every read of it does)
        assert run(home, "clients", "list", key_text=new_key).returncode == 0
    for args, stdin in ((["connections", "remove", "acme"], ""), (["connections", "remove", "pat"], ""),
                        (["clients", "remove", "app"], "")):
        assert run(home, *args, stdin=stdin, key_text=new_key).returncode == 0
    (tmp_path / "junk.db").write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    proc = run(home, "--store", str(tmp_path / "junk.db"), "doctor", key_text=new_key)
    assert proc.returncode == 1
    pw_store = str(tmp_path / "pw" / "store.db")
    assert run(home, "--store", pw_store, "--passphrase-stdin", "clients", "add", "a", "--client-id", "c",
               "--client-secret-stdin", stdin=PASSPHRASE + "\n" + CLIENT_SECRET + "\n").returncode == 0
    assert run(home, "--store", pw_store, "--passphrase-stdin", "doctor", stdin="wrong passphrase\n").returncode == 1
    assert run(home, "--store", pw_store, "--passphrase-stdin", "key", "rotate", "--new-passphrase-stdin",
               stdin=PASSPHRASE + "\n" + PASSPHRASE + "x\n").returncode in (0, 2)


# --- secrets in argv are refused by every command ----------------------------------------

def command_lines() -> List[List[str]]:
    """A valid-looking argv prefix for every command of the parser."""
    out: List[List[str]] = []

    def walk(parser: argparse.ArgumentParser, prefix: List[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            positionals = ["name" for a in parser._actions if not a.option_strings and a.dest != "help"]
            out.append(prefix + positionals)
            return
        for name, sub in subs[0].choices.items():
            walk(sub, prefix + [name])

    walk(cli.build_parser(), [])
    return out


SECRET_ARG = "argv-Secret/+=VALUE-31337"


@pytest.mark.parametrize("command", command_lines(), ids=lambda c: " ".join(c))
def test_secrets_in_argv_are_refused_by_every_command(command, capsys):
    options = list(cli._REFUSED_SECRET_OPTIONS)
    flags = ["--new-client-secret", "--personal-access-token", "--new-passphrase", "--new-access-token",
             "--json", "--data-key"]
    attempts = [[*command, o, SECRET_ARG] for o in options] + [[*command, f"{o}={SECRET_ARG}"] for o in options]
    attempts += [[o, SECRET_ARG, *command] for o in options]
    attempts += [[*command, f"{f}={SECRET_ARG}"] for f in flags] + [[*command, SECRET_ARG]]
    for argv in attempts:
        with pytest.raises(SystemExit) as info:
            cli.main(argv)
        assert info.value.code == 2, argv
        captured = capsys.readouterr()
        assert_clean(captured.out + captured.err, [SECRET_ARG], f"the output of {argv[:3]}")


# --- every Python API error path ---------------------------------------------------------

def test_python_errors_hold_no_secret(tmp_path):
    key = hc.Key.generate()
    path = tmp_path / "s" / "store.db"
    secrets = SECRETS + [key.to_base64()]
    caught: List[BaseException] = []

    def expect(exc_type, f, *args, **kwargs):
        with pytest.raises(exc_type) as info:
            f(*args, **kwargs)
        caught.append(info.value)

    with hc.Store.open(path, key=key) as s:
        s.create_oauth_client("app", client_id="cid", client_secret=CLIENT_SECRET)
        s.create_connection("acme", oauth_client="app", account_id=ACCOUNT)
        expect(hc.ValidationError, s.create_oauth_client, "x", client_id="c", client_secret=CLIENT_SECRET + "\n")
        expect(hc.ValidationError, s.create_oauth_client, "x", client_id=CLIENT_SECRET + " ", client_secret="s")
        expect(hc.ValidationError, s.create_connection, "x", oauth_client="app", account_id=PAT)
        expect(hc.ValidationError, s.create_connection, "x", oauth_client="app", account_id=ACCOUNT + "\udcff")
        expect(hc.ValidationError, s.create_token_connection, "x", access_token=PAT + " ", account_id=ACCOUNT)
        expect(hc.ValidationError, s.update_connection, "acme", account_id=ACCOUNT + "-")
        expect(hc.DuplicateNameError, s.create_oauth_client, "APP", client_id="c", client_secret=CLIENT_SECRET)
        expect(hc.NotFoundError, s.update_connection, "nope", account_id=ACCOUNT)
        expect(TypeError, s.create_oauth_client, "x", client_id="c", client_secret=CLIENT_SECRET, pkce="no")
        expect(TypeError, s.create_connection, "x", oauth_client="app", account_id=int(ACCOUNT))
        expect(TypeError, s.create_token_connection, "x", access_token=None, account_id=ACCOUNT)
        expect(TypeError, s.rotate_key, PASSPHRASE)
        expect(hc.ValidationError, s.rotate_key, passphrase="")
    expect(hc.KeyMismatchError, hc.Store.open, path, key=hc.Key.generate())
    expect(hc.KeyMismatchError, hc.Store.open, path, passphrase=PASSPHRASE)
    expect(hc.ValidationError, hc.Key.from_base64, key.to_base64()[:-2])
    expect(hc.ValidationError, hc.Key.from_base64, PAT)
    expect(TypeError, hc.Key.from_base64, 42)
    db = sqlite3.connect(path)
    db.execute("UPDATE connections SET account_id = (SELECT client_secret FROM oauth_clients) WHERE name = 'acme'")
    db.commit()
    db.close()
    with hc.Store.open(path, key=key) as s:
        expect(hc.DecryptionError, s.rotate_data_key)
        problems = s.verify()
        assert problems
        for p in problems:
            assert_clean(repr(p) + str(p) + p.reason, secrets)
    for exc in caught:
        text = "\n".join([str(exc), repr(exc), *map(str, exc.args)])
        assert_clean(text, secrets, f"{type(exc).__name__}: {text[:200]}")


# --- core dumps ----------------------------------------------------------------------------

CORE_PROBE = textwrap.dedent("""
    import ctypes, resource, sys
    import harvest_connect as hc
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    libc = ctypes.CDLL(None, use_errno=True)
    PR_GET_DUMPABLE = 3
    before = libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)
    with hc.Store.open(sys.argv[1], key=hc.Key.generate()):
        print(before, libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), resource.getrlimit(resource.RLIMIT_CORE)[0])
""")


@pytest.mark.parametrize("allow,expected", [(None, "1 0 0"), ("1", "1 1 "), ("0", "1 0 0")])
def test_core_dumps_are_off_while_a_store_is_open(tmp_path, allow, expected):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(tmp_path / "home")
    if allow is not None:
        env["HARVEST_CONNECT_ALLOW_CORE_DUMPS"] = allow
    proc = subprocess.run([sys.executable, "-c", CORE_PROBE, str(tmp_path / "store.db")], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.strip()
    assert out.startswith(expected), out
    if allow == "1":
        assert out.split()[2] != "0"  # the core limit was left as the probe set it


# --- the API commands (test, get, disconnect) against the emulator -----------------------

def test_api_commands_and_their_error_paths_are_clean(tmp_path):
    from harvest_connect.testing import HarvestEmulator

    home = tmp_path / "home"
    with HarvestEmulator(entries=30) as emu:
        pat = emu.create_personal_access_token()
        account = str(emu.account_id)
        secrets = SECRETS + [pat, account]

        def cli_run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
            env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
            env.update(HARVEST_CONNECT_HOME=str(home), SSL_CERT_FILE=emu.ca_file)
            proc = subprocess.run([sys.executable, "-m", "harvest_connect.cli", *args], input=stdin, text=True,
                                  capture_output=True, env=env, timeout=120)
            assert_clean(proc.stdout, secrets, f"stdout of {args}")
            assert_clean(proc.stderr, secrets, f"stderr of {args}")
            assert "Traceback" not in proc.stderr, proc.stderr
            return proc

        assert cli_run("connections", "add", "pat", "--personal-access-token", "--account-id-stdin",
                       "--access-token-stdin", "--api-url", emu.api_url, "--id-url", emu.id_url,
                       "--user-agent", "Hygiene (h@example.com)", stdin=f"{account}\n{pat}\n").returncode == 0
        assert cli_run("connections", "add", "wrong", "--personal-access-token", "--account-id-stdin",
                       "--access-token-stdin", "--api-url", emu.api_url, "--id-url", emu.id_url,
                       "--user-agent", "Hygiene (h@example.com)", stdin=f"{ACCOUNT}\n{pat}\n").returncode == 0
        assert cli_run("test", "pat").returncode == 0
        assert cli_run("get", "pat", "/users/me").returncode == 0
        assert cli_run("get", "pat", "/time_entries", "--all", "--output", str(tmp_path / "e.jsonl")).returncode == 0
        assert cli_run("get", "pat", "/no_such_endpoint").returncode != 0
        assert cli_run("get", "pat", "https://elsewhere.example.com/v2/users/me").returncode != 0
        assert cli_run("test", "wrong").returncode != 0          # wrong account ID: 401 from Harvest
        assert cli_run("get", "wrong", "/users/me").returncode != 0
        emu.set_faults(error_rate=1.0, error_status=503)
        assert cli_run("get", "pat", "/users/me").returncode != 0
        emu.clear_faults()
        assert cli_run("connections", "show", "pat", "--json").returncode == 0
        assert cli_run("disconnect", "pat").returncode == 0
