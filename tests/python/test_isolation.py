"""conftest.py's autouse isolation really isolates: a pytest run started from a developer's
shell full of harvest-connect settings, proxies, an extra CA and their own HOME shows its
tests (and its module-scoped fixtures) none of them, and a store opened at the default
location lands in a temporary HOME, not in the developer's. Its factories clean up: an
emulator is stopped and a store closed after the test that made them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import harvest_connect as hc

HERE = Path(__file__).resolve().parent

# What the developer's run of the suite sees in the test below (kept apart from anything the
# inner run could reach through a fixture).
INNER_TESTS = '''
import json
import os
from pathlib import Path

import pytest

import harvest_connect as hc

PLANTED = json.loads({planted!r})


def leaked(environment):
    return sorted(name for name, value in PLANTED.items() if environment.get(name) == value)


@pytest.fixture(scope="module")
def environment_of_a_module_fixture():
    return dict(os.environ)


def test_no_setting_of_the_shell_reaches_a_test():
    assert leaked(os.environ) == []


def test_nor_a_module_scoped_fixture(environment_of_a_module_fixture):
    assert leaked(environment_of_a_module_fixture) == []


def test_the_default_store_and_key_file_are_under_a_temporary_home():
    home = Path(os.environ["HOME"])
    assert home != Path(PLANTED["HOME"]) and list(home.iterdir()) == []
    with hc.Store.open() as store:  # the default store, and a new default key file
        store.create_token_connection("acme", access_token="pat-ISOLATION-1", account_id="123456")
        assert Path(store.path).is_relative_to(home)
    assert hc.default_store_path().is_relative_to(home)


# The factories clean up after the test that used them (the tests run in file order).
STARTED = []


def test_an_emulator_and_an_authorized_setup(emulator, harvest_env):
    STARTED.append(emulator(tls=False, entries=1))
    STARTED.append(harvest_env(entries=1))
    assert "running" in repr(STARTED[0]) and STARTED[1].conn().status == "authorized"


def test_are_stopped_and_closed_after_their_test():
    emu, env = STARTED
    assert "closed" in repr(emu) and "closed" in repr(env.emu) and env.store.closed
'''


def test_the_shells_settings_never_reach_a_test_nor_its_store(tmp_path: Path) -> None:
    user = tmp_path / "developer"  # where the developer keeps their own store, key and CA
    user.mkdir()
    planted = {
        "HOME": str(user),
        "XDG_DATA_HOME": str(user / "data"),
        "XDG_CONFIG_HOME": str(user / "config"),
        "HARVEST_CONNECT_HOME": str(user / "harvest-connect"),
        "HARVEST_CONNECT_KEY": hc.Key.generate().to_base64(),
        "HARVEST_CONNECT_KEY_FILE": str(user / "master.key"),
        "HARVEST_CONNECT_CONTACT": "developer@example.com",
        "HARVEST_CONNECT_PROXY_LOOPBACK": "1",
        "HARVEST_CONNECT_ALLOW_CORE_DUMPS": "1",
        "HARVEST_CONNECT_A_FUTURE_SETTING": "1",  # every HARVEST_CONNECT_* goes, not a list of them
        "SSL_CERT_FILE": str(user / "company-ca.pem"),
        "SSL_CERT_DIR": str(user / "certs"),
        # libpq's settings: a PostgreSQL store must reach only the tests' own cluster.
        "PGPASSFILE": str(user / "pgpass"),
        "PGHOST": "db.example.com",
        "PGPORT": "6432",
        "PGUSER": "developer",
        "PGPASSWORD": "developer-db-password",
        "PGDATABASE": "production",
        "PGSERVICEFILE": str(user / "pg_service.conf"),
        "PGSSLMODE": "disable",
    }
    for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        planted[name] = "http://proxy.invalid:3128"
    for name in ("no_proxy", "NO_PROXY"):
        planted[name] = "example.com"

    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(HERE / "conftest.py", suite / "conftest.py")
    (suite / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers --strict-config\n"
                                      "filterwarnings = error\n")
    (suite / "test_inner.py").write_text(INNER_TESTS.format(planted=json.dumps(planted)))
    # conftest.py imports the shared helpers next to it.
    python_path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, **planted, PYTHONPATH=python_path)
    # Its own basetemp: the inner run must not clean up the numbered temp dirs of this one.
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             f"--basetemp={tmp_path / 'basetemp'}", str(suite)],
                            cwd=suite, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout, result.stdout
    assert list(user.iterdir()) == []  # nothing was written where the developer keeps things
