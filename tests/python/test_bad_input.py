"""Bad input through the Python API and the CLI: every bad value is a ValidationError (CLI:
exit code 2 and a one-line message), and nothing stored changes (the rows of every table
are compared before and after, sealed values included).

SQL metacharacters are not bad input: names are bound, never spliced, so "O'Brien; DROP
TABLE" is a valid name that is stored and found exactly as given, and changes nothing else.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

import harvest_connect as hc

MB = 1_000_000
TABLES = ("meta", "oauth_clients", "connections", "pending_authorizations")

# Text that no field accepts.
BAD_TEXT = {
    "empty": "",
    "1MB": "a" * MB,
    "surrogate": "abc\udcff",
    "nul": "ab\x00cd",
    "newline": "ab\ncd",
    "escape": "ab\x1b[2Jcd",
    "del": "ab\x7fcd",
}
BAD_URLS = {
    **{k: v for k, v in BAD_TEXT.items() if k != "empty"},
    "userinfo": "https://user:pass@api.example.com/v2",
    "fragment": "https://api.example.com/v2#top",
    "http-remote": "http://api.example.com/v2",
    "javascript": "javascript:alert(1)",
    "relative": "/v2/users/me",
    "port-negative": "https://api.example.com:-1/v2",
    "port-overflow": "https://api.example.com:65536/v2",
    "port-huge": "https://api.example.com:99999999999999999999999/v2",
    "nul-in-host": "https://api.exa\x00mple.com/v2",
    "space-in-host": "https://api example.com/v2",
    "1MB-path": "https://api.example.com/" + "a" * MB,
}
BAD_ACCOUNT_IDS = {
    **BAD_TEXT,
    "negative": "-1",
    "overflow": "9" * 40,
    "float": "1e6",
    "hex": "0x10",
    "spaced": " 123",
    "fullwidth-digits": "１２３",
    "sql": "1 OR 1=1",
}
SQL_NAMES = ["x'); DROP TABLE connections; --", "a' OR '1'='1", "%", "_", "\"quoted\"", "semi;colon", "O'Brien"]


def rows(path: Path) -> Dict[str, List[Tuple[Any, ...]]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}
    finally:
        db.close()


@pytest.fixture
def populated(tmp_path):
    key = hc.Key.generate()
    path = tmp_path / "s" / "store.db"
    with hc.Store.open(path, key=key) as s:
        s.create_oauth_client("app", client_id="cid", client_secret="secret-value-1")
        s.create_connection("acme", oauth_client="app", account_id="123456", user_agent="A (a@b.test)")
        s.create_token_connection("pat", access_token="pat-value-1", account_id="654321")
    return path, key


def calls() -> List[Tuple[str, Callable[[hc.Store, Any], Any], Dict[str, Any]]]:
    """(label, call taking (store, bad value), the bad values) for every field of every write."""
    def client(**kw: Any) -> Callable[[hc.Store, Any], Any]:
        def f(s: hc.Store, v: Any) -> Any:
            args = {"client_id": "cid-new", "client_secret": "secret-new", **{k: (v if x is None else x)
                                                                               for k, x in kw.items()}}
            name = args.pop("name", "new-client")
            return s.create_oauth_client(name, **args)
        return f

    def conn(**kw: Any) -> Callable[[hc.Store, Any], Any]:
        def f(s: hc.Store, v: Any) -> Any:
            args = {"oauth_client": "app", "account_id": "111", **{k: (v if x is None else x) for k, x in kw.items()}}
            name = args.pop("name", "new-conn")
            return s.create_connection(name, **args)
        return f

    names = {k: v for k, v in BAD_TEXT.items()}
    names["spaces-only"] = "   "
    return [
        ("client name", client(name=None), names),
        ("client_id", client(client_id=None), BAD_TEXT),
        ("client_secret", client(client_secret=None), {**BAD_TEXT, "space": "sec ret"}),
        ("redirect_uri", client(redirect_uri=None), {k: v for k, v in BAD_URLS.items() if k != "fragment"}),
        ("token_url", client(token_url=None), {k: v for k, v in BAD_URLS.items() if k != "fragment"}),
        ("scope", client(scope=None), {k: v for k, v in BAD_TEXT.items() if k != "empty"} | {"bogus": "x:y"}),
        ("provider", client(provider=None), {k: v for k, v in BAD_TEXT.items()} | {"other": "github"}),
        ("client_credentials", client(client_credentials=None), BAD_TEXT | {"other": "header"}),
        ("connection name", conn(name=None), names),
        ("oauth_client", conn(oauth_client=None), BAD_TEXT | {"missing": "nope"}),
        ("account_id", conn(account_id=None), BAD_ACCOUNT_IDS),
        ("user_agent", conn(user_agent=None),  # "" means the default User-Agent
         {k: v for k, v in BAD_TEXT.items() if k != "empty"} | {"no-contact": "MyApp"}),
        ("api_url", conn(api_url=None), BAD_URLS),
        ("id_url", conn(id_url=None), BAD_URLS),
        ("token connection access_token",
         lambda s, v: s.create_token_connection("new-pat", access_token=v, account_id="1"), BAD_TEXT),
        ("token connection account_id",
         lambda s, v: s.create_token_connection("new-pat", access_token="tok", account_id=v), BAD_ACCOUNT_IDS),
        ("update_connection account_id", lambda s, v: s.update_connection("acme", account_id=v), BAD_ACCOUNT_IDS),
        ("update_connection new_name",
         lambda s, v: s.update_connection("acme", account_id="123456", new_name=v), names),
        ("update_connection api_url",
         lambda s, v: s.update_connection("acme", account_id="123456", api_url=v), BAD_URLS),
        ("update_connection access_token",
         lambda s, v: s.update_connection("pat", account_id="654321", access_token=v), BAD_TEXT),
        ("update_oauth_client client_secret",
         lambda s, v: s.update_oauth_client("app", client_secret=v), BAD_TEXT),
        ("update_oauth_client new_name", lambda s, v: s.update_oauth_client("app", new_name=v), names),
        ("update_oauth_client redirect_uri",
         lambda s, v: s.update_oauth_client("app", redirect_uri=v),
         {k: v for k, v in BAD_URLS.items() if k not in ("fragment", "empty")}),
        ("rotate_key passphrase", lambda s, v: s.rotate_key(passphrase=v), {"empty": "", "surrogate": "pw\udcff",
                                                                          "nul": "pass\x00phrase"}),
    ]


def cases():
    for label, call, values in calls():
        for what, value in values.items():
            yield pytest.param(call, value, id=f"{label}-{what}")


@pytest.mark.parametrize("call,value", list(cases()))
def test_bad_value_is_a_validation_error_and_changes_nothing(populated, call, value):
    path, key = populated
    before = rows(path)
    with hc.Store.open(path, key=key) as s:
        with pytest.raises(hc.ValidationError) as info:
            call(s, value)
        message = str(info.value)
        assert len(message) < 1000 and not any(ord(c) < 0x20 or ord(c) == 0x7f for c in message), message
        if len(value) > 8:
            assert value not in message  # long values are not echoed (they may be secrets)
        assert s.verify() == []
    assert rows(path) == before


def test_lookups_with_bad_names_change_nothing(populated):
    path, key = populated
    before = rows(path)
    with hc.Store.open(path, key=key) as s:
        for value in list(BAD_TEXT.values()) + ["%", "_", "' OR 1=1 --"]:
            for lookup in (s.connection, s.oauth_client, s.delete_connection, s.delete_oauth_client):
                with pytest.raises((hc.NotFoundError, hc.ValidationError)):
                    lookup(value)
    assert rows(path) == before


@pytest.mark.parametrize("name", SQL_NAMES)
def test_sql_metacharacters_in_names_are_stored_as_given(populated, name):
    path, key = populated
    with hc.Store.open(path, key=key) as s:
        before = {c.name: c.has_account_id for c in s.connections()}
        s.create_oauth_client(name, client_id="cid", client_secret="s3cret")
        s.create_connection(name, oauth_client=name, account_id="42")
        assert s.connection(name).name == name and s.connection(name).oauth_client == name
        assert s.oauth_client(name).name == name
        assert sorted(c.name for c in s.connections()) == sorted([*before, name])
        s.delete_connection(name)
        s.delete_oauth_client(name)
        assert {c.name: c.has_account_id for c in s.connections()} == before
        assert [c.name for c in s.oauth_clients()] == ["app"]
        assert s.verify() == []


def test_wrong_types_are_type_errors_that_show_no_values(populated):
    path, key = populated
    with hc.Store.open(path, key=key) as s:
        with pytest.raises(TypeError) as info:
            s.create_oauth_client("x", client_id="cid", client_secret="typed-secret-VALUE", pkce="maybe")  # type: ignore[arg-type]
        assert "typed-secret-VALUE" not in str(info.value)
        for bad in (-1, 2**70, 1.5, None, ["1"]):
            with pytest.raises(TypeError) as info:
                s.create_connection("x", oauth_client="app", account_id=bad)  # type: ignore[arg-type]
            assert "Invoked with" not in str(info.value)


# --- the CLI -----------------------------------------------------------------------------

def cli(home: Path, *args: Any, stdin: bytes = b"") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARVEST_CONNECT_")}
    env["HARVEST_CONNECT_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "harvest_connect.cli", *args], input=stdin,
                          capture_output=True, env=env, timeout=120)


@pytest.fixture
def cli_home(tmp_path):
    home = tmp_path / "cli-home"
    assert cli(home, "clients", "add", "app", "--client-id", "cid", "--client-secret-stdin",
               stdin=b"secret-value-1\n").returncode == 0
    assert cli(home, "connections", "add", "acme", "--oauth-client", "app", "--account-id-stdin",
               stdin=b"123456\n").returncode == 0
    return home


def one_line_bad_input(proc: subprocess.CompletedProcess) -> str:
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, (proc.returncode, err[-2000:])
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("harvest-connect: "), err[-2000:]
    assert "Traceback" not in err
    return lines[0]


BIG = b"7" * MB
CLI_CASES = {
    "name-non-utf8": (["connections", "add", b"bad\xff\xfename", "--oauth-client", "app", "--account-id-stdin"],
                      b"1\n"),
    "name-control": (["connections", "add", "bad\x1b[2Jname", "--oauth-client", "app", "--account-id-stdin"],
                     b"1\n"),
    "name-empty": (["connections", "add", "", "--oauth-client", "app", "--account-id-stdin"], b"1\n"),
    "name-100k": (["connections", "add", "n" * 100_000, "--oauth-client", "app", "--account-id-stdin"], b"1\n"),
    "account-empty": (["connections", "add", "c2", "--oauth-client", "app", "--account-id-stdin"], b"\n"),
    "account-negative": (["connections", "add", "c2", "--oauth-client", "app", "--account-id-stdin"], b"-5\n"),
    "account-overflow": (["connections", "add", "c2", "--oauth-client", "app", "--account-id-stdin"],
                         b"9" * 40 + b"\n"),
    "account-non-utf8": (["connections", "add", "c2", "--oauth-client", "app", "--account-id-stdin"],
                         b"12\xff34\n"),
    "account-nul": (["connections", "add", "c2", "--oauth-client", "app", "--account-id-stdin"], b"12\x0034\n"),
    "account-1MB": (["connections", "add", "c2", "--oauth-client", "app", "--account-id-stdin"], BIG + b"\n"),
    "account-eof": (["connections", "add", "c2", "--oauth-client", "app", "--account-id-stdin"], b""),
    "api-url-userinfo": (["connections", "add", "c2", "--oauth-client", "app", "--account-id-stdin",
                          "--api-url", "https://u:p@api.example.com/v2"], b"1\n"),
    "api-url-fragment": (["connections", "add", "c2", "--oauth-client", "app", "--account-id-stdin",
                          "--api-url", "https://api.example.com/v2#x"], b"1\n"),
    "api-url-non-utf8": (["connections", "add", "c2", "--oauth-client", "app", "--account-id-stdin",
                          "--api-url", b"https://api.example.com/\xff"], b"1\n"),
    "edit-account-sql": (["connections", "edit", "acme", "--account-id-stdin"], b"1; DROP TABLE meta\n"),
    "secret-non-utf8": (["clients", "add", "c2", "--client-id", "cid", "--client-secret-stdin"], b"s\xffs\n"),
    "secret-control": (["clients", "add", "c2", "--client-id", "cid", "--client-secret-stdin"], b"s\x07s\n"),
    "secret-1MB": (["clients", "add", "c2", "--client-id", "cid", "--client-secret-stdin"], BIG + b"\n"),
    "client-id-control": (["clients", "add", "c2", "--client-id", "c\tid", "--client-secret-stdin"], b"s\n"),
    "redirect-userinfo": (["clients", "add", "c2", "--client-id", "cid", "--client-secret-stdin",
                           "--redirect-uri", "http://me:pw@127.0.0.1:9/cb"], b"s\n"),
    "scope-negative": (["clients", "add", "c2", "--client-id", "cid", "--client-secret-stdin",
                        "--scope", "harvest:-1"], b"s\n"),
}


@pytest.mark.parametrize("args,stdin", list(CLI_CASES.values()), ids=list(CLI_CASES))
def test_cli_bad_input_exits_2_with_one_line_and_changes_nothing(cli_home, args, stdin):
    before = rows(cli_home / "store.db")
    line = one_line_bad_input(cli(cli_home, *args, stdin=stdin))
    assert len(line) < 1000
    assert rows(cli_home / "store.db") == before


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\xfd", b"12\x0034", BIG, b"-1"], ids=["empty", "non-utf8",
                                                                                        "nul", "1MB", "negative"])
def test_cli_bad_secret_files_exit_2_and_change_nothing(cli_home, tmp_path, content):
    f = tmp_path / "value"
    f.write_bytes(content)
    before = rows(cli_home / "store.db")
    one_line_bad_input(cli(cli_home, "connections", "edit", "acme", "--account-id-file", str(f)))
    one_line_bad_input(cli(cli_home, "clients", "edit", "app", "--client-secret-file", str(f))) \
        if content != b"-1" else None
    assert rows(cli_home / "store.db") == before


# --- numbers -------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda c: c.api(prefetch_pages=-1),
    lambda c: c.api(prefetch_pages=2**70),
    lambda c: c.api(timeout=-1.0),
    lambda c: c.api(deadline=float("nan")),
    lambda c: c.authorize(open_browser=False, port=2**70, timeout=1),
    lambda c: c.authorize(open_browser=False, port=-1, timeout=1),
    lambda c: c.authorize(open_browser=False, port=70000, timeout=1),
    lambda c: c.authorize(open_browser=False, timeout=-5),
], ids=["prefetch-negative", "prefetch-overflow", "timeout-negative", "deadline-nan", "port-overflow",
        "port-negative", "port-too-big", "authorize-timeout-negative"])
def test_negative_and_overflowing_numbers_are_validation_errors(populated, call):
    path, key = populated
    before = rows(path)
    with hc.Store.open(path, key=key) as s:
        with pytest.raises(hc.ValidationError):
            call(s.connection("acme"))
    assert rows(path) == before


@pytest.mark.parametrize("args", [["--port", "99999999999999999999"], ["--port", "-1"], ["--port", "70000"],
                                  ["--timeout", "-5"], ["--timeout", "nan"]],
                         ids=["port-overflow", "port-negative", "port-too-big", "timeout-negative", "timeout-nan"])
def test_cli_negative_and_overflowing_numbers_exit_2(cli_home, args):
    before = rows(cli_home / "store.db")
    one_line_bad_input(cli(cli_home, "authorize", "acme", "--no-browser", *args))
    assert rows(cli_home / "store.db") == before
