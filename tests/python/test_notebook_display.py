"""How objects show in Jupyter (_repr_html_: escaped, never a secret, the plain repr as it
was), paginate(progress=True) with and without tqdm, and hc.connect() keeping its store open."""

from __future__ import annotations

import html
import sys

import pytest

import harvest_connect as hc

from _oauth_support import make_setup

EVIL = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def emu(module_emulator):
    return module_emulator(tls=False, entries=25, rate_limits=False)


@pytest.fixture
def authorized(emu, store):
    s = make_setup(emu, store)
    s.conn.complete_authorization(emu.approve(s.conn.authorization_url()))
    return s


def _secrets(s) -> list:
    return [s.app.client_secret, str(s.emu.account_id)]


def _every_view(obj) -> str:
    return repr(obj) + str(obj) + obj._repr_html_()


def test_connection_html_shows_name_badge_client_url_and_expiry_but_no_secret(authorized, store):
    conn = store.connection("acme")
    before = repr(conn)
    page = conn._repr_html_()
    assert "acme" in page and "authorized" in page and "app" in page
    assert html.escape(conn.api_url) in page
    assert "Account ID</th><td style=\"text-align:left\">set (encrypted)" in page  # said, never shown
    assert conn.token_expires_at is not None and conn.token_expires_at.isoformat(sep=" ", timespec="seconds") in page
    assert repr(conn) == before and "<" not in repr(conn)  # the plain repr is the engine's
    for secret in _secrets(authorized):
        assert secret not in _every_view(conn)


def test_token_connection_html_holds_no_token(emu, store):
    token = emu.create_personal_access_token()
    conn = store.create_token_connection("pat", access_token=token, account_id=str(emu.account_id),
                                         id_url=emu.id_url, api_url=emu.api_url)
    page = _every_view(conn) + _every_view(store) + _every_view(conn.api()) + _every_view(conn.test())
    assert token not in page and str(emu.account_id) not in page
    assert "personal access token" in conn._repr_html_()


def test_names_and_messages_are_escaped(emu, store):
    app = emu.register_app("Escapes", "http://127.0.0.1")
    store.create_oauth_client(EVIL, client_id=app.client_id, client_secret=app.client_secret)
    conn = store.create_connection(EVIL + "conn", oauth_client=EVIL, account_id=str(emu.account_id),
                                   id_url=emu.id_url, api_url=emu.api_url)
    result = hc.TestResult(False, 401, None, EVIL)
    for page in (conn._repr_html_(), store._repr_html_(), result._repr_html_(), conn.api()._repr_html_()):
        assert "<script>" not in page
        assert html.escape(EVIL) in page


def test_store_html_is_a_table_of_connections_and_clients(authorized, store):
    page = store._repr_html_()
    assert page.count("<table>") == 2
    assert "acme" in page and authorized.app.client_id in page
    for secret in _secrets(authorized):
        assert secret not in page
    store.close()
    assert "closed" in store._repr_html_()


def test_test_result_html_shows_online_and_the_user(authorized, emu):
    result = authorized.conn.test()
    page = result._repr_html_()
    user = emu.default_user()
    assert "online" in page and html.escape(f"{user['first_name']} {user['last_name']}") in page
    assert "offline" in hc.TestResult(False, 401, None, "refused")._repr_html_()
    assert repr(result).startswith("TestResult(")


def test_client_html_names_the_connection(authorized):
    api = authorized.conn.api()
    assert "acme" in api._repr_html_() and html.escape(api.api_url) in api._repr_html_()
    assert repr(api) == f"HarvestClient(connection='acme', api_url={api.api_url!r})"


def test_paginate_progress_counts_up_to_total_entries(authorized, capsys):
    records = list(authorized.conn.api().paginate("/time_entries", {"per_page": 10}, progress=True))
    assert len(records) == 25
    err = capsys.readouterr().err
    assert "25/25" in err  # tqdm's bar reached Harvest's total_entries


def test_paginate_progress_without_tqdm_is_silent(authorized, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import tqdm.auto now raises ImportError
    records = list(authorized.conn.api().paginate("/time_entries", {"per_page": 10}, progress=True))
    assert len(records) == 25
    assert capsys.readouterr().err == ""


def test_paginate_without_progress_shows_nothing(authorized, capsys):
    assert len(list(authorized.conn.api().paginate("/time_entries", {"per_page": 10}))) == 25
    assert capsys.readouterr().err == ""


@pytest.fixture
def home(tmp_path, emu, monkeypatch):
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    key = hc.Key.generate()
    hc._core._write_key_file(str(home / "master.key"), key)
    monkeypatch.setenv("HARVEST_CONNECT_HOME", str(home))
    with hc.Store.open() as s:
        setup = make_setup(emu, s)
        setup.conn.complete_authorization(emu.approve(setup.conn.authorization_url()))
    return home


def test_connect_keeps_its_store_open_until_closed(home):
    api = hc.connect("acme")
    assert api.store is not None and not api.store.closed
    assert api.get("/users/me")["id"]  # a later cell
    assert api.get("/users/me")["id"]
    store = api.store
    api.close()
    assert store.closed and api.store is None
    api.close()  # twice is fine


def test_connect_as_a_context_manager_closes_its_store(home):
    with hc.connect("acme") as api:
        store = api.store
        assert len(list(api.paginate("/projects"))) > 0
    assert store is not None and store.closed


def test_connect_leaves_a_given_store_open(home):
    with hc.Store.open() as store:
        with hc.connect("acme", store=store) as api:
            assert api.store is None
            assert api.get("/users/me")["id"]
        assert not store.closed


def test_connect_to_an_unknown_name_closes_the_store_it_opened(home):
    with pytest.raises(hc.NotFoundError):
        hc.connect("nobody")
    with hc.Store.open() as store:  # the store is not left locked or half-open
        assert [c.name for c in store.connections()] == ["acme"]
